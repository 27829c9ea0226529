#!/usr/bin/env bash
# run_cli.sh PPSIM_BINARY — positive end-to-end checks of the ppsim CLI.
#
# Every expected number here is worked out by hand from the schedule definitions, not copied from
# the program's output. With uniform costs t_F, t_B, P ranks and M micro-batches:
#   naive:        makespan = M·P·(t_F + t_B)           (one micro-batch in flight)
#   gpipe, 1f1b:  makespan = (M + P − 1)·(t_F + t_B)   (fill, steady state, drain)
#   The costs are one rank's share of the model (docs/cost-model.md): with v chunks each stage
#   takes t_F/v and t_B/v and holds act-bytes/v per micro-batch.
#   interleaved-1f1b and looped-bfs with v chunks, M ≥ P: idle/compute = (P − 1)/(v·M); each rank
#                 is busy v·M·(t_F + t_B)/v = M·(t_F + t_B), so makespan = busy·(1 + (P − 1)/(v·M)).
#   1f1b peak activation on rank r: min(P − r, M) micro-batches of act-bytes each.
# idle/total = idle / (P·makespan), idle/compute = idle / busy, summed over ranks.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" PPSIM_BINARY "$@"
readme=$(cd "$(dirname "$0")/../.." && pwd)/README.md
traces=$(cd "$(dirname "$0")/../.." && pwd)/traces/pytorch
scratch cli
cd "$work" || exit 2

# json_ok FILE EXPR... — loads FILE as JSON into d; every EXPR (Python) must be true.
# close(a, b[, tol]) compares numbers with an absolute tolerance (default 1e-9).
json_ok() {
    python3 - "$@" <<'EOF'
import json, math, sys
try:
    with open(sys.argv[1]) as f:
        d = json.load(f)
except Exception as e:
    print(f"{sys.argv[1]}: not valid JSON: {e}")
    sys.exit(1)
def close(a, b, tol=1e-9):
    return isinstance(a, (int, float)) and abs(a - b) <= tol
ok = True
for expr in sys.argv[2:]:
    try:
        good = eval(expr, {"d": d, "math": math, "close": close})
    except Exception as e:
        print(f"check raised {e!r}: {expr}")
        good = False
    if not good:
        print(f"check failed: {expr}")
        ok = False
sys.exit(0 if ok else 1)
EOF
}

# ------------------------------------------------------------------ checks

