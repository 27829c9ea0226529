#!/usr/bin/env bash
# check_grads.sh PPEXEC TRACES_DIR — every schedule, run for real on the CPU backend at R = 2
# and R = 4, must produce the weight gradients of a one-process sequential run (--check-grads),
# and so must the PyTorch CSV samples. Ends with "N passed, M failed".
set -u
ppexec=$1
traces=$2
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
# A small workload: the point is the schedule's data flow, not speed.
work=(--hidden 48 --tokens 16 --layers 2 --warmup 0 --timeout 30 --check-grads)

check() { # name, ranks, ppexec arguments...
    local name=$1 np=$2
    shift 2
    local out
    if out=$(timeout 120 bash "$here/mpirun.sh" "$np" "$ppexec" "$@" "${work[@]}" 2>&1) &&
        [ "$(grep -c '^check-grads: stage .* ok$' <<<"$out")" -gt 0 ] &&
        ! grep -q FAILED <<<"$out"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name"
        sed 's/^/     /' <<<"$out"
        failed=$((failed + 1))
    fi
}

for np in 2 4; do
    check "gpipe R=$np" "$np" -s gpipe -m 6
    check "1f1b R=$np" "$np" -s 1f1b -m 6
    check "naive R=$np" "$np" -s naive -m 3
    check "interleaved-1f1b v=2 R=$np" "$np" -s interleaved-1f1b -v 2 -m $((2 * np))
    check "looped-bfs v=2 R=$np" "$np" -s looped-bfs -v 2 -m 5
done
check "interleaved-1f1b v=3 R=2" 2 -s interleaved-1f1b -v 3 -m 6
check "pytorch csv 1f1b R=4" 4 -f "$traces/pytorch/1f1b_p4_m8.csv"
check "pytorch csv interleaved R=2" 2 -f "$traces/pytorch/interleaved_p2_v2_m4.csv"
check "pytorch csv lowered R=2" 2 -f "$traces/pytorch/1f1b_p2_m2_comms.csv"
# PyTorch 2.15's own files: WAIT_SEND_F/B after posted sends, REDUCE_GRAD with its wait.
check "pytorch 2.15 interleaved compute_comms R=2" 2 \
    -f "$traces/pytorch/2.15/ScheduleInterleaved1F1B_p2_m4_compute_comms.csv"
check "pytorch 2.15 dualpipe-v compute_comms R=2" 2 \
    -f "$traces/pytorch/2.15/ScheduleDualPipeV_p2_m4_compute_comms.csv"
check "pytorch 2.15 gpipe compute_only R=2" 2 -f "$traces/pytorch/2.15/ScheduleGPipe_p2_m4_compute_only.csv"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
