#!/usr/bin/env bash
# run_plan.sh PPSIM_BINARY TRACES_DIR — end-to-end checks of `ppsim plan` (docs/planner.md): the
# table, the layout a model file fixes, "nothing fits", the same answer on 1 and 2 threads, a
# progress line on a terminal and none off it, and the winner's costs reproduced by `ppsim sim`.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" "PPSIM_BINARY TRACES_DIR" "$@"
traces=$(abspath "$2")
scratch plan
pp_timeout=120 # lib.sh's run: a plan over 64 GPUs takes seconds
model7=$traces/models/llama2-7b-like.json

# The table's rows: lines starting with a rank number.
rows() {
    grep -E '^[0-9]+ +[a-z0-9-]+ +[0-9]+ ' "$1"
}

check_help() {
    run 0 plan --help || return 1
    grep -q '^Usage: ppsim plan --model MODEL.json --gpus N' out
}

check_table() {
    run 0 plan --model "$model7" --gpus 8 --top 3 || return 1
    [ "$(rows out | wc -l)" -eq 3 ] || { echo "expected 3 rows"; cat out; return 1; }
    # Off a terminal stderr stays empty: no progress line.
    [ ! -s err ] || { echo "stderr not empty:"; cat err; return 1; }
    # Rows are fastest first; pp x tp x dp = 8; every peak within the 80 GB limit.
    rows out | awk '{ if ($3 * $4 * $5 != 8) exit 1 }' || { echo "pp x tp x dp != 8"; return 1; }
    grep -q '^#1 layers per stage: ' out || { echo "no layers line"; return 1; }
    grep -q '^#2 .*step time' out || { echo "no runner-up line"; return 1; }
}

check_threads_agree() {
    # The same table on 1 and 2 threads (the count of unsimulated ones may differ).
    run 0 plan --model "$model7" --gpus 64 -j 1 || return 1
    sed -n '/^#  *schedule/,$p' out >one
    run 0 plan --model "$model7" --gpus 64 -j 2 || return 1
    sed -n '/^#  *schedule/,$p' out >two
    [ -s one ] && diff one two >/dev/null || { echo "tables differ:"; diff one two; return 1; }
}

check_progress_on_a_terminal() {
    # On a terminal (util-linux `script` gives one), stderr shows "plan: N/M configurations"
    # lines ended by a carriage return, erased before the table.
    command -v script >/dev/null || { echo "(script not installed: skipped)"; return 0; }
    script -qfec "$ppsim plan --model $model7 --gpus 8 --top 1" typescript >/dev/null 2>&1 ||
        { echo "plan on a terminal failed"; return 1; }
    grep -aq 'plan: [0-9]*/[0-9]* configurations' typescript || { echo "no progress line"; return 1; }
    grep -aq '^1 ' typescript || { echo "no table"; return 1; }
}

check_layout_from_file() {
    python3 - "$model7" <<'EOF' >fixed.json
import json, sys
d = json.load(open(sys.argv[1]))
d["training"]["layout"] = {"pp": 4, "tp": 2, "dp": 2}
json.dump(d, sys.stdout)
EOF
    run 0 plan --model fixed.json || return 1
    rows out | awk '{ if ($3 != 4 || $4 != 2 || $5 != 2) exit 1 }' || { cat out; return 1; }
    grep -q '16 GPUs' out || { echo "N is not pp x tp x dp = 16"; return 1; }
}

check_nothing_fits() {
    run 0 plan --model "$model7" --gpus 8 --memory-limit 1e9 || return 1
    grep -q '^nothing fits in 1.00 GB per GPU$' out || { cat out; return 1; }
    grep -q 'parameters and optimizer state over the limit' out || { cat out; return 1; }
}

check_costs_reproduce_the_pipeline() {
    # pp = 8, tp = 1, dp = 1: no data-parallel all-reduce, so plan's step is sim's makespan.
    run 0 plan --model "$model7" --gpus 8 --pp 8 --tp 1 -s 1f1b --recompute full \
        --top 1 --write-costs costs.json || return 1
    local row
    row=$(rows out | head -n 1)
    read -r _ name pp _ _ v _ m _ step unit _ <<<"$row"
    run 0 sim -s "$name" -p "$pp" -m "$m" -v "$v" --costs costs.json --json || return 1
    python3 - "$step" "$unit" out <<'EOF'
import json, sys
step, unit = float(sys.argv[1]), sys.argv[2]
scale = {"s": 1, "ms": 1e-3, "min": 60}[unit]
d = json.load(open(sys.argv[3]))
# The table shows three significant digits.
got = d["makespan"]
if abs(got - step * scale) > 0.005 * got:
    print(f"sim makespan {got} s, plan step {step} {unit}")
    sys.exit(1)
EOF
}

for t in check_help check_table check_threads_agree check_progress_on_a_terminal \
    check_layout_from_file check_nothing_fits check_costs_reproduce_the_pipeline; do
    check "$t" "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
