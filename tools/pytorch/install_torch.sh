#!/usr/bin/env bash
# Install PyTorch 2.15.0 into a virtual environment outside the repository, for
# tools/pytorch/dump_schedules.py and tools/pytorch/check_load.py (CPU only).
#
#   bash tools/pytorch/install_torch.sh [VENV]        # default VENV: /work/venv-torch
#
# PyPI's Linux wheel of torch 2.15.0 is the CUDA 13 build. It is installed with --no-deps (none of
# the nvidia-* wheels), with only the pure-Python packages that `import
# torch.distributed.pipelining` needs. The CUDA 13 runtime libraries it links (cudart, cublas,
# cudnn, ...) are taken from the system CUDA 13.0 toolkit (/usr/local/cuda-13.0 on this project's
# machines). The three it links that the toolkit lacks (libcufile.so.0, libcusparseLt.so.0,
# libnvshmem_host.so.3), and NCCL (the toolkit's libnccl.so.2 is older than the one torch 2.15
# was built against: ncclCommResume and others are missing), are replaced by no-op shim
# libraries built here in torch/lib, whose functions do nothing: none is called on a CPU-only
# run, they only let the shared objects load. No GPU and no CUDA package is needed.
set -euo pipefail
VENV=${1:-/work/venv-torch}
TORCH_VERSION=2.15.0

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PIP="$VENV/bin/pip"
"$PIP" install -q --no-deps "torch==$TORCH_VERSION"
# Pure-Python imports of torch and torch.distributed.pipelining, one by one.
for p in typing_extensions sympy mpmath networkx jinja2 MarkupSafe filelock fsspec; do
  "$PIP" install -q --no-deps "$p"
done

LIB=$("$VENV/bin/python" - <<'PY'
import importlib.util, os
spec = importlib.util.find_spec("torch")
print(os.path.join(os.path.dirname(spec.origin), "lib"))
PY
)
# The torch libraries search $ORIGIN (torch/lib) for their dependencies, so shims go there.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
undef() {  # undefined, non-weak dynamic symbols of torch's libraries matching $1
  for f in "$LIB"/*.so; do nm -D --undefined-only "$f"; done |
    awk '$1 == "U" {print $2}' | sed 's/@.*//' | grep -E "$1" | sort -u
}
shim() {  # shim SONAME PATTERN [VERSION-NODE]
  local soname=$1 pattern=$2 node=${3:-} src="$tmp/$1.c" ver="$tmp/$1.map"
  : > "$src"
  for s in $(undef "$pattern"); do echo "int $s(void) { return 1; }" >> "$src"; done
  local extra=()
  if [ -n "$node" ]; then echo "$node { global: *; };" > "$ver"; extra=(-Wl,--version-script="$ver"); fi
  if [ -e "$LIB/$soname" ]; then return; fi
  cc -shared -fPIC -o "$LIB/$soname" -Wl,-soname,"$soname" "${extra[@]}" "$src"
}
shim libcufile.so.0 '^cuFile'
shim libcusparseLt.so.0 '^cusparseLt'
shim libnvshmem_host.so.3 '^nvshmem' NVSHMEM
shim libnccl.so.2 '^nccl'

"$VENV/bin/python" -c "import torch, torch.distributed.pipelining; print('torch', torch.__version__, 'ok')"
