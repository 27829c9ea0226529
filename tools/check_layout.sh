#!/usr/bin/env bash
# check_layout.sh [SOURCE_DIR] — checks that the tree describes itself (STYLE.md, issue 8): every
# C, header and CUDA file under sim/, exec/, tools/ and tests/ opens with its purpose line
# ("/* NAME — what it does", NAME its file name or its path below the top folder), every script
# there with a comment line saying what it is, and README.md's layout table names each folder of
# sim/ and exec/ (`tree -d sim exec`) and no folder that is gone. Prints each failure; exits 1
# when there is one.
set -u
cd "${1:-$(dirname "$0")/..}" || exit 2

failed=0
fail() {
    echo "check_layout: $*"
    failed=1
}

# The purpose line of a C-family file: "/* NAME — ..." (or "// NAME — ..." in CUDA), NAME being
# the file's name or its path below sim/, exec/, tools/ or tests/ (cpu/backend.c).
while IFS= read -r -d '' f; do
    first=$(head -n 1 "$f")
    rel=${f#./*/}
    ok=0
    for name in "$(basename "$f")" "$rel"; do
        case "$first" in
        "/* $name — "?* | "// $name — "?*) ok=1 ;;
        esac
    done
    [ "$ok" = 1 ] || fail "$f: the first line is not its purpose line (\"/* $(basename "$f") — what it does\"): $first"
done < <(find ./sim ./exec ./tools ./tests \( -name build -o -name 'build-*' \) -prune -o \
    -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' \) -print0 | sort -z)

# Scripts: the first line after any #! is a comment (#, or a Python docstring) of some length.
while IFS= read -r -d '' f; do
    first=$(sed -n '/^#!/d; p; q' "$f")
    case "$first" in
    "# "????????????* | '"""'????????????*) ;;
    *) fail "$f: the first line (after #!) does not say what the script is: $first" ;;
    esac
done < <(find ./sim ./exec ./tools ./tests \( -name build -o -name 'build-*' -o -name bad \) -prune -o \
    -type f \( -name '*.sh' -o -name '*.py' \) -print0 | sort -z)

# README's layout table: the rows between "## Layout" and the next heading.
table=$(sed -n '/^## Layout/,/^## [^L]/p' README.md | grep '^| `')
[ -n "$table" ] || fail "README.md: no layout table under \"## Layout\""
# Each folder of sim/ has a row `sim/NAME/`; each folder below exec/ is named in exec/'s row as
# `NAME/`. (Folders of build outputs are not the source's.)
for d in $(find sim -mindepth 1 -maxdepth 1 -type d | sort); do
    grep -q "^| \`$d/\` |" <<<"$table" || fail "README.md: the layout table has no row for $d/"
done
exec_row=$(sed -n 's/^| `exec\/` |//p' <<<"$table") # the row's second cell
[ -n "$exec_row" ] || fail "README.md: the layout table has no row for exec/"
for d in $(find exec -mindepth 1 -maxdepth 1 -type d | sort); do
    grep -q "\`${d#exec/}/\`" <<<"$exec_row" || fail "README.md: exec/'s row does not name ${d#exec/}/"
done
# Every row names a folder that exists.
for p in $(sed -n 's/^| `\([^`]*\)` |.*/\1/p' <<<"$table"); do
    [ -d "$p" ] || fail "README.md: the layout table names $p, which is not a folder"
done
# Every folder named in exec/'s row exists.
for p in $(grep -o '`[a-z_]*/`' <<<"$exec_row" | tr -d '`'); do
    [ -d "exec/$p" ] || fail "README.md: exec/'s row names $p, which is not a folder of exec/"
done

[ "$failed" = 0 ] && echo "check_layout: purpose lines and README's layout table agree with the tree"
exit "$failed"
