#!/usr/bin/env bash
# gpu_bundle.sh VALIDATE_GPU BUILD_DIR [PPEXEC_STANDIN] — the GPU check's bundle and run, as far
# as a machine without a GPU can take them (tools/validate_gpu.sh, docs/executor-cuda.md):
# - --prepare DIR --build-dir BUILD bundles this build's ppsim and ppexec; the bundle, moved to
#   another folder, runs `ppsim compare` and a single-rank `ppexec --backend cpu --check-grads`
#   with LD_LIBRARY_PATH pointing into it only, and every library but glibc's, the C++ runtime's
#   and the CUDA toolkit's resolves inside it; its launchers work from there too;
# - --run on this machine (no GPU) stops after its first probe: one line, exit 2, no OUTDIR;
# - with PPEXEC_STANDIN (ppexec over the CPU stand-in for CUDA): the whole --run, rehearsed with
#   tiny workloads (PPX_VALIDATE_REHEARSAL=1), writes summary.md and passes every judged check.
# Prints "N passed, M failed".
set -u
validate=$1 build=$2 standin=${3:-}
# shellcheck source=tests/exec/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
nompi=(env -u OMPI_COMM_WORLD_SIZE -u OMPI_COMM_WORLD_RANK -u PMIX_RANK -u PMI_RANK -u PMI_SIZE
    -u PPEXEC_MPI OPAL_PREFIX=/nonexistent OPENBLAS_NUM_THREADS=1)

if ! bash "$validate" --prepare "$dir/bundle" --build-dir "$build" >"$dir/prepare.log" 2>&1; then
    bad "--prepare failed"; sed 's/^/     /' "$dir/prepare.log"
    finish; exit 1
fi
ok "prepare: $(tail -1 "$dir/prepare.log")"
mkdir "$dir/elsewhere" && mv "$dir/bundle" "$dir/elsewhere/moved"
b=$dir/elsewhere/moved

# Every library the binaries load, with LD_LIBRARY_PATH into the bundle only.
outside=$(for exe in "$b"/libexec/*; do LD_LIBRARY_PATH=$b/lib ldd "$exe"; done |
    awk '/=>/ {print $1, $3}' | sort -u | while read -r name path; do
        case "$name" in
        libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-linux*) continue ;;
        libstdc++.so.* | libgcc_s.so.* | libcudart.so.* | libcublas*.so.*) continue ;;
        esac
        case "$path" in "$b"/lib/*) ;; *) echo "$name => $path" ;; esac
    done)
if [ -z "$outside" ]; then
    ok "moved bundle: every library but glibc's, libstdc++, libgcc_s and CUDA's resolves inside it"
else
    bad "moved bundle: libraries from outside it: $(tr '\n' ';' <<<"$outside")"
fi

if LD_LIBRARY_PATH=$b/lib "$b/libexec/ppsim" compare -p 4 -m 8 >"$dir/compare.log" 2>&1 &&
    grep -q '^1f1b ' "$dir/compare.log"; then
    ok "moved bundle: ppsim compare ($(grep -c '^[a-z]' "$dir/compare.log") lines)"
else
    bad "moved bundle: ppsim compare"; sed 's/^/     /' "$dir/compare.log"
fi
if "${nompi[@]}" LD_LIBRARY_PATH="$b/lib" "$b/libexec/ppexec" --backend cpu -s interleaved-1f1b \
    -v 2 -m 4 --hidden 64 --tokens 32 --layers 2 --check-grads >"$dir/grads.log" 2>&1 &&
    [ "$(grep -c '^check-grads: stage .* ok$' "$dir/grads.log")" -eq 2 ]; then
    ok "moved bundle: single-rank ppexec --backend cpu --check-grads, one process, no MPI"
else
    bad "moved bundle: ppexec --check-grads"; sed 's/^/     /' "$dir/grads.log"
fi
if "${nompi[@]}" "$b/bin/ppexec" -s looped-bfs -v 2 -m 2 --hidden 64 --tokens 32 --check-grads \
    >"$dir/launcher.log" 2>&1 && PPX_BUNDLE_REPORT=1 "$b/bin/ppsim" --help >/dev/null \
    2>>"$dir/launcher.log" && grep -q "^bundle: $b\$" "$dir/launcher.log"; then
    ok "moved bundle: its launchers run from there"
else
    bad "moved bundle: launchers"; sed 's/^/     /' "$dir/launcher.log"
fi

# No GPU here: the first probe stops --run with one line and exit 2, before OUTDIR exists.
PATH=/usr/bin:/bin bash "$b/validate_gpu.sh" --run "$b" "$dir/out" >"$dir/run.log" 2>&1
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$dir/run.log")" -eq 1 ] && [ ! -e "$dir/out" ]; then
    ok "--run without a GPU: exit 2, one line: $(cat "$dir/run.log")"
else
    bad "--run without a GPU: exit $rc, $(wc -l <"$dir/run.log") lines, OUTDIR $( [ -e "$dir/out" ] && echo created || echo absent)"
    sed 's/^/     /' "$dir/run.log"
fi

if [ -n "$standin" ]; then
    cp "$standin" "$b/libexec/ppexec"
    if PPX_VALIDATE_REHEARSAL=1 OPENBLAS_NUM_THREADS=1 timeout 600 bash "$b/validate_gpu.sh" --run "$b" \
        "$dir/rehearsal" >"$dir/rehearsal.log" 2>&1 && [ -f "$dir/rehearsal/summary.md" ] &&
        [ "$(grep -c '^| check-grads .* | ok |' "$dir/rehearsal/summary.md")" -eq 6 ] &&
        [ "$(grep -c '^| predict .* | not judged (rehearsal) |' "$dir/rehearsal/summary.md")" -eq 3 ] &&
        [ -f "$dir/rehearsal/predict/split-iw-v4/diff.txt" ]; then
        ok "--run rehearsed over the CUDA stand-in: $(tail -1 "$dir/rehearsal.log")"
    else
        bad "--run rehearsal"; sed 's/^/     /' "$dir/rehearsal.log"
        [ -f "$dir/rehearsal/summary.md" ] && sed 's/^/     /' "$dir/rehearsal/summary.md"
    fi
fi
finish
