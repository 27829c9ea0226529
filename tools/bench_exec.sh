#!/usr/bin/env bash
# bench_exec.sh [BUILD_DIR] — the executor's own overhead per action on the CPU backend: time
# outside compute and transfers. One rank runs GPipe over many micro-batches of a 1×1 workload
# (each GEMM is a few dozen nanoseconds), so the gaps between its actions are the engine's and the
# backend's bookkeeping. Prints medians over 5 runs.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
m=20000
for i in 1 2 3 4 5; do
    bash "$root/tests/exec/mpirun.sh" 1 "$build/exec/ppexec" -s gpipe -p 1 -m $m --hidden 1 \
        --tokens 1 --layers 1 --warmup 1 -o "$tmp/t$i.json" >/dev/null
    "$build/tools/ppsim" analyze --json "$tmp/t$i.json" >"$tmp/s$i.json"
done
python3 - "$tmp" <<'PY'
import json, statistics, sys
gap, wall, busy = [], [], []
for i in range(1, 6):
    s = json.load(open(f"{sys.argv[1]}/s{i}.json"))
    n = s["actions"]
    r = s["per_rank"][0]
    gap.append((s["makespan"] - r["busy"]) / n * 1e6)
    wall.append(s["makespan"] / n * 1e6)
    busy.append(r["busy"] / n * 1e6)
print(f"ppexec cpu backend, 1 rank, gpipe, {n} compute actions of a 1x1 workload, median of 5:")
print(f"  engine overhead (time between actions): {statistics.median(gap):.3f} us per action")
print(f"  inside an action (1x1 GEMMs, timestamps): {statistics.median(busy):.3f} us per action")
print(f"  wall time per action:                     {statistics.median(wall):.3f} us")
PY
