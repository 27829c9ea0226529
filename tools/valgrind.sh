#!/usr/bin/env bash
# valgrind.sh — runs the CLI end-to-end tests (tests/cli/run_cli.sh, run_bad.sh, json_strings.sh, run_text.sh) with every
# ppsim invocation under valgrind memcheck (docs/testing.md). A run fails on any invalid read or
# write, use of uninitialised memory, invalid free, or definitely/indirectly lost block: valgrind
# then exits 99, which the runners report as a wrong exit code.
#   bash tools/valgrind.sh [PPSIM_BINARY]       (default build/tools/ppsim)
# Per-invocation valgrind logs are kept under $VALGRIND_LOGS (default: a scratch directory, printed
# when something failed).
set -uo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
ppsim=${1:-build/tools/ppsim}
case "$ppsim" in /*) ;; *) ppsim=$(pwd)/$ppsim ;; esac
[ -x "$ppsim" ] || { echo "valgrind.sh: $ppsim is not an executable (build first)" >&2; exit 2; }

logs=${VALGRIND_LOGS:-$(mktemp -d "${TMPDIR:-/tmp}/ppsim-vg.XXXXXX")}
mkdir -p "$logs"
wrapper="$logs/ppsim"
# The wrapper stands in for the binary. Valgrind's own output goes to a log file, so the runners'
# checks of stdout and of the one stderr line still apply.
cat >"$wrapper" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
    --show-leak-kinds=definite,indirect --track-origins=yes \\
    --log-file="$logs/vg.%p.log" "$ppsim" "\$@"
WRAP
chmod +x "$wrapper"

status=0
# The runners work in scratch directories of their own, so they run side by side (one per core).
runners=()
for t in run_cli run_bad json_strings run_text; do
    [ -f "tests/cli/$t.sh" ] || { echo "valgrind.sh: tests/cli/$t.sh missing, skipped" >&2; continue; }
    args=("$wrapper")
    [ "$t" = run_bad ] && args+=(tests/bad)
    (bash "tests/cli/$t.sh" "${args[@]}" >"$logs/$t.out" 2>&1; echo $? >"$logs/$t.rc") &
    runners+=("$t")
    while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
done
wait
for t in "${runners[@]}"; do
    tail -1 "$logs/$t.out" | sed "s/^/valgrind $t: /"
    if [ "$(cat "$logs/$t.rc")" != 0 ]; then
        status=1
        grep -A12 '^FAIL' "$logs/$t.out" | head -80
    fi
done
# Anything valgrind reported, whatever the runners concluded.
bad=$(grep -l -E 'ERROR SUMMARY: [1-9]|definitely lost|indirectly lost|Invalid (read|write|free)' \
      "$logs"/vg.*.log 2>/dev/null || true)
if [ -n "$bad" ]; then
    status=1
    echo "valgrind.sh: valgrind reported errors:" >&2
    for f in $bad; do echo "== $f" >&2; head -40 "$f" >&2; done
fi
[ $status -eq 0 ] && echo "valgrind.sh: no errors, no leaks" || echo "valgrind.sh: FAILED (logs in $logs)" >&2
[ -n "${VALGRIND_LOGS:-}" ] || [ $status -ne 0 ] || rm -rf "$logs"
exit $status
