#!/usr/bin/env bash
# bench_sweep.sh [BUILD_DIR] [RUNS] — the sweep's speed and parallel efficiency (docs/sweeps.md):
# the full grid P = 2..32 × M = 1..256 over gpipe, 1f1b and interleaved-1f1b (23,808
# configurations) with `ppsim sweep -j 1` and `-j 2`, beside the single-thread end-to-end rate of
# `ppsim-bench` on the grid's largest 1F1B configuration, all in one run. Prints configurations
# per minute, lowered actions per second, and the efficiency of -j 2 against 2 × ppsim-bench's
# rate and against 2 × the -j 1 sweep. RUNS (default 3) repeats each and keeps the medians.
# The machine is shared: run it under nice, and read the ratios rather than the absolute rates.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
runs=${2:-3}
ppsim=$build/tools/ppsim
bench=$build/tools/ppsim-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grid=(-s gpipe,1f1b,interleaved-1f1b -p 2-32 -m 1-256)

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench_rates=() j1=() j2=()
for ((r = 0; r < runs; r++)); do
    # ppsim-bench prints "end to end  T s  R M lowered actions/s"; keep R.
    bench_rates+=("$("$bench" -s 1f1b -p 32 -v 1 -m 256 --repeat 5 | awk '/end to end/ { print $(NF - 3) }')")
    for j in 1 2; do
        t0=$(now)
        "$ppsim" sweep "${grid[@]}" -j "$j" -o "$work/sweep-j$j.csv"
        t1=$(now)
        dt=$(echo "$t1 - $t0" | bc -l)
        if [ "$j" = 1 ]; then j1+=("$dt"); else j2+=("$dt"); fi
    done
    cmp -s "$work/sweep-j1.csv" "$work/sweep-j2.csv" || { echo "bench_sweep: -j 1 and -j 2 differ" >&2; exit 1; }
done

rate=$(printf '%s\n' "${bench_rates[@]}" | median)
t1=$(printf '%s\n' "${j1[@]}" | median)
t2=$(printf '%s\n' "${j2[@]}" | median)
python3 - "$work/sweep-j2.csv" "$rate" "$t1" "$t2" "$runs" <<'PY'
import csv, sys
path, bench, t1, t2, runs = sys.argv[1], float(sys.argv[2]) * 1e6, float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rows = list(csv.DictReader(open(path)))
ran = [r for r in rows if not r["skipped"]]
lowered = sum(int(r["lowered_actions"]) for r in ran)
n = len(rows)
print(f"grid: gpipe, 1f1b, interleaved-1f1b x P = 2..32 x M = 1..256: {n} configurations "
      f"({len(ran)} ran, {n - len(ran)} refused with a reason), {lowered / 1e6:.1f} M lowered actions")
print(f"medians of {runs} runs:")
print(f"  ppsim-bench, 1f1b P = 32 M = 256, one thread, end to end: {bench / 1e6:.2f} M lowered actions/s")
for j, t in ((1, t1), (2, t2)):
    print(f"  sweep -j {j}: {t:.2f} s, {n / t * 60:,.0f} configurations/min, "
          f"{lowered / t / 1e6:.2f} M lowered actions/s")
print(f"parallel efficiency of -j 2: {lowered / t2 / (2 * bench) * 100:.0f}% of 2 x ppsim-bench's rate, "
      f"{t1 / (2 * t2) * 100:.0f}% of 2 x the -j 1 sweep")
PY
