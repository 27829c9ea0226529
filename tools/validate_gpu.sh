#!/usr/bin/env bash
# validate_gpu.sh — the GPU check of ppexec's CUDA backend, prepared here and run in one call on a
# GPU machine that has the CUDA 13 toolkit but no network, no package registry, no MPI
# (docs/executor-cuda.md, "The GPU check").
#
#   validate_gpu.sh --prepare DIR [--with-mpi] [--build-dir BUILD]
#       Here (Debian, no GPU needed): builds ppsim and ppexec with the CUDA backend, kernels for
#       every arch nvcc lists (sm_90 for H100/H200 among them), netlib's CBLAS and no MPI (one
#       process, single-rank schedules), in build-bundle/ (or takes BUILD's binaries as they
#       are), and writes a relocatable bundle to DIR: the binaries, every shared library ldd
#       finds that a CUDA image lacks (never glibc, libstdc++, the CUDA toolkit's or the
#       driver's), launchers that set the library path and find NCCL, this script, README.txt.
#       --with-mpi adds ppexec-mpi (built in build-bundle-mpi/) and Open MPI's runtime (mpirun,
#       its plugins and libraries) for runs of more than one rank.
#   validate_gpu.sh --run DIR OUTDIR
#       On the GPU machine: the checks below; every log, profile, timeline and diff under OUTDIR,
#       and OUTDIR/summary.md. Exit 0 when every check passed, 1 when one failed, 2 when the
#       first probe finds no GPU (one line; nothing else runs, OUTDIR is not created).
#
# The checks, in this order (each a row of summary.md):
#   1. nvidia-smi (saved), the machine's glibc against the bundle's need, where NCCL is.
#   2. --check-grads on one GPU, single-rank schedules (one process, no MPI), GRAD workload:
#      looped-bfs v=2 (GPipe-like), interleaved-1f1b v=4 (1F1B-like), a split I/W order v=4
#      (tools/split-iw-csv.sh), M=8, in fp32 (max relative error <= 1e-4 against the CPU
#      reference) and in bf16 (<= 2e-3 against a CPU reference that rounds as the GPU does).
#   3. Per schedule, TIME workload, fp32: --profile (cuBLAS ops timed with CUDA events), ppsim
#      calibrate, ppsim sim, five measured steps (the median by makespan is kept), ppsim diff:
#      predicted and measured makespans must agree within 5%.
#   4. Optional: PyTorch times the same GEMMs (an independent timing reference; not judged).
#   5. With >= 2 GPUs and a bundle prepared --with-mpi: R = 2 and R = 4 with NCCL under the
#      bundle's mpirun, one GPU per rank: --check-grads, and a measured 1F1B step against its
#      prediction.
# Workloads: GRAD h=512 b=256 L=2 (h <= 1024: the CPU reference of a v=4 check is ~3e10 FLOPs);
# TIME h=1024 b=8192 L=4, whose F is 2·b·h²·L = 6.9e10 FLOPs, >= 1 ms at an H200's 67 fp32
# TFLOP/s. The whole run is meant to take under 8 minutes: once 420 s are spent
# (PPX_VALIDATE_BUDGET) the remaining predictions and multi-GPU runs are skipped, each row saying
# so; summary.md gives each row's time since the start.
# Rehearsal (no GPU; used by tests/exec/gpu_bundle.sh): PPX_VALIDATE_REHEARSAL=1
# skips the nvidia-smi probe, uses tiny workloads and does not judge the 5% agreement.
set -uo pipefail

usage() {
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

# ====================================================================== --prepare

# Libraries never bundled: glibc's, the C++ runtime (a CUDA image has them, and cuBLAS needs the
# image's own libstdc++), the CUDA toolkit's (the image's CUDA 13) and the driver's.
is_system_lib() {
    case "$(basename "$1")" in
    libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | libresolv.so.* | \
        libutil.so.* | libanl.so.* | ld-linux*.so.* | linux-vdso.so.* | \
        libstdc++.so.* | libgcc_s.so.* | \
        libcudart.so.* | libcublas.so.* | libcublasLt.so.* | libnccl.so.* | libnvrtc*.so.* | \
        libcuda.so.* | libnvidia-*.so.*) return 0 ;;
    esac
    return 1
}

