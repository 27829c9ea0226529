#!/usr/bin/env bash
# fail_fast.sh PPEXEC PPSIM — ppexec refuses what cannot work before it runs anything:
# - a schedule that the simulator finds deadlocked (compute-only and lowered) ends at once, under
#   mpirun, with the message `ppsim sim` gives (prefix "ppexec: " for "ppsim sim: "), instead of
#   waiting out --timeout;
# - an unwritable -o fails before the warm-up step, with one line from rank 0, and leaves nothing;
# - options that do nothing together are usage errors (exit 2, one line): --profile with -o,
#   --check-grads, --grad-tolerance or --warmup; --repeats without --profile;
#   --grad-tolerance without --check-grads.
# Prints "N passed, M failed".
set -u
ppexec=$(realpath "$1") ppsim=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/exec/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
# No MPI launcher: the usage checks run in one plain process.
nompi=(env -u OMPI_COMM_WORLD_SIZE -u OMPI_COMM_WORLD_RANK -u PMIX_RANK -u PMI_RANK -u PMI_SIZE
    -u PPEXEC_MPI OPENBLAS_NUM_THREADS=1)
small=(--hidden 64 --tokens 32 --layers 2)

# Deadlocked schedules: each rank runs B0 before F1 on rank 0 while rank 1 needs F1 first.
printf '0F0,0B0,0F1,0B1\n1F0,1F1,1B0,1B1\n' >"$dir/deadlock.csv"
printf '0F0,0SEND_F0,0RECV_B0,0B0,0F1,0SEND_F1,0RECV_B1,0B1\n' >"$dir/deadlock_lowered.csv"
printf '1RECV_F0,1F0,1RECV_F1,1F1,1B0,1SEND_B0,1B1,1SEND_B1\n' >>"$dir/deadlock_lowered.csv"
for name in deadlock deadlock_lowered; do
    f=$dir/$name.csv
    want=$("$ppsim" sim -f "$f" 2>&1 >/dev/null)
    case "$want" in
    "ppsim sim: deadlock: "*) ;;
    *) bad "$name: the premise fails: ppsim sim says: $want"; continue ;;
    esac
    want="ppexec: ${want#ppsim sim: }"
    start=$(date +%s.%N)
    timeout 120 bash "$here/mpirun.sh" 2 "$ppexec" -f "$f" "${small[@]}" --warmup 0 \
        >"$dir/$name.out" 2>"$dir/$name.err"
    rc=$?
    took=$(echo "$(date +%s.%N) - $start" | bc)
    got=$(grep '^ppexec:' "$dir/$name.err")
    # 20 s: mpirun's own start and end take a few seconds on two busy cores; the wait it
    # replaces is the default --timeout of 60 s.
    if [ "$rc" -eq 1 ] && [ "$got" = "$want" ] && [ "$(echo "$took < 20" | bc)" -eq 1 ]; then
        ok "$name: refused in ${took}s with ppsim sim's message"
    else
        bad "$name: exit $rc after ${took}s; expected exit 1 and: $want"
        sed 's/^/     /' "$dir/$name.err"
    fi
done

# An unwritable -o: found before any step, one line from rank 0, exit 1, no file anywhere.
mkdir "$dir/out"
start=$(date +%s.%N)
timeout 120 bash "$here/mpirun.sh" 2 "$ppexec" -s 1f1b -m 8 --hidden 256 --tokens 128 \
    --warmup 2 --verbose -o "$dir/no/such/dir/m.json" >"$dir/o.out" 2>"$dir/o.err"
rc=$?
took=$(echo "$(date +%s.%N) - $start" | bc)
if [ "$rc" -eq 1 ] && [ "$(grep -c '^ppexec:' "$dir/o.err")" -eq 1 ] &&
    grep -qx "ppexec: rank 0: $dir/no/such/dir/m.json: cannot write: No such file or directory" \
        "$dir/o.err" && ! grep -q 'step started' "$dir/o.err"; then
    ok "unwritable -o: refused before the warm-up step (${took}s)"
else
    bad "unwritable -o: exit $rc after ${took}s, $(grep -c 'step started' "$dir/o.err") step starts"
    sed 's/^/     /' "$dir/o.err"
fi

# usage NAME ARGS...: exit 2, exactly one line naming both options, nothing written.
usage() {
    local name=$1
    shift
    (cd "$dir/out" && "${nompi[@]}" timeout 60 "$ppexec" -s 1f1b -p 1 -m 2 "${small[@]}" "$@" \
        >"$dir/u.out" 2>"$dir/u.err")
    local rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$dir/u.err")" -eq 1 ] &&
        grep -q "^ppexec: rank 0: .*$name" "$dir/u.err" && [ -z "$(ls -A "$dir/out")" ]; then
        ok "refused: $* ($(cat "$dir/u.err"))"
    else
        bad "not refused as a usage error: $* (exit $rc; files: $(ls -A "$dir/out"))"
        sed 's/^/     /' "$dir/u.err"
    fi
    rm -rf "${dir:?}/out/"* "$dir/out/".[!.]* 2>/dev/null
}
usage "--profile.*-o" --profile p.json -o m.json
usage "--profile.*--check-grads" --profile p.json --check-grads
usage "--profile.*--grad-tolerance" --profile p.json --grad-tolerance 1e-3
usage "--profile.*--warmup" --profile p.json --warmup 2
usage "--repeats.*--profile" --repeats 5
usage "--grad-tolerance.*--check-grads" --grad-tolerance 1e-3

finish
