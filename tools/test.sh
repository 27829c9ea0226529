#!/usr/bin/env bash
# test.sh — sets up and builds ppsim, runs every test suite, and ends with one line
# "N passed, M failed, K skipped". A test that exits 77 (meson's skip code: it needs hardware
# this machine lacks, e.g. a GPU) is skipped, not passed. Exit status is non-zero when any test
# failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
status=0
meson test -C build --print-errorlogs || status=$?
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            if r["result"] == "SKIP":
                skipped += 1
            elif r["result"] in ("OK", "EXPECTEDFAIL"):
                passed += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit "$status"
