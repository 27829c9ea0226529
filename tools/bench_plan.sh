#!/usr/bin/env bash
# bench_plan.sh — times `ppsim plan` for the 7B-like model on 8 and on 64 GPUs (docs/planner.md,
# "Speed"): wall and CPU seconds (user + system), median of RUNS runs (default 3), under nice.
# The target is under 10 s of wall time on this project's 2-core machine; the CPU time says how
# much of the wall time the machine's other load took. Usage: bash tools/bench_plan.sh [PPSIM]
set -euo pipefail
cd "$(dirname "$0")/.."
ppsim=${1:-build/tools/ppsim}
runs=${RUNS:-3}
model=traces/models/llama2-7b-like.json
for gpus in 8 64; do
    walls=() cpus=()
    for _ in $(seq "$runs"); do
        out=$( { /usr/bin/time -f "%e %U %S" nice "$ppsim" plan --model "$model" --gpus "$gpus" \
                 >/dev/null; } 2>&1 | tail -n 1)
        read -r wall user sys <<<"$out"
        walls+=("$wall")
        cpus+=("$(python3 -c "print($user + $sys)")")
    done
    python3 - "$gpus" "$(nproc)" "${walls[*]}" "${cpus[*]}" <<'PY'
import statistics, sys
gpus, cores = sys.argv[1], sys.argv[2]
walls = [float(x) for x in sys.argv[3].split()]
cpus = [float(x) for x in sys.argv[4].split()]
print(f"plan 7B-like on {gpus} GPUs ({cores} threads): wall {statistics.median(walls):.2f} s, "
      f"CPU {statistics.median(cpus):.2f} s (median of {len(walls)}; "
      f"wall {min(walls):.2f}-{max(walls):.2f} s)")
PY
done
