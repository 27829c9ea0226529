#!/usr/bin/env bash
# kill_rank.sh PPEXEC — kills rank 1 of a running 2-rank step with SIGKILL and checks that the
# job ends within 10 s and that rank 0 wrote its events so far, marked incomplete.
set -u
ppexec=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$dir/measured.json

# Long enough (hundreds of ms per micro-batch pair) that the kill lands mid-run. The arguments'
# order differs from older copies of this test, which picked their victim by "-s 1f1b -m 200
# --hidden 512" and so could kill this run's rank from another checkout.
bash "$here/mpirun.sh" 2 "$ppexec" -m 200 -s 1f1b --hidden 512 --tokens 256 --layers 2 \
    --warmup 0 --verbose -o "$out" >"$dir/log" 2>&1 &
job=$!

victim=""
for _ in $(seq 300); do # wait (up to 30 s) until both ranks are inside the measured step
    [ "$(grep -c 'measured step started' "$dir/log")" -eq 2 ] && break
    sleep 0.1
done
for _ in $(seq 100); do # find rank 1's process: its command line names this run's own output
    # path ($dir is unique), so a concurrent run of this test elsewhere is never the victim
    for p in $(pgrep -f -- "-o $out"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then
            victim=$p
        fi
    done
    [ -n "$victim" ] && break
    sleep 0.1
done
fail() { echo "FAIL $*"; sed 's/^/     /' "$dir/log"; echo "0 passed, 1 failed"; exit 1; }
[ -n "$victim" ] || fail "rank 1 never started"
sleep 0.5
kill -9 "$victim"
killed=$(date +%s.%N)
for _ in $(seq 100); do
    kill -0 "$job" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$job" 2>/dev/null && { kill -9 "$job"; fail "the job still ran 10 s after the kill"; }
wait "$job" && fail "the job exited 0 after a rank was killed"
took=$(echo "$(date +%s.%N) - $killed" | bc)
[ -f "$out.rank0.json" ] || fail "rank 0 wrote no partial timeline ($out.rank0.json)"
grep -q '"incomplete": true' "$out.rank0.json" || fail "the partial timeline is not marked incomplete"
[ -e "$out" ] && fail "a complete timeline was written for an aborted run"
echo "ok   job ended ${took}s after the kill; rank 0 wrote $(grep -c '^\[0,' "$out.rank0.json") events, marked incomplete"
echo "1 passed, 0 failed"
