#!/usr/bin/env bash
# run_explain.sh PPSIM_BINARY — `ppsim explain` and the trace-driven replay end to end:
# `explain --json` read by Python's json, `--what-if` before and after, bad what-ifs refused in
# one line naming the option and the token, the replay `sim --durations-from` of a simulated
# run, and its refusals.
#
# GPipe, P = 4, M = 8, t_F = 1 s, t_B = 2 s (docs/explain.md works it out): makespan 33 s, the
# critical path 22 compute segments and 6 free transfers summing to 33, bubble 3/11 = 27.27%,
# rank 0 holds 8 micro-batches of 1 byte. With stage 3's t_F doubled the forwards end at
# Σ t_F + (M − 1) max t_F = 19 and the backwards at 19 + Σ t_B + (M − 1) max t_B = 41 s
# (+24.24%), bubble 1 − 104/164 = 36.59% (+9.31 points); stage 0's activation doubled: 16 B.
# Its path: 0F0, 1F0, 2F0, 3F0..3F7, 3B0, 2B0, 1B0, 0B0..0B7 (test_explain.c works it out).
#
# GPipe, P = 2, M = 2 (9 s) at 18 columns of 500 ms: rank 0 F0 [0, 1] F1 [1, 2] B0 [5, 7]
# B1 [7, 9], rank 1 F0 [1, 2] F1 [2, 3] B0 [3, 5] B1 [5, 7]. Back from 0B1 (its stream and its
# input end at 7: the stream is kept), 0B0 waited for 1B0's gradient, 1B0 for its stream (1F1),
# 1F1 (stream and input at 2) for 1F0, 1F0 for 0F0's output: 1 + 1 + 1 + 2 + 2 + 2 = 9, so
# rank 0's columns 0-1 and 10-17 and rank 1's 2-9 are marked.
#
# Expected values by hand. GPipe, P = 2, M = 2, t_F = 1 s, t_B = 2 s, free links: makespan
# (M + P − 1)(t_F + t_B) = 9 s; the lowered run has 8 compute actions and 2 transfers each way,
# a SEND and a RECV each: 16 events. A simulated timeline replayed with its own durations comes
# back as it was: error 0.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" PPSIM_BINARY "$@"
scratch explain
traces=$(cd "$(dirname "$0")/../.." && pwd)/traces

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

check_json() {
    run 0 explain -s gpipe -p 4 -m 8 --tf 1 --tb 2 --json --what-if 'stage 3 tf *2' >/dev/null ||
        return 1
    python3 - <<'PY' || { head -c 2000 out; return 1; }
import json, sys
d = json.load(open("out"))
p = d["critical_path"]
segs = p["segments"]
assert d["format"] == "ppsim-explain" and d["replay"] is None, d["format"]
assert p["makespan"] == 33 and sum(s["end"] - s["start"] for s in segs) == 33
assert [s["type"] for s in segs].count("compute") == 22 and len(segs) == 28, len(segs)
assert p["seconds"]["rank"] == [17, 3, 3, 10] and p["seconds"]["kind"] == {"F": 11, "B": 22}
assert abs(p["share"]["kind"]["B"] - 2 / 3) < 1e-12
rules = {a["rule"]: a for a in d["advice"]}
assert abs(rules["microbatches"]["after"] - 3 / 19) < 1e-12, rules
assert d["what_if"]["after"]["makespan"] == 41, d["what_if"]
PY
    # A timeline: the replay's error as data, no advice.
    run 0 explain "$traces/validation/gpipe.measured.json" --json --top 1 || return 1
    python3 -c 'import json, sys; d = json.load(open("out")); sys.exit(not (
        d["source"] == "replay" and abs(d["replay"]["rel_error"]) < 0.01 and
        d["advice"] is None and d["critical_path"]["makespan"] > 0))' || { head -c 2000 out; return 1; }
}

check_what_if() {
    run 0 explain -s gpipe -p 4 -m 8 --tf 1 --tb 2 --no-advice --top 1 \
        --what-if 'stage 3 tf *2' --what-if 'stage 0 act *2' || return 1
    cat >want <<'TXT'
what-if: stage 3 tf *2, stage 0 act *2
                                 before          after     change
  makespan                       33.0 s         41.0 s    +24.24%
  bubble (idle/total)            27.27%         36.59%    +9.31 pp
  peak activation memory            8 B           16 B   +100.00%
TXT
    tail -n 5 out >got
    diff -u want got || return 1
    # One option with both changes, comma-separated, is the same.
    run 0 explain -s gpipe -p 4 -m 8 --tf 1 --tb 2 --no-advice --top 1 \
        --what-if 'stage 3 tf =2, stage 0 act *2' || return 1
    tail -n 3 out | diff - <(tail -n 3 want) || return 1
}

