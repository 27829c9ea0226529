#!/usr/bin/env bash
# bench_read.sh — each file reader's peak memory per input byte (docs/ir.md, "Out of memory"):
# writes inputs of about BYTES bytes in every shape of tools/read_shapes.py (empty slots, short
# actions, nesting, long strings, members a reader skips, tiny files declaring huge sizes), reads
# each with ppsim-bench-read in its own process, and prints a row per file, then each reader's
# largest peak per input byte over the files of at least 1 MB (smaller ones are read in less
# than the allocator's fixed overhead, which the per-byte figure does not describe).
#
#   bash tools/bench_read.sh [BYTES]      (default 16000000; needs the build in build/)
set -euo pipefail
cd "$(dirname "$0")/.."
bytes=${1:-16000000}
bench=build/tools/ppsim-bench-read
[ -x "$bench" ] || { echo "bench_read.sh: $bench not built (bash tools/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tools/read_shapes.py "$work" "$bytes" >"$work/list"
first=1
while read -r kind valid path; do
    out=$("$bench" "$kind" "$path" 2>"$work/err")  || true
    if [ "$first" = 1 ]; then
        printf '%s\n' "$out" | head -n 1
        first=0
    fi
    row=$(printf '%s\n' "$out" | tail -n 1 | sed "s|$work/||")
    printf '%s\n' "$row"
    # A refusal must be for the input, never for memory.
    if grep -q "out of memory" "$work/err"; then
        echo "bench_read.sh: $(cat "$work/err")" >&2
        exit 1
    fi
    # Files the reader must accept are accepted.
    if [ "$valid" = 1 ] && ! printf '%s' "$row" | grep -q ' read '; then
        echo "bench_read.sh: $(cat "$work/err")" >&2
        exit 1
    fi
    printf '%s\n' "$row" >>"$work/rows"
done <"$work/list"
echo
echo "largest peak per input byte, files of 1 MB or more (bytes of memory per byte of input):"
awk '$2 >= 1000000 {
        if (!($1 in vm) || $6 > vm[$1]) { vm[$1] = $6; at[$1] = $NF }
        if (!($1 in rss) || $5 > rss[$1]) rss[$1] = $5
     }
     END { for (k in vm) printf "%-9s VM %6.2f  RSS %6.2f  (%s)\n", k, vm[k], rss[k], at[k] }' \
    "$work/rows" | sort
