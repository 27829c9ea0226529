#!/usr/bin/env bash
# run_explain.sh PPSIM_BINARY — `ppsim explain` and the trace-driven replay end to end: the
# replay `sim --durations-from` of a simulated run, and its refusals, each one line.
#
# Expected values by hand. GPipe, P = 2, M = 2, t_F = 1 s, t_B = 2 s, free links: makespan
# (M + P − 1)(t_F + t_B) = 9 s; the lowered run has 8 compute actions and 2 transfers each way,
# a SEND and a RECV each: 16 events. A simulated timeline replayed with its own durations comes
# back as it was: error 0.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 PPSIM_BINARY" >&2
    exit 2
fi
case "$1" in /*) ppsim=$1 ;; *) ppsim=$(pwd)/$1 ;; esac
work=$(mktemp -d "${TMPDIR:-/tmp}/ppsim-explain.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"

# one_line RC WANT ARGS... — ppsim ARGS exits RC with exactly the stderr line WANT.
one_line() {
    local rc=$1 want=$2
    shift 2
    run "$rc" "$@" || return 1
    [ "$(wc -l <err)" -eq 1 ] && [ "$(cat err)" = "$want" ] && return 0
    echo "ppsim $*: stderr:"; cat err; echo "expected: $want"
    return 1
}

check_replay_of_a_simulated_run() {
    run 0 sim -s gpipe -p 2 -m 2 --tf 1 --tb 2 -o pred.json || return 1
    run 0 sim --durations-from pred.json -o replay.json || return 1
    grep -qx 'makespan           9.00 s' out || { cat out; return 1; }
    grep -qx 'replay of pred.json (every action with its measured duration): makespan 9.00 s against 9.00 s measured (+0.00%); median start error 0 s = 0.00% of the makespan over 16 actions' out ||
        { cat out; return 1; }
    # The same with the schedule named; `diff` reads the replay's timeline.
    run 0 sim -s gpipe -p 2 -m 2 --durations-from pred.json || return 1
    grep -q '(+0.00%)' out || { cat out; return 1; }
    run 0 diff --json replay.json pred.json || return 1
    python3 -c 'import json, sys; d = json.load(open("out")); sys.exit(not (
        d["makespan"]["measured"] == 9 and d["makespan"]["rel_error"] == 0))' ||
        { cat out; return 1; }
}

check_replay_refusals() {
    run 0 sim -s gpipe -p 2 -m 2 --tf 1 --tb 2 -o pred.json || return 1
    one_line 1 "ppsim sim: pred.json: replay: the timeline has 2 stages and 2 micro-batches, the prices 2 and 4" \
        sim -s gpipe -p 2 -m 4 --durations-from pred.json || return 1
    one_line 1 "ppsim sim: pred.json: \$.schedule: the timeline ran 'gpipe', not '1f1b'" \
        sim -s 1f1b -p 2 -m 2 --durations-from pred.json || return 1
    sed 's/"schedule": "gpipe"/"schedule": "mine"/' pred.json >mine.json
    one_line 1 "ppsim sim: mine.json: \$.schedule: 'mine' is not a schedule ppsim generates; give the schedule it ran with -f FILE" \
        sim --durations-from mine.json || return 1
    one_line 1 "ppsim sim: none.json: cannot open: No such file or directory" \
        sim --durations-from none.json || return 1
}

check replay_of_a_simulated_run check_replay_of_a_simulated_run
check replay_refusals check_replay_refusals

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