# copy_libs DEST FILE...: every library ldd resolves for FILE... that is not a system one, into
# DEST under its SONAME. Unresolved ones fail.
copy_libs() {
    local dest=$1 f line name path
    shift
    for f in "$@"; do
        while read -r line; do
            case "$line" in
            *"=> not found"*) echo "validate_gpu: $f needs ${line%% *}, which ldd cannot find" >&2
                return 1 ;;
            *"=> /"*) name=${line%% =>*} path=${line#*=> } path=${path%% (*} ;;
            *) continue ;;
            esac
            is_system_lib "$name" && continue
            [ -e "$dest/$name" ] || [ -e "$dest/../$name" ] || cp -L "$path" "$dest/$name" ||
                return 1
        done < <(ldd "$f")
    done
}

# The newest GLIBC_x.y symbol version any of FILE... needs.
glibc_needed() {
    objdump -T "$@" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V |
        tail -1
}

write_launchers() {
    local dir=$1
    cat >"$dir/lib/paths.sh" <<'EOF'
# paths.sh — sourced by the bundle's launchers (bin/): puts the bundle's lib/ first on
# LD_LIBRARY_PATH, then the CUDA toolkit's libraries (CUDA_HOME, /usr/local/cuda*, or Python's
# nvidia-* packages), and finds NCCL's libnccl.so.2 for runs of more than one rank (a single-rank
# run never loads it): PPX_NCCL_LIBRARY if set, else the CUDA toolkit, the system's libraries, or
# Python's nvidia-nccl package; ppexec loads the file named by PPX_NCCL_LIBRARY.
# PPX_BUNDLE_REPORT=1 prints what was found, one line each, on stderr.
bundle=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
python_lib_dirs() { # the lib/ folders of Python's nvidia-* packages named $@
    command -v python3 >/dev/null || return 0
    python3 - "$@" 2>/dev/null <<'PY'
import importlib, os, sys
for name in sys.argv[1:]:
    try:
        m = importlib.import_module("nvidia." + name)
    except Exception:
        continue
    for p in getattr(m, "__path__", []):
        d = os.path.join(p, "lib")
        if os.path.isdir(d):
            print(d)
PY
}
first_with() { # FILE DIR...: the first DIR holding FILE
    local f=$1 d
    shift
    for d in "$@"; do [ -n "$d" ] && [ -e "$d/$f" ] && { echo "$d"; return; }; done
}
# Python is asked only when the usual places lack the library.
cuda_lib=$(first_with libcublas.so.13 ${CUDA_HOME:+"$CUDA_HOME/lib64"} /usr/local/cuda/lib64 \
    /usr/local/cuda-*/lib64 /usr/lib/x86_64-linux-gnu)
[ -n "$cuda_lib" ] || cuda_lib=$(first_with libcublas.so.13 $(python_lib_dirs cublas))
cudart=$(first_with libcudart.so.13 "$cuda_lib")
[ -n "$cudart" ] || cudart=$(first_with libcudart.so.13 $(python_lib_dirs cuda_runtime))
if [ -n "$cudart" ] && [ "$cudart" != "$cuda_lib" ]; then cuda_lib=${cuda_lib:+$cuda_lib:}$cudart; fi
nccl=${PPX_NCCL_LIBRARY:-}
if [ -z "$nccl" ]; then
    d=$(first_with libnccl.so.2 ${cuda_lib//:/ } /usr/lib/x86_64-linux-gnu /usr/local/lib)
    [ -n "$d" ] || d=$(first_with libnccl.so.2 $(python_lib_dirs nccl))
    [ -z "$d" ] || nccl=$d/libnccl.so.2
fi
if [ -n "$nccl" ]; then export PPX_NCCL_LIBRARY=$nccl; fi
export LD_LIBRARY_PATH="$bundle/lib${cuda_lib:+:$cuda_lib}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ "${PPX_BUNDLE_REPORT:-0}" = 1 ]; then
    echo "bundle: $bundle" >&2
    echo "CUDA libraries: ${cuda_lib:-not found (libcudart.so.13, libcublas.so.13)}" >&2
    echo "NCCL: ${nccl:-not found (needed only by runs of more than one rank)}" >&2
fi
EOF
    local exe extra
    for exe in ppsim ppexec ppexec-mpi; do
        [ -e "$dir/libexec/$exe" ] || continue
        extra=""
        [ "$exe" = ppexec-mpi ] && extra='export LD_LIBRARY_PATH=$here/../lib/mpi:$LD_LIBRARY_PATH'
        cat >"$dir/bin/$exe" <<EOF
#!/usr/bin/env bash
# $exe — launcher of the bundled $exe: sets the library path (lib/paths.sh), then runs it.
here=\$(cd "\$(dirname "\${BASH_SOURCE[0]}")" && pwd)
. "\$here/../lib/paths.sh"
$extra
exec "\$here/../libexec/$exe" "\$@"
EOF
        chmod +x "$dir/bin/$exe"
    done
}

# The Open MPI runtime as Debian installs it, under DIR/mpi (same layout, so that OPAL_PREFIX
# relocates it), with the libraries its plugins need, and a launcher bin/mpirun.
bundle_mpi() {
    local dir=$1 mpilib plugdir
    mpilib=$(pkg-config --variable=libdir ompi-c)
    plugdir=$(ls -d "$mpilib"/openmpi* 2>/dev/null | head -1)
    [ -n "$plugdir" ] || { echo "validate_gpu: Open MPI's plugins not found under $mpilib" >&2; return 1; }
    local prefix=$dir/mpi
    mkdir -p "$prefix/bin" "$prefix/${plugdir#/usr/}" "$prefix/share" || return 1
    cp -L /usr/bin/orterun /usr/bin/orted "$prefix/bin/" || return 1
    cp -a "$plugdir/." "$prefix/${plugdir#/usr/}/" || return 1
    cp -a /usr/share/openmpi "$prefix/share/" || return 1
    copy_libs "$dir/lib/mpi" "$prefix/bin/orterun" "$prefix/bin/orted" "$plugdir"/*.so || return 1
    # Debian's Open MPI uses an external PMIx, whose optional plugins (compression, resource
    # managers) are not bundled: without them PMIx prints that it cannot find a help file, and
    # the run goes on (checked with the system's Open MPI and PMIx folders hidden).
    cat >"$dir/bin/mpirun" <<'EOF'
#!/usr/bin/env bash
# mpirun — launcher of the bundled Open MPI (validate_gpu.sh --prepare --with-mpi): relocated by
# OPAL_PREFIX; the ranks it starts inherit the library path.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/paths.sh"
mpi=$(cd "$here/../mpi" && pwd)
export LD_LIBRARY_PATH=$here/../lib/mpi:$LD_LIBRARY_PATH
export OPAL_PREFIX=$mpi PATH=$mpi/bin:$PATH
exec "$mpi/bin/orterun" -x LD_LIBRARY_PATH -x PPX_NCCL_LIBRARY -x OPAL_PREFIX "$@"
EOF
    chmod +x "$dir/bin/mpirun"
}

# build_bundle DIR MESON-OPTIONS...: a release build of ppsim and ppexec with the CUDA backend,
# kernels for every arch nvcc lists, and netlib's CBLAS.
build_bundle() {
    local b=$1
    shift
    if [ ! -f "$b/build.ninja" ]; then
        meson setup "$b" -Dbuildtype=release -Dtests=disabled -Dgpu=enabled -Dgpu_archs=all \
            -Dblas=netlib "$@" >"$b.log" 2>&1 ||
            { cat "$b.log" >&2; echo "validate_gpu: meson setup $b failed" >&2; return 1; }
    fi
    ninja -C "$b" tools/ppsim exec/ppexec >"$b.log" 2>&1 ||
        { cat "$b.log" >&2; echo "validate_gpu: the build in $b failed" >&2; return 1; }
    rm -f "$b.log"
}

prepare() {
    local dir="" with_mpi=0 build="" mpibuild=""
    while [ $# -gt 0 ]; do
        case "$1" in
        --with-mpi) with_mpi=1 ;;
        --build-dir) build=${2:?--build-dir needs a folder}; shift ;;
        -*) usage ;;
        *) [ -z "$dir" ] || usage; dir=$1 ;;
        esac
        shift
    done
    [ -n "$dir" ] || usage
    if [ "$with_mpi" = 1 ] && [ -n "$build" ]; then
        echo "validate_gpu: --with-mpi builds its own ppexec; drop --build-dir" >&2
        exit 2
    fi
    [ -z "$build" ] || build=$(cd "$build" && pwd) || exit 1
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 1
    local script
    script=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    cd "$(dirname "$0")/.." || exit 1
    local root=$PWD
    if [ -z "$build" ]; then
        bash tools/apt-install.sh validate_gpu gcc meson ninja-build pkg-config libcjson-dev \
            libblas-dev binutils || exit 1
        [ "$with_mpi" = 0 ] || bash tools/apt-install.sh validate_gpu libopenmpi-dev openmpi-bin ||
            exit 1
        command -v nvcc >/dev/null || [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/nvcc" ] ||
            { echo "validate_gpu: nvcc not found: the bundle needs the CUDA backend" >&2; exit 1; }
        build=$root/build-bundle
        build_bundle "$build" -Dexec_mpi=none || exit 1
        if [ "$with_mpi" = 1 ]; then
            mpibuild=$root/build-bundle-mpi
            build_bundle "$mpibuild" -Dexec_mpi=mpi || exit 1
        fi
    fi
    local ppsim=$build/tools/ppsim ppexec=$build/exec/ppexec
    [ -x "$ppsim" ] && [ -x "$ppexec" ] ||
        { echo "validate_gpu: $ppsim or $ppexec is missing (build ppsim and ppexec)" >&2; exit 1; }
    rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/libexec" "$dir/lib" || exit 1
    cp "$ppsim" "$ppexec" "$dir/libexec/" && cp tools/split-iw-csv.sh "$dir/bin/" &&
        cp "$script" "$dir/validate_gpu.sh" || exit 1
    [ -z "$mpibuild" ] || cp "$mpibuild/exec/ppexec" "$dir/libexec/ppexec-mpi" || exit 1
    strip --strip-unneeded "$dir"/libexec/* || exit 1
    # -lblas resolves through Debian's alternatives, maybe to OpenBLAS (35 MiB); the bundle
    # ships netlib's libblas.so.3, which its build was compiled against.
    local netlib=/usr/lib/x86_64-linux-gnu/blas
    LD_LIBRARY_PATH=$netlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
        copy_libs "$dir/lib" "$dir/libexec/ppsim" "$dir/libexec/ppexec" || exit 1
    if [ -n "$mpibuild" ]; then
        mkdir -p "$dir/lib/mpi" && LD_LIBRARY_PATH=$netlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
            copy_libs "$dir/lib/mpi" "$dir/libexec/ppexec-mpi" && bundle_mpi "$dir" || exit 1
    fi
    write_launchers "$dir"
    local cuda=no
    if nm -D "$dir/libexec/ppexec" 2>/dev/null | grep cublasGemmEx >/dev/null; then cuda=yes; fi
    local glibc glibc_mpi="" archs mpinote=""
    glibc=$(glibc_needed "$dir/libexec/ppsim" "$dir/libexec/ppexec" "$dir"/lib/*.so*)
    if [ -n "$mpibuild" ]; then
        glibc_mpi=$(glibc_needed "$dir/libexec/ppexec-mpi" "$dir"/lib/mpi/*)
        mpinote="; ppexec-mpi and mpirun (Open MPI, relocated by OPAL_PREFIX) for several ranks, needing glibc >= $glibc_mpi"
    fi
    # The architectures nvcc compiled the kernels for, from the build's own command line.
    archs=$(ninja -C "$build" -t commands exec/ppexec 2>/dev/null | grep -o 'code=sm_[0-9]*' |
        sed 's/code=//' | sort -u -V | tr '\n' ' ' | sed 's/ $//')
    local source dirty=""
    source=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
    git -C "$root" diff --quiet HEAD 2>/dev/null || dirty=" (with uncommitted changes)"
    cat >"$dir/README.txt" <<EOF
ppsim GPU-check bundle (tools/validate_gpu.sh --prepare; docs/executor-cuda.md)
source: $source$dirty
built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-?}"), from $build
CUDA backend: $cuda; kernels: ${archs:-none}
ppexec: single-rank runs, one process$mpinote
needs: glibc >= $glibc, libstdc++, the CUDA 13 toolkit's libcudart.so.13 and libcublas.so.13
  (CUDA_HOME, /usr/local/cuda*, or Python's nvidia-* packages), and libnccl.so.2 only for runs
  of more than one rank (found by lib/paths.sh, or named by PPX_NCCL_LIBRARY)
run:   bash validate_gpu.sh --run . OUTDIR      (from this folder)
tools: bin/ppsim, bin/ppexec (launchers; PPX_BUNDLE_REPORT=1 says what they found)
glibc: $glibc
EOF
    local size
    size=$(du -sk "$dir" | cut -f1)
    echo "validate_gpu: bundle in $dir: $(find "$dir/lib" -name '*.so*' | wc -l) libraries, $((size / 1024)).$(((size % 1024) * 10 / 1024)) MiB; CUDA backend: $cuda; kernels: ${archs:-none}; needs glibc >= $glibc"
}

# ====================================================================== --run

# Workloads (see the header). Rehearsal: tiny, so that a CPU stand-in gets through quickly.
if [ "${PPX_VALIDATE_REHEARSAL:-0}" = 1 ]; then
    GRAD=(--hidden 64 --tokens 32 --layers 2)
    TIME=(--hidden 64 --tokens 64 --layers 2)
else
    GRAD=(--hidden 512 --tokens 256 --layers 2)
    TIME=(--hidden 1024 --tokens 8192 --layers 4)
fi
M=8
AGREE=0.05 # |measured - predicted| / predicted makespan

rows=() # summary.md rows
failed=0
BUDGET=${PPX_VALIDATE_BUDGET:-420} # seconds; later checks are skipped once it is spent
row() { # CHECK RESULT FIGURE
    rows+=("| $1 | $2 | $3 | $((SECONDS - t0)) |")
    [ "$2" = FAILED ] && failed=$((failed + 1))
    printf '%-8s %s: %s\n' "$2" "$1" "$3"
}

# The nvidia-smi probe: one line and exit 2 when there is no usable GPU.
probe() {
    local out
    command -v nvidia-smi >/dev/null ||
        { echo "validate_gpu: no GPU here: nvidia-smi not found" >&2; exit 2; }
    if ! out=$(nvidia-smi -L 2>&1); then
        echo "validate_gpu: no GPU here: nvidia-smi -L failed: $(head -1 <<<"$out")" >&2
        exit 2
    fi
    grep -q '^GPU [0-9]' <<<"$out" ||
        { echo "validate_gpu: no GPU here: nvidia-smi lists none" >&2; exit 2; }
}

# grads NAME PPEXEC-ARGS...: one --check-grads run; its largest per-stage error is the figure.
grads() {
    local name=$1 log
    shift
    log=$out/logs/$name.log
    "${PPEXEC[@]}" "$@" "${GRAD[@]}" -m $M --check-grads -o "$out/timelines/$name.json" \
        >"$log" 2>&1
    local rc=$? worst
    worst=$(grep -o '= [0-9.e+-]*' "$log" | sed 's/= //' | sort -g | tail -1)
    if [ $rc -eq 0 ] && ! grep -q FAILED "$log" && [ -n "$worst" ]; then
        row "check-grads $name" ok "max relative error ${worst}"
    else
        row "check-grads $name" FAILED "exit $rc; max relative error ${worst:-none} (logs/$name.log)"
    fi
}

# makespan FILE: the makespan ppsim analyze reports for a timeline (seconds).
makespan() {
    "${PPSIM[@]}" analyze "$1" --json 2>/dev/null | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["makespan"])'
}

# predict NAME SCHEDULE-SPEC...: profile, calibrate, simulate, five measured steps, diff.
predict() {
    local name=$1
    shift
    if [ $((SECONDS - t0)) -gt "$BUDGET" ]; then
        row "predict $name" "not run" "the time budget ($BUDGET s) was spent"; return
    fi
    local d=$out/predict/$name
    mkdir -p "$d"
    if ! "${PPEXEC[@]}" "$@" "${TIME[@]}" -m $M --profile "$d/profile.json" >"$d/profile.log" 2>&1; then
        row "predict $name" FAILED "ppexec --profile failed (predict/$name/profile.log)"; return
    fi
    if ! "${PPSIM[@]}" calibrate "$d/profile.json" -o "$d/costs.json" >"$d/calibrate.log" 2>&1; then
        row "predict $name" FAILED "ppsim calibrate failed (predict/$name/calibrate.log)"; return
    fi
    local simargs=("$@")
    [ "$1" = -f ] || simargs+=(-p "$RANKS" -m $M) # a file fixes R and M itself
    if ! "${PPSIM[@]}" sim "${simargs[@]}" --costs "$d/costs.json" -o "$d/predicted.json" \
        >"$d/sim.log" 2>&1; then
        row "predict $name" FAILED "ppsim sim failed (predict/$name/sim.log)"; return
    fi
    local k spans=()
    for k in 1 2 3 4 5; do
        if ! "${PPEXEC[@]}" "$@" "${TIME[@]}" -m $M -o "$d/measured-$k.json" \
            >"$d/measured-$k.log" 2>&1; then
            row "predict $name" FAILED "measured run $k failed (predict/$name/measured-$k.log)"
            return
        fi
        spans+=("$(makespan "$d/measured-$k.json") $k")
    done
    local median
    median=$(printf '%s\n' "${spans[@]}" | sort -g | sed -n 3p | cut -d' ' -f2)
    cp "$d/measured-$median.json" "$d/measured.json"
    "${PPSIM[@]}" diff "$d/predicted.json" "$d/measured.json" >"$d/diff.txt" 2>&1
    local pred meas rel verdict
    pred=$(makespan "$d/predicted.json") meas=$(makespan "$d/measured.json")
    # The error as docs/validation-method.md defines it: (measured - predicted) / predicted.
    rel=$(python3 -c "p, m = $pred, $meas; print(f'{(m - p) / p:+.2%}')")
    verdict=$(python3 -c "print('ok' if abs($meas - $pred) <= $AGREE * $pred else 'FAILED')")
    [ "${PPX_VALIDATE_REHEARSAL:-0}" = 1 ] && verdict="not judged (rehearsal)"
    local tf
    tf=$(python3 -c "import json; p = json.load(open('$d/profile.json')); print('%.3g ms' % (1e3 * p['stage_costs'][0]['tf']))")
    row "predict $name" "$verdict" "predicted $(printf '%.4g' "$pred") s, measured median of 5 $(printf '%.4g' "$meas") s ($rel); t_F $tf"
}

torch_reference() {
    command -v python3 >/dev/null && python3 -c 'import torch; assert torch.cuda.is_available()' \
        2>/dev/null || { row "PyTorch GEMM timing" "not run" "no PyTorch with CUDA"; return; }
    local h=${TIME[1]} b=${TIME[3]} L=${TIME[5]}
    if python3 - "$h" "$b" "$L" >"$out/torch_gemm.txt" 2>&1 <<'PY'; then
import sys, torch
h, b, L = map(int, sys.argv[1:])
torch.backends.cuda.matmul.allow_tf32 = False  # fp32 really fp32, as ppexec's cuBLAS handle
x = torch.randn(b, h, device="cuda")
w = torch.randn(h, h, device="cuda")
def med(f, n=20):
    for _ in range(3):
        f()
    ts = []
    for _ in range(n):
        a, z = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); f(); z.record(); torch.cuda.synchronize()
        ts.append(a.elapsed_time(z))
    return sorted(ts)[n // 2]
f = med(lambda: [torch.relu(x @ w) for _ in range(L)])
i = med(lambda: [x @ w.t() for _ in range(L)])
wg = med(lambda: [x.t() @ x for _ in range(L)])
print(f"torch {torch.__version__}, fp32 without TF32, h={h} b={b} L={L}: "
      f"F {f:.3f} ms, I (GEMMs only) {i:.3f} ms, W {wg:.3f} ms")
PY
        row "PyTorch GEMM timing" "not judged" "$(tail -1 "$out/torch_gemm.txt")"
    else
        row "PyTorch GEMM timing" "not judged" "failed: $(tail -1 "$out/torch_gemm.txt")"
    fi
}

multi_gpu() {
    local ngpu=$1 mpirun=""
    [ -x "$DIR/bin/mpirun" ] && [ -x "$DIR/bin/ppexec-mpi" ] && mpirun=$DIR/bin/mpirun
    if [ $((SECONDS - t0)) -gt "$BUDGET" ]; then
        row "R = 2 and 4 with NCCL" "not run" "the time budget ($BUDGET s) was spent"; return
    fi
    if [ "$ngpu" -lt 2 ]; then
        row "R = 2 and 4 with NCCL" "not run" "$ngpu GPU: NCCL cannot put two ranks on one GPU"
        return
    fi
    if [ -z "$mpirun" ]; then
        row "R = 2 and 4 with NCCL" "not run" "the bundle has no mpirun (--prepare --with-mpi)"
        return
    fi
    local R
    for R in 2 4; do
        if [ "$ngpu" -lt $R ]; then row "R = $R with NCCL" "not run" "$ngpu GPUs"; continue; fi
        local base=("$mpirun" --oversubscribe -np $R)
        [ "$(id -u)" = 0 ] && base+=(--allow-run-as-root)
        PPEXEC=("${base[@]}" "$DIR/bin/ppexec-mpi" --backend cuda)
        RANKS=$R
        grads "R$R-1f1b-fp32" -s 1f1b
        grads "R$R-interleaved-v2-fp32" -s interleaved-1f1b -v 2
        predict "R$R-1f1b" -s 1f1b
    done
}

run() {
    [ $# -eq 2 ] || usage
    local rehearsal=${PPX_VALIDATE_REHEARSAL:-0}
    [ "$rehearsal" = 1 ] || probe # first: without a GPU nothing else happens
    DIR=$(cd "$1" 2>/dev/null && pwd) ||
        { echo "validate_gpu: $1: no such bundle folder" >&2; exit 1; }
    [ -x "$DIR/bin/ppexec" ] && [ -x "$DIR/bin/ppsim" ] ||
        { echo "validate_gpu: $DIR has no bin/ppexec or bin/ppsim (validate_gpu.sh --prepare)" >&2; exit 1; }
    out=$2
    mkdir -p "$out/logs" "$out/timelines" "$out/predict" || exit 1
    out=$(cd "$out" && pwd)
    t0=$SECONDS
    local ngpu=1
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    PPSIM=("$DIR/bin/ppsim")
    PPEXEC=("$DIR/bin/ppexec" --backend cuda)
    RANKS=1

    if [ "$rehearsal" = 1 ]; then
        row "nvidia-smi" "not run" "rehearsal without a GPU"
    else
        nvidia-smi >"$out/nvidia-smi.txt" 2>&1
        nvidia-smi -q -d CLOCK,PERFORMANCE >"$out/nvidia-smi-clocks.txt" 2>&1
        ngpu=$(nvidia-smi -L | grep -c '^GPU [0-9]')
        row "nvidia-smi" ok "$(nvidia-smi --query-gpu=name,driver_version,memory.total \
            --format=csv,noheader | head -1) ($ngpu GPU)"
    fi
    local need have
    need=$(sed -n 's/^glibc: //p' "$DIR/README.txt" 2>/dev/null)
    have=$(ldd --version 2>/dev/null | head -1 | grep -o '[0-9][0-9.]*$')
    if [ -n "$need" ] && [ -n "$have" ] &&
        [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
        row "glibc" FAILED "the bundle needs $need, this machine has $have"
    else
        row "glibc" ok "needs ${need:-?}, has ${have:-?}"
    fi
    PPX_BUNDLE_REPORT=1 "$DIR/bin/ppsim" --help >/dev/null 2>"$out/launcher.txt"
    row "libraries" ok "$(tr '\n' ';' <"$out/launcher.txt" | sed 's/;$//; s/;/; /g')"

    local siw2 siw4
    siw2=$out/split-iw-v2.csv siw4=$out/split-iw-v4.csv
    bash "$DIR/bin/split-iw-csv.sh" 2 $M >"$siw2" && bash "$DIR/bin/split-iw-csv.sh" 4 $M >"$siw4"
    local prec
    for prec in fp32 bf16; do
        local p=()
        [ $prec = bf16 ] && p=(--bf16)
        grads "gpipe-like-v2-$prec" -s looped-bfs -v 2 "${p[@]}"
        grads "1f1b-like-v4-$prec" -s interleaved-1f1b -v 4 "${p[@]}"
        grads "split-iw-v4-$prec" -f "$siw4" "${p[@]}"
    done
    predict gpipe-like-v2 -s looped-bfs -v 2
    predict 1f1b-like-v4 -s interleaved-1f1b -v 4
    predict split-iw-v4 -f "$siw4"
    if [ "$rehearsal" = 1 ]; then
        row "PyTorch GEMM timing" "not run" "rehearsal"
    else
        torch_reference
        multi_gpu "$ngpu"
    fi

    local took=$((SECONDS - t0))
    {
        echo "# GPU check: $( [ $failed -eq 0 ] && echo "all checks passed" || echo "$failed check(s) FAILED")"
        echo
        echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(hostname), $took s; bundle: $(sed -n 2p "$DIR/README.txt" 2>/dev/null)"
        echo "Workloads: check-grads ${GRAD[*]} -m $M; timing ${TIME[*]} -m $M (fp32)."
        echo
        echo "| check | result | figure | s since start |"
        echo "| --- | --- | --- | --- |"
        printf '%s\n' "${rows[@]}"
        echo
        echo "Logs: logs/; timelines of the check-grads runs: timelines/; per schedule, profile,"
        echo "costs, prediction, the five measured timelines, the median's diff: predict/NAME/."
    } >"$out/summary.md"
    echo "validate_gpu: $took s; $( [ $failed -eq 0 ] && echo "all checks passed" || echo "$failed check(s) FAILED"); summary in $out/summary.md"
    [ $failed -eq 0 ]
}

case "${1:-}" in
--prepare) shift; prepare "$@" ;;
--run) shift; run "$@" ;;
*) usage ;;
esac
