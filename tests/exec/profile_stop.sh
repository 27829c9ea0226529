#!/usr/bin/env bash
# profile_stop.sh PPEXEC — `ppexec --profile` ends promptly and leaves no file behind when a rank
# stops, is signalled or is killed, as a step does:
# - a rank stopped with SIGSTOP: the others give up after --timeout (3 s here) and end the job;
# - SIGTERM to rank 0 (which holds the output's temporary) or to rank 1, with named temporaries
#   (PPSIM_NAMED_TEMPS=1, so that a leftover would show): the job ends within 10 s, exit non-zero;
# - SIGKILL to rank 0 (unnamed temporary where the filesystem allows): nothing is left;
# - SIGTERM to a single-rank profile (one process, no MPI): it stops at the next op.
# In every case no profile and no temporary file is left in the output's directory.
# Prints "N passed, M failed".
set -u
ppexec=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/exec/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
pids=() # every process this test may leave behind (stopped ranks), killed at exit
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$dir"
}
trap cleanup EXIT
# A compute phase of a few seconds on two idle cores (2000 runs of each op, 2 GEMMs of
# 128x256x256 each; 400 runs took about 1 s, too short to be caught in the act).
work=(-s 1f1b -m 4 --hidden 256 --tokens 128 --layers 2 --repeats 2000)

# rank_pid OUT RANK: the pid of the rank of this run (its command line names OUT, unique to it).
rank_pid() {
    local p
    for p in $(pgrep -f -- "--profile $1"); do
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
            echo "$p"
            return
        fi
    done
}

# wait_started OUT LOG: until both ranks of this run say (--verbose) that they are profiling,
# up to 60 s, then 0.2 s more.
wait_started() {
    for _ in $(seq 600); do
        if grep -q 'rank 0: profiling started' "$2" 2>/dev/null &&
           grep -q 'rank 1: profiling started' "$2" 2>/dev/null; then
            sleep 0.2
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# ends_within JOB SECONDS: 0 when the job ended within SECONDS; sets `took` and `rc`.
ends_within() {
    local job=$1 limit=$2 t0
    t0=$(date +%s.%N)
    took=""
    rc=""
    for _ in $(seq $((limit * 10))); do
        kill -0 "$job" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$job" 2>/dev/null; then
        took=">$limit"
        return 1
    fi
    wait "$job"
    rc=$?
    took=$(echo "$(date +%s.%N) - $t0" | bc)
    return 0
}

# leftovers D: the files in D (a profile, or a temporary `.p.json.tmp.XXXXXX`).
leftovers() { ls -A "$1" | tr '\n' ' '; }

# signal_case NAME RANK SIGNAL LIMIT [ENV...]: profile on 2 ranks, send SIGNAL to RANK once both
# profile, expect the job to end within LIMIT seconds with a non-zero exit and nothing left.
signal_case() {
    local name=$1 rank=$2 sig=$3 limit=$4
    shift 4
    local d=$dir/$name
    mkdir -p "$d/out"
    env "$@" bash "$here/mpirun.sh" 2 "$ppexec" "${work[@]}" --timeout 3 \
        --verbose --profile "$d/out/p.json" >"$d/log" 2>&1 &
    local job=$!
    if ! wait_started "$d/out/p.json" "$d/log"; then
        kill -9 "$job" 2>/dev/null
        bad "$name: the ranks never started profiling"; sed 's/^/     /' "$d/log"; return
    fi
    local victim
    victim=$(rank_pid "$d/out/p.json" "$rank")
    if [ -z "$victim" ]; then
        kill -9 "$job" 2>/dev/null
        bad "$name: rank $rank not found"; return
    fi
    pids+=("$victim" $(rank_pid "$d/out/p.json" $((1 - rank))) "$job")
    kill "-$sig" "$victim"
    if ! ends_within "$job" "$limit"; then
        bad "$name: the job still ran ${limit}s after SIG$sig to rank $rank"
        kill -CONT "$victim" 2>/dev/null
        sed 's/^/     /' "$d/log" | tail -5
        return
    fi
    local left
    left=$(leftovers "$d/out")
    if [ "$rc" -ne 0 ] && [ -z "$left" ]; then
        ok "$name: ended ${took}s after SIG$sig to rank $rank, exit $rc, nothing left ($(grep -m1 '^ppexec: rank .*: [^p]' "$d/log"))"
    else
        bad "$name: exit $rc ${took}s after SIG$sig to rank $rank; left: ${left:-nothing}"
        sed 's/^/     /' "$d/log" | tail -8
    fi
}

signal_case stopped 1 STOP 60
signal_case term-rank0 0 TERM 10 PPSIM_NAMED_TEMPS=1
signal_case term-rank1 1 TERM 10 PPSIM_NAMED_TEMPS=1
signal_case kill-rank0 0 KILL 10

# One process, no MPI: SIGTERM stops it at the next op; its named temporary goes.
mkdir -p "$dir/single/out"
env -u OMPI_COMM_WORLD_SIZE -u OMPI_COMM_WORLD_RANK -u PMIX_RANK -u PMI_RANK -u PMI_SIZE \
    -u PPEXEC_MPI OPENBLAS_NUM_THREADS=1 PPSIM_NAMED_TEMPS=1 "$ppexec" -s interleaved-1f1b -p 1 \
    -v 2 -m 4 --hidden 256 --tokens 128 --layers 2 --repeats 2000 \
    --profile "$dir/single/out/p.json" >"$dir/single/log" 2>&1 &
job=$!
pids+=("$job")
sleep 3 # it runs a few seconds: SIGTERM lands inside the compute phase
if kill -0 "$job" 2>/dev/null; then
    kill -TERM "$job"
    if ends_within "$job" 10 && [ "$rc" -ne 0 ] && [ -z "$(leftovers "$dir/single/out")" ]; then
        ok "single rank: ended ${took}s after SIGTERM, exit $rc, nothing left"
    else
        bad "single rank: exit ${rc:-none} ${took}s after SIGTERM; left: $(leftovers "$dir/single/out")"
        sed 's/^/     /' "$dir/single/log"
    fi
else
    bad "single rank: ended before the signal"; sed 's/^/     /' "$dir/single/log"
fi

finish
