#!/usr/bin/env bash
# read_memory.sh — every file reader stays within its documented memory per input byte (docs/ir.md,
# "Out of memory"): inputs of each shape that costs a reader memory (tools/read_shapes.py: empty
# slots, short actions, nesting, long strings, members to skip, tiny files declaring huge sizes)
# are read by ppsim-bench-read under an address-space limit (RLIMIT_AS) of the documented bytes
# per input byte above what the process holds, plus a fixed slack. A valid file must be read, a
# bad one refused for what is wrong with it, never for memory. And the limit must bite: the same
# schedule of empty slots under a quarter of its figure fails, reported as memory.
#
#   bash tests/cli/read_memory.sh PPSIM-BENCH-READ READ_SHAPES.PY
set -u
bench=$1
shapes=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Bytes of address space per input byte, each reader's figure in docs/ir.md.
declare -A figure=([schedule]=8 [csv]=21 [timeline]=6 [costs]=23 [profile]=2 [model]=2)
passed=0
failed=0

ok() {
    echo "ok   $1"
    passed=$((passed + 1))
}

fail() {
    echo "FAIL $1"
    sed 's/^/    /' "$work/err" | head -n 5
    failed=$((failed + 1))
}

# 4 MB a file: a reader at 8 bytes per byte then needs 32 MB, several times the slack of
# ppsim-bench-read (8 MiB); a tree (41 bytes per byte) 164 MB.
python3 "$shapes" "$work/in" 6000000 >"$work/list" || { echo "FAIL read_shapes.py"; exit 1; }
# An AddressSanitizer build cannot run under an address-space limit (exit 77): there the shapes
# are read without one, for the valid/refused checks alone.
limited=1
"$bench" --limit 1 schedule "$work/list" >/dev/null 2>&1
if [ $? -eq 77 ]; then
    limited=0
    echo "skip the limits: an AddressSanitizer build"
fi
while read -r kind valid path; do
    name="$kind $(basename "$path") under ${figure[$kind]} B/B"
    limit=(--limit "${figure[$kind]}")
    [ "$limited" = 1 ] || { limit=(); name="$kind $(basename "$path")"; }
    timeout 60 "$bench" "${limit[@]}" "$kind" "$path" >"$work/out" 2>"$work/err"
    rc=$?
    if grep -q "out of memory" "$work/err"; then
        fail "$name: refused for memory"
    elif [ "$valid" = 1 ] && [ "$rc" -ne 0 ]; then
        fail "$name: exit $rc, expected 0"
    elif [ "$valid" = 0 ] && [ "$rc" -ne 1 ]; then
        fail "$name: exit $rc, expected 1 (refused)"
    else
        ok "$name"
    fi
done <"$work/list"

# The limit bites, and running out is reported as memory.
limit=$((${figure[schedule]} / 4))
if [ "$limited" = 0 ]; then
    echo "skip schedule sched-idle.json under $limit B/B: an AddressSanitizer build"
else
    timeout 60 "$bench" --limit "$limit" schedule "$work/in/sched-idle.json" >"$work/out" 2>"$work/err"
    rc=$?
    if [ "$rc" -eq 1 ] && grep -q "out of memory" "$work/err"; then
        ok "schedule sched-idle.json under $limit B/B: out of memory"
    else
        echo "exit $rc, expected 1 with an out-of-memory message" >>"$work/err"
        fail "schedule sched-idle.json under $limit B/B"
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
