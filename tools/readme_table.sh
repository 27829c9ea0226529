#!/usr/bin/env bash
# readme_table.sh — regenerates README.md's `ppsim compare` table (the block after "`tools/run.sh`
# prints") from a built ppsim, or with --check fails when the README's block differs from what
# `ppsim compare` prints now or when compare's rows are not every schedule of `ppsim gen --list`.
# Usage: bash tools/readme_table.sh [--check] [PPSIM [README]]
#        (defaults: the repository's build/tools/ppsim and README.md; the tests run --check)
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
# Paths given are taken from where the script is called (meson passes the build directory's).
root="$(dirname "$0")/.."
ppsim=${1:-$root/build/tools/ppsim}
readme=${2:-$root/README.md}
[ -x "$ppsim" ] || { echo "readme_table: $ppsim is not an executable (build first)" >&2; exit 2; }
[ -f "$readme" ] || { echo "readme_table: $readme: no such file" >&2; exit 2; }

table=$(mktemp)
out=$(mktemp)
trap 'rm -f "$table" "$out"' EXIT
"$ppsim" compare >"$table"

# Every row of the registry is in the table (its first column), in `gen --list`'s order.
want=$("$ppsim" gen --list | awk 'NR > 1 { print $1 }')
got=$(awk 'NR > 3 { print $1 }' "$table")
if [ "$want" != "$got" ]; then
    echo "readme_table: ppsim compare's rows differ from ppsim gen --list:" >&2
    diff <(echo "$want") <(echo "$got") >&2 || true
    exit 1
fi

# The README block: the first fenced block after the line that starts "`tools/run.sh` prints".
if ! awk -v tablefile="$table" '
        state == 0 && /^`tools\/run.sh` prints/ { state = 1 }
        state == 1 && /^```$/ {
            print
            while ((getline line < tablefile) > 0)
                print line
            state = 2
            next
        }
        state == 2 { if (/^```$/) { print; state = 3 }; next }
        { print }
        END { if (state != 3) exit 1 }' "$readme" >"$out"; then
    echo "readme_table: $readme has no fenced block after \"\`tools/run.sh\` prints\"" >&2
    exit 1
fi

if cmp -s "$out" "$readme"; then
    echo "readme_table: $readme's table equals ppsim compare ($(($(wc -l <"$table") - 3)) rows)"
    exit 0
fi
if [ "$check" = 1 ]; then
    echo "readme_table: $readme's table differs from ppsim compare" \
        "(bash tools/readme_table.sh rewrites it):" >&2
    diff "$readme" "$out" >&2 || true
    exit 1
fi
tmp="$readme.tmp.$$" # replaced whole: never a half-written README
cat "$out" >"$tmp" && mv -f -- "$tmp" "$readme"
echo "readme_table: rewrote the table in $readme"
