#!/usr/bin/env bash
# test.sh — sets up and builds ppsim, runs every test suite, and ends with one line
# "N passed, M failed". Exit status is non-zero when any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
status=0
meson test -C build --print-errorlogs || status=$?
python3 - build/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = 0
with open(sys.argv[1]) as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            if r["result"] in ("OK", "EXPECTEDFAIL", "SKIP"):
                passed += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed")
PY
exit "$status"
