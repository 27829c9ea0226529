#!/usr/bin/env bash
# bench_compare.sh — the before/after of docs/performance.md: an older ppsim-bench against this
# build's, and the tight reference loop, run interleaved (old, new, bound, old, new, bound, ...)
# on one machine so that load from other work hits all three alike; prints each round and the
# medians and ratios of generate + simulate + analyze (the old benchmark's "end to end", which
# includes its lowering, since it cannot simulate without it).
# Usage: bash tools/bench_compare.sh OLD_PPSIM_BENCH [ROUNDS] [-- BENCH ARGS]
#        (default 5 rounds; BENCH ARGS, e.g. -m 1024, go to all three)
set -euo pipefail
cd "$(dirname "$0")/.."
old=${1:?usage: bench_compare.sh OLD_PPSIM_BENCH [ROUNDS] [-- BENCH ARGS]}
shift
rounds=5
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    rounds=$1
    shift
fi
[ "${1:-}" = "--" ] && shift
args=("$@")
new=build/tools/ppsim-bench
bound=build/tools/ppsim-bench-bound
for b in "$old" "$new" "$bound"; do
    [ -x "$b" ] || { echo "bench_compare: $b is not an executable (build first)" >&2; exit 1; }
done

# The last field named $2 in the output $1 (the old benchmark prints "end to end  X s ...").
field() { awk -v k="$2" '$1 == k { print $2 }' <<<"$1"; }

olds=() news=() bounds=()
for ((i = 1; i <= rounds; i++)); do
    o=$("$old" --repeat 1 "${args[@]}")
    n=$("$new" --repeat 1 --no-io "${args[@]}")
    b=$("$bound" --repeat 1 "${args[@]}")
    ot=$(awk '/end to end/ { print $4 }' <<<"$o")
    nt=$(field "$n" e2e_seconds)
    bt=$(field "$b" bound_seconds)
    [ -n "$ot" ] && [ -n "$nt" ] && [ -n "$bt" ] || { echo "bench_compare: unexpected output" >&2; exit 1; }
    printf 'round %d: old %.4f s, new %.4f s, bound %.4f s\n' "$i" "$ot" "$nt" "$bt"
    olds+=("$ot") news+=("$nt") bounds+=("$bt")
done
python3 - "${olds[*]}" "${news[*]}" "${bounds[*]}" <<'PY'
import statistics, sys
old, new, bound = ([float(x) for x in a.split()] for a in sys.argv[1:4])
mo, mn, mb = statistics.median(old), statistics.median(new), statistics.median(bound)
print(f"medians of {len(old)} rounds: old {mo:.4f} s, new {mn:.4f} s, bound {mb:.4f} s")
print(f"new is {mo / mn:.1f}x the old rate; new / bound = {mn / mb:.2f}")
PY
