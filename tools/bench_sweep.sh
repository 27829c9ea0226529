#!/usr/bin/env bash
# bench_sweep.sh [BUILD_DIR] [RUNS] — the sweep's speed and parallel efficiency (docs/sweeps.md):
# the full grid P = 2..32 × M = 1..256 over gpipe, 1f1b and interleaved-1f1b (23,808
# configurations) with `ppsim sweep -j 1` and `-j 2`, beside the single-thread rate of
# `ppsim-bench --small` (the batch API, the sweep's own path) on a configuration of the grid's
# mean size (1f1b, P = 16, M = 128: 11,776 lowered actions; the grid averages 12,700), all in
# one run. Prints configurations per minute, lowered actions per second, and the efficiency of
# -j 2 against 2 × ppsim-bench's rate and against 2 × the -j 1 sweep, the cores each sweep
# averaged (CPU / wall) and the CPU seconds of -j 2 against -j 1. RUNS (default 3) repeats each
# and keeps the medians.
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

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Lowered actions of the reference configuration, from the sweep's own CSV.
ref=(-s 1f1b -p 16 -v 1 -m 128)
lowered_ref=$("$ppsim" sweep "${ref[@]}" -o - | awk -F, 'NR == 2 { print $12 }')

bench_rates=() j1=() j2=() c1=() c2=()
for ((r = 0; r < runs; r++)); do
    # ppsim-bench --small prints "small_us U": microseconds per configuration.
    us=$("$bench" --small 2000 "${ref[@]}" | awk '/^small_us/ { print $2 }')
    bench_rates+=("$(echo "$lowered_ref / $us" | bc -l)") # M lowered actions/s
    for j in 1 2; do
        # bash's `time`: wall and CPU (user + system) seconds of the sweep alone.
        t=$( { TIMEFORMAT='%R %U %S'; time "$ppsim" sweep "${grid[@]}" -j "$j" -o "$work/sweep-j$j.csv"; } 2>&1 )
        read -r wall user sys <<<"$t"
        cpu=$(echo "$user + $sys" | bc -l)
        if [ "$j" = 1 ]; then j1+=("$wall"); c1+=("$cpu"); else j2+=("$wall"); c2+=("$cpu"); fi
    done
    cmp -s "$work/sweep-j1.csv" "$work/sweep-j2.csv" || { echo "bench_sweep: -j 1 and -j 2 differ" >&2; exit 1; }
done

rate=$(printf '%s\n' "${bench_rates[@]}" | median)
t1=$(printf '%s\n' "${j1[@]}" | median)
t2=$(printf '%s\n' "${j2[@]}" | median)
cpu1=$(printf '%s\n' "${c1[@]}" | median)
cpu2=$(printf '%s\n' "${c2[@]}" | median)
python3 - "$work/sweep-j2.csv" "$rate" "$t1" "$t2" "$runs" "$cpu1" "$cpu2" "$(uptime)" <<'PY'
import csv, sys
path, bench, t1, t2, runs = sys.argv[1], float(sys.argv[2]) * 1e6, float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
cpu = {1: float(sys.argv[6]), 2: float(sys.argv[7])}
print(f"machine: {sys.argv[8].strip()}")
rows = list(csv.DictReader(open(path)))
ran = [r for r in rows if not r["skipped"]]
lowered = sum(int(r["lowered_actions"]) for r in ran)
n = len(rows)
print(f"grid: gpipe, 1f1b, interleaved-1f1b x P = 2..32 x M = 1..256: {n} configurations "
      f"({len(ran)} ran, {n - len(ran)} refused with a reason), {lowered / 1e6:.1f} M lowered actions")
print(f"medians of {runs} runs:")
print(f"  ppsim-bench --small (batch API), 1f1b P = 16 M = 128, one thread: {bench / 1e6:.2f} M lowered actions/s")
for j, t in ((1, t1), (2, t2)):
    print(f"  sweep -j {j}: {t:.2f} s wall ({cpu[j]:.2f} s CPU, {cpu[j] / t:.2f} cores on average), "
          f"{n / t * 60:,.0f} configurations/min, {lowered / t / 1e6:.2f} M lowered actions/s")
print(f"parallel efficiency of -j 2: {lowered / t2 / (2 * bench) * 100:.0f}% of 2 x ppsim-bench's rate, "
      f"{t1 / (2 * t2) * 100:.0f}% of 2 x the -j 1 sweep")
# Wall-time efficiency needs two idle cores: with the kernel's autogroup scheduling a busy
# machine gives a session one share however many threads it runs (then -j 2 averages about as
# many cores as -j 1). CPU seconds per grid still show whether two threads add work.
print(f"work per grid: -j 2 spends {cpu[2] / cpu[1] * 100:.0f}% of -j 1's CPU seconds"
      + ("" if cpu[2] / t2 >= 1.8 else
         f" (-j 2 averaged {cpu[2] / t2:.2f} cores: the machine was busy, so the wall-time "
         "efficiency above is a floor, not the sweep's)"))
PY