check_compare_default() {
    run 0 compare || return 1
    # Default configuration: P=4, M=8, t_F=1, t_B=2, v=2 for multi-chunk schedules.
    # naive 8·4·3 = 96; gpipe and 1f1b 11·3 = 33; interleaved and looped-bfs (v = 2, stages of
    # t_F = 0.5, t_B = 1): busy 2·8·1.5 = 24, idle 24·3/16 = 4.5, makespan 28.5.
    local name want got bad=0
    for pair in naive:96 gpipe:33 1f1b:33 interleaved-1f1b:28.5 looped-bfs:28.5; do
        name=${pair%%:*}
        want=${pair#*:}
        got=$(awk -v n="$name" '$1 == n { print $3 }' out)
        if [ -z "$got" ]; then
            echo "compare: no row for $name"
            bad=1
        elif ! awk -v a="$got" -v b="$want" 'BEGIN { exit !(a == b) }'; then
            echo "compare: $name makespan $got, expected $want"
            bad=1
        fi
    done
    [ "$bad" -eq 0 ] || { cat out; return 1; }
    # idle/total of naive: 1 - busy/(P·makespan) = 1 - 24/96 = 0.75.
    awk '$1 == "naive" { exit !($4 + 0 == 0.75) }' out || { echo "naive idle/total"; return 1; }
    # Peaks in half-size chunk activations (0.5 B): interleaved rank r holds
    # min(2(P−1−r) + (v−1)·P + 1, v·M) = 11, 9, 7, 5 of them; looped-bfs v·M = 16 on every rank.
    grep -q '^interleaved-1f1b .*  5.50,4.50,3.50,2.50$' out || { echo "interleaved peaks"; return 1; }
    grep -q '^looped-bfs .*  8,8,8,8$' out || { echo "looped-bfs peaks"; return 1; }
    grep -q "one rank's share" out || { echo "no costs rule in the header"; return 1; }
}

check_readme_table() {
    # The README's table is `ppsim compare`'s output, regenerated whenever compare changes.
    run 0 compare || return 1
    awk '/^```$/ { if (inside) exit; next } /^4 ranks, 8 micro-batches/ { inside = 1 }
         inside' "$readme" >readme_table
    diff readme_table out >/dev/null || { echo "README.md's table differs from compare:"; diff readme_table out; return 1; }
}

check_compare_json() {
    run 0 compare --json >/dev/null || return 1
    json_ok out 'isinstance(d, list)' \
        'set(e["schedule"] for e in d) >= {"naive", "gpipe", "1f1b", "interleaved-1f1b", "looped-bfs"}' \
        '[e["makespan"] for e in d if e["schedule"] == "1f1b"] == [33]' \
        'all("skipped" not in e for e in d)'
}

check_sim_1f1b_json() {
    run 0 sim -s 1f1b -p 4 -m 8 --tf 1 --tb 2 --act-bytes 1 --json || return 1
    # 2·P·M = 64 compute actions; makespan (8+4-1)·3 = 33; busy 24 per rank, idle 9;
    # idle/total = 36/132 = 3/11; idle/compute = 36/96 = 0.375; stage span on rank 0: 9/33.
    json_ok out 'd["schedule"] == "1f1b"' 'd["ranks"] == 4' 'd["stages"] == 4' \
        'd["microbatches"] == 8' 'd["chunks"] == 1' 'd["actions"] == 64' \
        'close(d["makespan"], 33)' \
        'close(d["bubble"]["idle_over_total"], 3 / 11, 1e-6)' \
        'close(d["bubble"]["idle_over_compute"], 0.375)' \
        'close(d["bubble"]["stage_span_rate"], 3 / 11, 1e-6)' \
        'close(d["analytic"]["idle_over_compute"], 0.375)' \
        'len(d["per_rank"]) == 4' \
        'all(p["rank"] == r for r, p in enumerate(d["per_rank"]))' \
        'all(close(p["peak_activation"], 4 - r) for r, p in enumerate(d["per_rank"]))' \
        'all(close(p["busy"], 24) and close(p["idle"], 9) for p in d["per_rank"])'
}

check_sim_zb_h1_json() {
    run 0 sim -s zb-h1 -p 4 -m 8 --tf 1 --ti 1 --tw 1 --act-bytes 2 --act-w-bytes 1 --json || return 1
    # Qi et al.: bubble (P−1)(t_F + t_I − t_W) = 3, a third of 1F1B's 9; worker i holds
    # (P−i+1)·M_B + (i−1)·M_W = 8, 7, 6, 5 bytes. 3·P·M = 96 compute actions.
    json_ok out 'd["actions"] == 96' 'close(d["bubble"]["stage_span_idle"], 3)' \
        'close(d["analytic"]["stage_span_idle"], 3)' \
        'd["analytic"]["peak_activation"] == [8, 7, 6, 5]' \
        '[p["peak_activation"] for p in d["per_rank"]] == [8, 7, 6, 5]'
    # A latency the 1F1B formula has no term for: no analytic value.
    run 0 sim -s 1f1b -p 4 -m 8 --comm-latency 0.1 --json || return 1
    json_ok out 'd["analytic"]["stage_span_idle"] is None' \
        'd["analytic"]["idle_over_compute"] is None' 'd["analytic"]["peak_activation"] == [4, 3, 2, 1]'
}

check_pytorch_aliases() {
    # PyTorch's class names generate PyTorch's own orders (cell for cell; the CSVs in
    # traces/pytorch/2.15 are tested in tests/test_zero_bubble.c). A DualPipeV steady state holds
    # overlapped pairs; --tfb sets their time: per stage t_F = 0.5, t_B = 1, so the default pair
    # takes 1.5 and --tfb 2 (1 per stage) shortens each of them by 0.5.
    run 0 gen -s ScheduleDualPipeV -p 2 -m 4 --format csv || return 1
    grep -q '^0F0,0F1,0F2,3F0,3I0,3W0,3F1,(0F3;3B1)OVERLAP_F_B,' out || { cat out; return 1; }
    run 0 sim -s DualPipeV -p 2 -m 4 --json || return 1
    json_ok out 'd["schedule"] == "dualpipe-v"' 'close(d["makespan"], 13)'
    run 0 sim -s dualpipe-v -p 2 -m 4 --tfb 2 --json || return 1
    json_ok out 'd["makespan"] < 13'
    run 1 sim -s dualpipe-v -p 2 -m 3 || return 1
}

check_sim_gpipe_m1() {
    run 0 sim -s gpipe -p 4 -m 1 --json || return 1
    # One micro-batch: makespan 4·3 = 12, each rank busy 3: idle/total = 36/48 = 0.75.
    json_ok out 'close(d["makespan"], 12)' 'close(d["bubble"]["idle_over_total"], 0.75)' \
        'close(d["bubble"]["idle_over_compute"], 3)'
}

check_sim_interleaved() {
    run 0 sim -s interleaved-1f1b -p 4 -m 8 -v 2 --json || return 1
    # The same model as 1f1b's 33: each of the 2 stages per rank takes t_F = 0.5, t_B = 1, so
    # busy 8·2·1.5 = 24 and makespan 24·(1 + 3/16) = 28.5; peak on rank 0: 11 chunks of 0.5 B.
    json_ok out 'd["stages"] == 8' 'd["chunks"] == 2' 'd["actions"] == 128' \
        'd["costs_per"] == "rank-share"' \
        'close(d["makespan"], 28.5)' 'close(d["bubble"]["idle_over_compute"], 3 / 16)' \
        'close(d["per_rank"][0]["peak_activation"], 5.5)'
}

check_sim_text() {
    run 0 sim -s 1f1b -p 4 -m 8 || return 1
    grep -q '^makespan  *33.0 s$' out || { echo "no 'makespan 33.0 s' line"; cat out; return 1; }
    [ "$(grep -c '^[0-3] ' out)" -eq 4 ] || { echo "expected 4 rank rows"; cat out; return 1; }
}

check_split_backward() {
    # t_I = t_W = 1 gives t_B = 2: the same 1F1B run as --tb 2.
    run 0 sim -s 1f1b -p 4 -m 8 --tf 1 --ti 1 --tw 1 --json || return 1
    json_ok out 'close(d["makespan"], 33)'
}

check_comm_latency() {
    # P=2, M=1, latency 0.5: F on rank 0 [0,1], transfer to 1.5, F [1.5,2.5], B [2.5,4.5],
    # transfer back to 5, B on rank 0 [5,7].
    run 0 sim -s 1f1b -p 2 -m 1 --comm-latency 0.5 --json || return 1
    json_ok out 'close(d["makespan"], 7)'
}

check_costs_uniform_file() {
    # A cost file with only uniform times: t_F = 2, t_B = 4 doubles the 1F1B makespan to 66.
    printf '{"format": "ppsim-costs", "version": 1, "uniform": {"tf": 2, "tb": 4}}\n' >c.json
    run 0 sim -s 1f1b -p 4 -m 8 --costs c.json --json || return 1
    json_ok out 'close(d["makespan"], 66)'
}

check_memory_csv() {
    # 1F1B, P = 2, M = 2, t_F = 1, t_B = 2, free links, 1 byte per micro-batch, by hand:
    # rank 0: F0 [0,1], F1 [1,2], B0 [4,6], B1 [7,9] -> 1 at 0, 2 at 1, 1 at 6, 0 at 9;
    # rank 1: F0 [1,2], B0 [2,4], F1 [4,5], B1 [5,7] -> 1 at 1, 1 at 4 (release, then F1), 0 at 7.
    run 0 sim -s 1f1b -p 2 -m 2 --memory mem.csv || return 1
    printf 'rank,time_s,bytes\n0,0,1\n0,1,2\n0,6,1\n0,9,0\n1,1,1\n1,4,1\n1,7,0\n' >want.csv
    diff -u want.csv mem.csv
}

check_costs_per_stage() {
    # Per-stage t_F = 2 (t_B stays 2): (M + P - 1)·4 = 44.
    printf '{"format": "ppsim-costs", "version": 1, "stages": [{"tf": 2}, {"tf": 2}, {"tf": 2}, {"tf": 2}]}\n' >c.json
    run 0 sim -s 1f1b -p 4 -m 8 --costs c.json --json || return 1
    json_ok out 'close(d["makespan"], 44)'
}

check_gen_json_roundtrip() {
    local spec ok=0
    for spec in "1f1b -p 4 -m 8" "gpipe -p 3 -m 5" "interleaved-1f1b -p 4 -m 8 -v 2" \
        "looped-bfs -p 2 -m 3 -v 3" "naive -p 3 -m 2"; do
        # shellcheck disable=SC2086  # spec is a list of words
        run 0 gen -s $spec -o s.json || return 1
        [ -s s.json ] || { echo "gen -o s.json wrote nothing"; return 1; }
        [ ! -s out ] || { echo "gen -o also wrote to stdout"; return 1; }
        json_ok s.json 'd["format"] == "ppsim-schedule"' 'd["version"] == 1' || return 1
        # shellcheck disable=SC2086
        run 0 sim -s $spec --json || return 1
        mv out a.json
        run 0 sim -f s.json --json || return 1
        python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
keys = ("makespan", "actions", "ranks", "stages", "microbatches")
bad = [k for k in keys if a[k] != b[k]]
sys.exit(print("differ:", bad, a, b) if bad else 0)' a.json out || { echo "for: $spec"; ok=1; }
    done
    no_leftovers || return 1
    return "$ok"
}

check_gen_csv_roundtrip() {
    run 0 gen -s 1f1b -p 4 -m 8 --format csv -o x.csv || return 1
    [ "$(wc -l <x.csv)" -eq 4 ] || { echo "expected 4 CSV rows (one per rank)"; return 1; }
    # Rank 0 of 1F1B, P=4: 3 warm-up forwards, then F3 and B0 alternate.
    [ "$(head -n 1 x.csv | cut -d, -f1-5)" = "0F0,0F1,0F2,0F3,0B0" ] ||
        { echo "unexpected first row: $(head -n 1 x.csv)"; return 1; }
    run 0 sim -f x.csv --json || return 1
    json_ok out 'close(d["makespan"], 33)' 'd["actions"] == 64'
}

check_gen_lowered_csv() {
    run 0 gen -s interleaved-1f1b -p 4 -m 8 --lower --format csv -o x.csv || return 1
    if ! grep -q SEND_F x.csv || ! grep -q RECV_B x.csv; then
        echo "no SEND/RECV in --lower output"
        return 1
    fi
    run 0 sim -f x.csv --json || return 1
    json_ok out 'close(d["makespan"], 28.5)' 'd["actions"] == 128'
    # PyTorch 2.15's form: one wait per send on the sending rank (its loader's rule), each
    # WAIT_SEND_F right after the backward of its cell; --no-waits writes the form of 2.14.
    local sends waits
    sends=$(grep -oE '[0-9]SEND_[FB]' x.csv | wc -l)
    waits=$(grep -o 'WAIT_SEND_[FB][0-9]*' x.csv | wc -l)
    [ "$sends" -gt 0 ] && [ "$sends" = "$waits" ] || { echo "$sends sends, $waits waits"; return 1; }
    grep -q '0B0,0WAIT_SEND_F0,' x.csv || { echo "no 0WAIT_SEND_F0 after 0B0"; return 1; }
    run 0 gen -s interleaved-1f1b -p 4 -m 8 --lower --no-waits --format csv -o y.csv || return 1
    ! grep -q WAIT y.csv || { echo "--no-waits wrote a wait"; return 1; }
    run 0 sim -f y.csv --json || return 1
    json_ok out 'close(d["makespan"], 28.5)'
    # zb-v keeps PyTorch's idle cells, which its compute_comms loader refuses: none once lowered.
    run 0 gen -s zb-v -p 2 -m 2 --lower --format csv -o z.csv || return 1
    ! grep -Eq '(^|,)(,|$)' z.csv || { echo "empty cell in a lowered CSV"; cat z.csv; return 1; }
    # PyTorch's own compute_comms file (waits, REDUCE_GRAD, UNSHARD) simulates as its
    # compute-only order: 1F1B-interleaved's (P − 1)(t_F + t_B)/v = 1.5 over 3M = 12 of work.
    run 0 sim -f "$traces/2.15/ScheduleInterleaved1F1B_p2_m4_compute_comms.csv" --json || return 1
    json_ok out 'close(d["makespan"], 13.5)'
}

check_zb_auto_costs() {
    # t_F = t_I = t_W = 1, no communication, 2x 1F1B's memory: the step cannot end before
    # 3M + P - 1 = 27 (rank 3 starts at 3 and has 24 of work) and zb-auto reaches it with no idle
    # time inside any rank's span.
    run 0 sim -s zb-auto -p 4 -m 8 --tf 1 --ti 1 --tw 1 --memory-limit 2x --json || return 1
    json_ok out 'close(d["makespan"], 27)' 'close(d["bubble"]["stage_span_rate"], 0)'
    # gen schedules for the costs it is given: 4 bytes a micro-batch under an 8-byte limit holds
    # at most 2 micro-batches per rank (with the default 1 byte it would plan for 8).
    run 0 gen -s zb-auto -p 4 -m 8 --act-bytes 4 --memory-limit 8 --format csv -o z.csv || return 1
    run 0 sim -f z.csv --act-bytes 4 --json || return 1
    json_ok out 'max(r["peak_activation"] for r in d["per_rank"]) <= 8'
}

check_gen_list() {
    run 0 gen --list || return 1
    local n
    for n in naive gpipe 1f1b interleaved-1f1b looped-bfs zb-auto zb-v-auto; do
        grep -q "^$n " out || { echo "gen --list: no $n"; return 1; }
    done
}

check_alias() {
    # PyTorch class names are accepted, case-insensitively.
    run 0 sim -s schedule1f1b -p 4 -m 8 --json || return 1
    json_ok out 'd["schedule"] == "1f1b"' 'close(d["makespan"], 33)'
}

check_timeline_analyze() {
    run 0 sim -s 1f1b -p 4 -m 8 --act-bytes 1 --json -o t.json --chrome c.json || return 1
    mv out s.json
    if [ ! -s t.json ] || [ ! -s c.json ]; then
        echo "timeline or chrome file missing"
        return 1
    fi
    no_leftovers || return 1
    json_ok t.json 'd["format"] == "ppsim-timeline"' 'd["version"] == 1' \
        'isinstance(d["events"], list) and len(d["events"]) > 0' || return 1
    json_ok c.json 'isinstance(d["traceEvents"], list) and len(d["traceEvents"]) > 0' || return 1
    run 0 analyze t.json --json || return 1
    python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
bad = [k for k in ("makespan", "actions", "ranks", "bubble") if a[k] != b[k]]
bad += ["peak_activation"] if [p["peak_activation"] for p in a["per_rank"]] != [p["peak_activation"] for p in b["per_rank"]] else []
sys.exit(print("sim and analyze differ:", bad) if bad else 0)' s.json out || return 1
    json_ok out 'close(d["makespan"], 33)' 'close(d["bubble"]["idle_over_total"], 3 / 11, 1e-6)'
}

# -o alone writes the timeline as the simulation goes (never all in memory); with --chrome the
# events are held and written from memory. Both must be the same file, and a schedule that
# cannot run must leave no file.
check_timeline_streamed() {
    local args=(sim -s interleaved-1f1b -p 4 -v 2 -m 8 --comm-latency 0.25 --act-bytes 1)
    run 0 "${args[@]}" -o alone.json || return 1
    mv out alone.txt
    run 0 "${args[@]}" -o held.json --chrome c.json || return 1
    cmp -s alone.json held.json || { echo "sim -o alone and with --chrome differ"; return 1; }
    cmp -s alone.txt out || { echo "sim -o alone prints another summary"; return 1; }
    printf '0B0,0F0\n1F0,1B0\n' >cycle.csv # rank 0's B0 waits for what needs its own F0
    run 1 sim -f cycle.csv -o dead.json || return 1
    [ ! -e dead.json ] || { echo "a deadlocked schedule left dead.json"; return 1; }
    no_leftovers
}

check_analyze_text() {
    run 0 sim -s gpipe -p 2 -m 2 -o t.json >/dev/null || return 1
    run 0 analyze t.json || return 1
    # (2 + 2 - 1)·3 = 9.
    grep -q '^makespan  *9.00 s$' out || { echo "analyze: no 'makespan 9.00 s'"; cat out; return 1; }
}

check_show() {
    run 0 show -s gpipe -p 2 -m 2 || return 1
    [ "$(grep -c '^rank ' out)" -eq 2 ] || { echo "expected 2 rank lines"; cat out; return 1; }
    grep '^rank 0' out | grep -q 'F0' || { echo "rank 0 line has no F0"; cat out; return 1; }
    run 0 sim -s gpipe -p 3 -m 2 -o t.json >/dev/null || return 1
    run 0 show t.json --width 60 || return 1
    [ "$(grep -c '^rank ' out)" -eq 3 ] || { echo "show TIMELINE: expected 3 rank lines"; return 1; }
}

# Every reader skips a leading UTF-8 byte order mark (docs/ir.md): schedule JSON and CSV, costs,
# timelines (refused as malformed JSON before) and profiles.
check_bom_everywhere() {
    local bom=$'\xef\xbb\xbf'
    run 0 gen -s 1f1b -p 2 -m 2 || return 1
    { printf '%s' "$bom"; cat out; } >s.json
    run 0 gen -s 1f1b -p 2 -m 2 --format csv || return 1
    { printf '%s' "$bom"; cat out; } >s.csv
    printf '%s{"format": "ppsim-costs", "version": 1, "uniform": {"tf": 1, "tb": 2}}\n' "$bom" >c.json
    run 0 sim -s 1f1b -p 2 -m 2 -o t0.json || return 1
    { printf '%s' "$bom"; cat t0.json; } >t.json
    printf '%s{"format": "ppsim-profile", "version": 1, "backend": "cpu", "ranks": 2, "stages": 2,
 "stage_costs": [
  {"stage": 0, "rank": 0, "tf": 1, "tb": 2, "ti": 1, "tw": 1, "act_bytes": 1, "act_w_bytes": 0, "send_bytes": 0, "repeats": 1},
  {"stage": 1, "rank": 1, "tf": 1, "tb": 2, "ti": 1, "tw": 1, "act_bytes": 1, "act_w_bytes": 0, "send_bytes": 0, "repeats": 1}],
 "links": []}\n' "$bom" >p.json
    run 0 sim -f s.json || return 1
    run 0 sim -f s.csv || return 1
    run 0 sim -s 1f1b -p 2 -m 2 --costs c.json || return 1
    run 0 analyze t.json || return 1
    run 0 calibrate p.json || return 1
}

