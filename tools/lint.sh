#!/usr/bin/env bash
# lint.sh — static analysis of sim/, tools/ and exec/ (docs/testing.md): cppcheck and clang-tidy,
# both must report nothing. Configuration, all checked in:
#   .clang-tidy                           the checks (bug finders; disabled ones with reasons)
#   tools/lint/clang-tidy-baseline.txt    reviewed false positives, each with its reason
#   tools/lint/cppcheck-suppressions.xml  the same for cppcheck
#   tools/lint/analyzer-model.h           tells the analyzer what pps_error_set returns
# Usage: bash tools/lint.sh [FILE.c ...]     (default: every .c under sim/, tools/, exec/)
# Environment: LINT_DB, a meson build directory whose compile_commands.json gives the flags of
# files that need more than the plain ones (exec/ with MPI); default build/. exec/ files without
# an entry there (exec/ not built on this machine) are linted by cppcheck only.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cppcheck clang-tidy python3; do
    command -v "$tool" >/dev/null || { echo "lint.sh: $tool not found (apt-get install cppcheck clang-tidy)" >&2; exit 1; }
done
DB=${LINT_DB:-build}/compile_commands.json
[ -f "$DB" ] || DB=

if [ $# -gt 0 ]; then
    files=("$@")
else
    mapfile -t files < <(find sim tools exec -name '*.c' 2>/dev/null | sort)
fi

# ---- cppcheck: warnings, performance and portability (style is left to review).
cpp_dirs=()
for d in sim tools exec; do [ -d "$d" ] && cpp_dirs+=(-I "$d"); done
echo "lint: cppcheck on ${#files[@]} files" >&2
cppcheck --std=c11 -D_POSIX_C_SOURCE=200809L --enable=warning,performance,portability \
    --inline-suppr --suppress-xml=tools/lint/cppcheck-suppressions.xml \
    --error-exitcode=1 -q --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
    "${cpp_dirs[@]}" "${files[@]}"
echo "lint: cppcheck clean" >&2

# ---- clang-tidy, one file per job, as many jobs as cores; findings listed in the baseline are
# accepted. Each job writes its own files, joined in file order so the report reads the same.
out=$(mktemp)
errs=$(mktemp)
parts=$(mktemp -d)
trap 'rm -rf "$out" "$errs" "$parts"' EXIT
plain=(-std=c11 -D_POSIX_C_SOURCE=200809L -Isim -Itools -Iexec)
n=0
for f in "${files[@]}"; do
    model=(-include "$PWD/tools/lint/analyzer-model.h")
    [ "$f" = sim/error.c ] && model=()
    in_db=0
    if [ -n "$DB" ] && grep -q "\"file\": \"\(.*/\)\?$f\"" "$DB" 2>/dev/null; then in_db=1; fi
    if [ "$in_db" = 1 ]; then
        extra=()
        for a in "${model[@]}"; do extra+=(--extra-arg="$a"); done
        cmd=(clang-tidy -quiet -p "$(dirname "$DB")" --extra-arg=-Wno-unknown-warning-option
             "${extra[@]}" "$f")
    elif [ "${f#exec/}" != "$f" ]; then
        echo "lint: clang-tidy skips $f (not in ${DB:-a compile database}; exec/ not built here)" >&2
        continue
    else
        cmd=(clang-tidy -quiet "$f" -- "${plain[@]}" "${model[@]}")
    fi
    ("${cmd[@]}" >"$parts/$n.out" 2>"$parts/$n.err" || true) &
    n=$((n + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
done
wait
for ((k = 0; k < n; k++)); do
    cat "$parts/$k.out" >>"$out"
    cat "$parts/$k.err" >>"$errs"
done
echo "lint: clang-tidy on $n files" >&2
# A file clang cannot compile is not analysed at all (the analyzer skips it): that is a failure.
if grep -q "Error while processing" "$errs"; then
    grep "Error while processing" "$errs" >&2
    grep -h "clang-diagnostic-error" "$out" >&2 || true
    echo "lint: clang-tidy could not compile the files above" >&2
    exit 1
fi
LINT_ALL=$(( $# == 0 )) python3 - "$out" tools/lint/clang-tidy-baseline.txt "${DB:+$(dirname "$DB")}" <<'PY'
import os, re, sys
out, base = sys.argv[1], sys.argv[2]
dbdir = sys.argv[3] if len(sys.argv) > 3 else ''

def repo_path(path):
    """clang-tidy prints paths as the compile database spells them (relative to its directory)."""
    cands = [path] if os.path.isabs(path) else [os.path.join(dbdir, path), path] if dbdir else [path]
    for c in cands:
        if os.path.exists(c):
            return os.path.relpath(os.path.realpath(c), os.getcwd())
    return path
# Baseline lines: FILE | CHECK | exact text of the flagged source line (stripped) | reason
accepted = set()
with open(base) as f:
    for line in f:
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = [p.strip() for p in line.split(' | ')]
        if len(parts) < 4:
            sys.exit(f"lint: bad baseline line (need FILE | CHECK | CODE | REASON): {line}")
        accepted.add(tuple(parts[:3]))
pat = re.compile(r'^(.*?):(\d+):(\d+): (warning|error): (.*) \[([^\],]+)[^\]]*\]$')
new, used = [], set()
with open(out, errors='replace') as f:
    for line in f:
        m = pat.match(line.rstrip('\n'))
        if not m:
            continue
        path, lno, check = m.group(1), int(m.group(2)), m.group(6)
        rel = repo_path(path)
        try:
            with open(rel, errors='replace') as src:
                code = src.read().split('\n')[lno - 1].strip()
        except (OSError, IndexError):
            code = ''
        key = (rel, check, code)
        if key in accepted:
            used.add(key)
        else:
            new.append(f"{rel}:{lno}: {m.group(5)} [{check}]\n    {code}")
for n in new:
    print(n)
stale = accepted - used if os.environ.get('LINT_ALL') == '1' else set()
for s in sorted(stale):
    print(f"lint: note: baseline entry no longer matches anything: {' | '.join(s)}", file=sys.stderr)
print(f"lint: clang-tidy: {len(new)} new finding(s), {len(used)} accepted by the baseline",
      file=sys.stderr)
sys.exit(1 if new else 0)
PY
