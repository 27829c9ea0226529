#!/usr/bin/env bash
# single_rank.sh PPEXEC PPSIM SPLIT_IW [PPEXEC_STANDIN] — a single-rank schedule runs as one plain
# process, without mpirun and without initialising MPI: every run below has OPAL_PREFIX pointing
# nowhere, under which Open MPI's MPI_Init fails (checked first), and no launcher variables. On
# the CPU backend: --check-grads over v = 2 and 4 stages in GPipe-, 1F1B- and split-I/W orders,
# --profile and its calibration; more ranks than processes is refused with a hint; --bf16 is
# refused by the CPU backend. With PPEXEC_STANDIN (ppexec over the CPU stand-in for CUDA,
# tests/cuda/standin.h): --backend cuda in fp32 and bf16 with --check-grads, and the timeline's
# byte counts by element size (4 and 2 bytes). Prints "N passed, M failed".
set -u
ppexec=$1 ppsim=$2 split_iw=$3 standin=${4:-}
# shellcheck source=tests/exec/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
small=(--hidden 64 --tokens 32 --layers 2 --timeout 30)
# No MPI launcher, and an Open MPI that cannot start: MPI_Init would fail.
nompi=(env -u OMPI_COMM_WORLD_SIZE -u OMPI_COMM_WORLD_RANK -u PMIX_RANK -u PMI_RANK -u PMI_SIZE
    -u PPEXEC_MPI OPAL_PREFIX=/nonexistent OPENBLAS_NUM_THREADS=1)

# The premise: with this environment MPI_Init fails (PPEXEC_MPI=1 forces it).
if "${nompi[@]}" PPEXEC_MPI=1 timeout 60 "$ppexec" -s looped-bfs -v 2 -m 2 "${small[@]}" \
    >"$dir/forced.log" 2>&1; then
    bad "MPI_Init succeeded with OPAL_PREFIX=/nonexistent; the checks below would prove nothing"
else
    ok "premise: with OPAL_PREFIX=/nonexistent, MPI_Init fails"
fi

# grads NAME EXE PPEXEC-ARGS...: one process; --check-grads passes on every stage.
grads() {
    local name=$1 exe=$2
    shift 2
    local log=$dir/$name.log
    if "${nompi[@]}" timeout 120 "$exe" "$@" "${small[@]}" --check-grads -o "$dir/$name.json" \
        >"$log" 2>&1 && ! grep -q FAILED "$log" &&
        [ "$(grep -c '^check-grads: stage .* ok$' "$log")" -gt 0 ]; then
        ok "$name: one process, no MPI, $(grep -c '^check-grads: stage .* ok$' "$log") stages' gradients ok"
    else
        bad "$name"; sed 's/^/     /' "$log"
    fi
}
bash "$split_iw" 4 8 >"$dir/split-iw.csv"
grads gpipe-like-v2 "$ppexec" -s looped-bfs -v 2 -m 8
grads 1f1b-like-v4 "$ppexec" -s interleaved-1f1b -v 4 -m 8
grads split-iw-v4 "$ppexec" -f "$dir/split-iw.csv"

if "${nompi[@]}" timeout 120 "$ppexec" -s interleaved-1f1b -v 2 -m 4 "${small[@]}" --repeats 4 \
    --profile "$dir/p.json" >"$dir/p.log" 2>&1 && "$ppsim" calibrate "$dir/p.json" \
    -o "$dir/c.json" >>"$dir/p.log" 2>&1; then
    ok "profile: one process, no MPI; ppsim calibrate reads it"
else
    bad "profile"; sed 's/^/     /' "$dir/p.log"
fi

if "${nompi[@]}" "$ppexec" -s 1f1b -p 2 -m 4 "${small[@]}" >"$dir/r2.log" 2>&1; then
    bad "two ranks in one process were not refused"
elif grep -q "without an MPI launcher ppexec runs one process" "$dir/r2.log"; then
    ok "two ranks without mpirun: refused, saying why"
else
    bad "two ranks without mpirun: the message does not say why"; sed 's/^/     /' "$dir/r2.log"
fi

if "${nompi[@]}" "$ppexec" -s looped-bfs -v 2 -m 2 --bf16 "${small[@]}" >"$dir/b.log" 2>&1; then
    bad "--bf16 on the cpu backend was accepted"
elif grep -q "the cpu backend computes in fp32 only" "$dir/b.log"; then
    ok "--bf16 on the cpu backend: refused"
else
    bad "--bf16 on the cpu backend: wrong message"; sed 's/^/     /' "$dir/b.log"
fi

# bytes NAME ELEMENT: the timeline's act_bytes and act_w_bytes for h = 64, b = 32, L = 2.
bytes() {
    local want
    want=$(python3 - "$dir/$1.json" "$2" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
e = int(sys.argv[2])
msg = 64 * 32 * e  # b·h elements
want = [3 * msg, 2 * msg]  # y_0..y_L held after F; y_0..y_{L-1} kept for W
got = [t["act_bytes"], t["act_w_bytes"]]
bad = [g for g, w in zip(got, want) if any(x != w for x in g)]
print("ok" if not bad else f"got {got}, want every stage {want}")
PY
)
    if [ "$want" = ok ]; then ok "$1: timeline bytes at $2 bytes per element"; else bad "$1: $want"; fi
}
if [ -n "$standin" ]; then
    grads cuda-standin-fp32 "$standin" --backend cuda -s interleaved-1f1b -v 4 -m 8
    bytes cuda-standin-fp32 4
    grads cuda-standin-bf16 "$standin" --backend cuda --bf16 -f "$dir/split-iw.csv"
    bytes cuda-standin-bf16 2
fi
bytes 1f1b-like-v4 4
finish