# show draws each rank from its own events: linear in events, not ranks × events. 65,536 ranks
# with one micro-batch (about 262,000 events) took 110 s when every rank scanned every event;
# linear it takes what sim takes (about 1 s here, 22 s under valgrind), so 60 s is a wide margin.
check_show_many_ranks() {
    timeout -k 2 60 "$ppsim" show -s 1f1b -p 65536 -m 1 --width 20 >out 2>err
    local rc=$?
    [ $rc -eq 0 ] || { echo "show -p 65536 -m 1: exit $rc (124: over 60 s)"; return 1; }
    [ "$(grep -c '^rank ' out)" -eq 65536 ] || { echo "expected 65536 rank lines"; return 1; }
    # Rank 0 starts with F0 at time 0; the last rank idles until F0 reaches it a third of the
    # way in ((P - 1)·t_F of (P - 1)·(t_F + t_B) + t_F + t_B), then its B0 hides its 1-s F0 in
    # the same column of 20.
    grep -q '^rank 0  | F' out || { echo "rank 0's line: $(grep '^rank 0 ' out)"; return 1; }
    grep -q '^rank 65535| \.\.\.\.\.\.B' out ||
        { echo "last rank's line: $(grep '^rank 65535' out)"; return 1; }
}

# help_mentions CMD OPTION... — `ppsim CMD --help` exits 0, prints to stdout, names each option.
help_mentions() {
    local cmd=$1 o bad=0
    shift
    run 0 "$cmd" --help || return 1
    [ ! -s err ] || { echo "$cmd --help wrote to stderr"; return 1; }
    for o in "$@"; do
        grep -q -e "$o" out || { echo "$cmd --help does not mention $o"; bad=1; }
    done
    return "$bad"
}

