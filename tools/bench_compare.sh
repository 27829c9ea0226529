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

# Field $2 of the line starting with $3 in the output $1 ("e2e_seconds W cpu C": $2 = 2 or 4).
field() { awk -v k="$3" -v f="$2" '$1 == k { print $f }' <<<"$1"; }

# CPU seconds too, since other work on a shared machine stretches wall times: the new benchmark
# and the bound print theirs; the old one's is its process's (user + system), which is its
# end-to-end phases plus a start-up of a millisecond or two.
olds=() news=() bounds=() oldc=() newc=() boundc=()
tf=$(mktemp)
trap 'rm -f "$tf"' EXIT
for ((i = 1; i <= rounds; i++)); do
    o=$(/usr/bin/time -f '%U %S' -o "$tf" "$old" --repeat 1 "${args[@]}")
    oc=$(awk '{ print $1 + $2 }' "$tf")
    n=$("$new" --repeat 1 --no-io "${args[@]}")
    b=$("$bound" --repeat 1 "${args[@]}")
    ot=$(awk '/end to end/ { print $4 }' <<<"$o")
    nt=$(field "$n" 2 e2e_seconds) nc=$(field "$n" 4 e2e_seconds)
    bt=$(field "$b" 2 bound_seconds) bc=$(field "$b" 4 bound_seconds)
    [ -n "$ot" ] && [ -n "$nt" ] && [ -n "$bt" ] || { echo "bench_compare: unexpected output" >&2; exit 1; }
    printf 'round %d: old %.4f s (cpu %.3f), new %.4f s (cpu %.4f), bound %.4f s (cpu %.4f)\n' \
        "$i" "$ot" "$oc" "$nt" "$nc" "$bt" "$bc"
    olds+=("$ot") news+=("$nt") bounds+=("$bt") oldc+=("$oc") newc+=("$nc") boundc+=("$bc")
done
python3 - "${olds[*]}" "${news[*]}" "${bounds[*]}" "${oldc[*]}" "${newc[*]}" "${boundc[*]}" <<'PY'
import statistics, sys
old, new, bound, oc, nc, bc = ([float(x) for x in a.split()] for a in sys.argv[1:7])
m = statistics.median
print(f"medians of {len(old)} rounds, wall: old {m(old):.4f} s, new {m(new):.4f} s, "
      f"bound {m(bound):.4f} s: new is {m(old) / m(new):.1f}x the old rate; "
      f"new / bound = {m(new) / m(bound):.2f}")
print(f"medians of {len(old)} rounds, cpu:  old {m(oc):.4f} s, new {m(nc):.4f} s, "
      f"bound {m(bc):.4f} s: new is {m(oc) / m(nc):.1f}x the old rate; "
      f"new / bound = {m(nc) / m(bc):.2f}")
PY