check_what_if_refusals() {
    one_line 2 "ppsim explain: --what-if: 'stage 3 tq *2': 'tq' is not a cost (tf, tb, ti, tw or act)" \
        explain -s gpipe -p 4 -m 8 --what-if 'stage 3 tq *2' || return 1
    one_line 2 "ppsim explain: --what-if: 'stage three tf *2': 'three' is not a stage number" \
        explain -s gpipe -p 4 -m 8 --what-if 'stage three tf *2' || return 1
    one_line 2 "ppsim explain: --what-if: 'stage 3 tf /2': '/2' is not a change (*FACTOR, =VALUE or +VALUE)" \
        explain -s gpipe -p 4 -m 8 --what-if 'stage 3 tf /2' || return 1
    one_line 1 "ppsim explain: --what-if: 'stage 9 tf *2': stage 9: the schedule has 4 stages (0..3)" \
        explain -s gpipe -p 4 -m 8 --no-advice --what-if 'stage 9 tf *2' || return 1
    # Refused before any section is printed: no critical path or sensitivities half-written.
    if grep -q "critical path\|sensitivities" out; then
        echo "a refused --what-if left sections on stdout:"; cat out; return 1
    fi
    one_line 1 "ppsim explain: --what-if: 'stage 0 tb *2': stage 0 runs no B action (its backward is split: change ti and tw)" \
        explain -s zb-h1 -p 2 -m 4 --no-advice --what-if 'stage 0 tb *2' || return 1
}

check_show_critical() {
    run 0 show -s gpipe -p 2 -m 2 --tf 1 --tb 2 --width 18 --critical || return 1
    cat >want <<'TXT'
gpipe: 2 ranks, 2 micro-batches; 0 .. 9.00 s, one column = 500 ms
rank 0  | F F ......B0  B1  
  path  | ==        ========
rank 1  | ..F F B0  B1  ....
  path  |   ========
        F forward, B backward
        = the critical path's actions (ppsim explain): 9.00 s with its transfers, the makespan
TXT
    diff -u want out || return 1
    # A timeline file: its replay's path, marked on it (a simulated one replays exactly).
    run 0 sim -s gpipe -p 2 -m 2 --tf 1 --tb 2 -o g.json || return 1
    run 0 show g.json --width 18 --critical || return 1
    diff <(sed -n 2,5p want) <(sed -n 2,5p out) || return 1
    grep -qx '        = the critical path.s actions in the replay of these durations (ppsim explain): 9.00 s with its transfers, the makespan measured 9.00 s' out ||
        { cat out; return 1; }
}

check_plot_critical() {
    # The data block of the outlined boxes: the 22 compute actions of the path, by hand.
    run 0 plot timeline -s gpipe -p 4 -m 8 --tf 1 --tb 2 --critical --no-render -o c.png ||
        return 1
    sed -n '/^# critical path/,/^$/p' c.dat | sed 1d | awk 'NF' | awk '{print $4}' |
        tr -d '"' | sort >got
    printf '%s\n' 0F0 1F0 2F0 3F0 3F1 3F2 3F3 3F4 3F5 3F6 3F7 3B0 2B0 1B0 \
        0B0 0B1 0B2 0B3 0B4 0B5 0B6 0B7 | sort >want
    diff want got || return 1
    grep -q "datafile index 'critical' .* with boxxyerror fs empty border lw 2.5 lc rgb '#000000' notitle" c.gp &&
        grep -q "keyentry .* title 'critical path'" c.gp || { cat c.gp; return 1; }
    one_line 2 "ppsim plot: --critical applies to plot timeline" \
        plot memory -s gpipe -p 4 -m 8 --critical -o m.png || return 1
}

check json check_json
check what_if check_what_if
check what_if_refusals check_what_if_refusals
check show_critical check_show_critical
check plot_critical check_plot_critical
check replay_of_a_simulated_run check_replay_of_a_simulated_run
check replay_refusals check_replay_refusals

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