check_help() {
    help_mentions sim -- '-s, --schedule' '-f, --file' '-p, --ranks' '-m, --microbatches' \
        '-v, --chunks' '--tf' '--tb' '--ti' '--tw' '--costs' '--comm-latency' '--act-bytes' \
        '--json' '-o, --output' '--chrome' || return 1
    help_mentions gen -- '-s, --schedule' '-p, --ranks' '-m, --microbatches' '-v, --chunks' \
        '--format' '--lower' '-o, --output' '--list' || return 1
    help_mentions compare -- '-s, --schedule' '-p, --ranks' '-m, --microbatches' '--json' \
        '--tf' || return 1
    help_mentions analyze -- '--json' 'TIMELINE' || return 1
    help_mentions show -- '--width' '-s, --schedule' '-f, --file' 'TIMELINE' || return 1
}

check_main_help() {
    run 0 --help || return 1
    local c
    for c in sim gen compare analyze show; do
        grep -q "^  $c " out || { echo "ppsim --help does not list $c"; return 1; }
    done
    run 0 --version || return 1
    grep -q '^ppsim [0-9]' out || { echo "--version: $(cat out)"; return 1; }
}

check compare_default check_compare_default
check readme_table check_readme_table
check compare_json check_compare_json
check sim_1f1b_json check_sim_1f1b_json
check sim_gpipe_m1 check_sim_gpipe_m1
check sim_interleaved check_sim_interleaved
check sim_zb_h1_json check_sim_zb_h1_json
check pytorch_aliases check_pytorch_aliases
check sim_text check_sim_text
check split_backward check_split_backward
check comm_latency check_comm_latency
check costs_uniform_file check_costs_uniform_file
check costs_per_stage check_costs_per_stage
check memory_csv check_memory_csv
check gen_json_roundtrip check_gen_json_roundtrip
check gen_csv_roundtrip check_gen_csv_roundtrip
check gen_lowered_csv check_gen_lowered_csv
check zb_auto_costs check_zb_auto_costs
check gen_list check_gen_list
check alias check_alias
check timeline_analyze check_timeline_analyze
check timeline_streamed check_timeline_streamed
check analyze_text check_analyze_text
check show check_show
check show_many_ranks check_show_many_ranks
check bom_everywhere check_bom_everywhere
check help check_help
check main_help check_main_help

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
