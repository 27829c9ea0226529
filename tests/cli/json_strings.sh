#!/usr/bin/env bash
# json_strings.sh PPSIM_BINARY — every JSON file and --json summary the CLI writes stays valid
# JSON, and keeps its strings, when names and messages hold '"', '\', tabs, newlines, non-ASCII
# and invalid UTF-8: each output is parsed by Python's json module (strict UTF-8), and each
# string compared with what the writer promises (docs/ir.md, "JSON output": each byte that is
# not part of valid UTF-8 becomes U+FFFD). Needs python3.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" PPSIM_BINARY "$@"
scratch json
cd "$work" || exit 2

# The tricky text, as raw bytes (printf's escapes): a quote, a backslash, a tab, a newline,
# "é" (valid UTF-8), a lone 0xFF and a cut 3-byte sequence. Short enough for a timeline's
# backend (31 bytes) once each invalid byte is U+FFFD (3 bytes).
tricky='my "fast" 1f1b\\\t\n\303\251\377\342\202'

# check FILE KIND EXPR... (this script's own, not lib.sh's) — FILE must be strict UTF-8 JSON; d is the document and `want` the
# tricky text as a reader must see it. Every EXPR (Python) must be true.
check() {
    python3 - "$tricky" "$@" <<'EOF'
import json, sys
raw_spec, path, kind = sys.argv[1], sys.argv[2], sys.argv[3]
# The bytes printf wrote for the tricky text, and what the writer promises for them.
raw = raw_spec.encode().decode('unicode_escape').encode('latin-1')
want = ''.join('\ufffd' if 0xdc80 <= ord(ch) <= 0xdcff else ch
               for ch in raw.decode('utf-8', 'surrogateescape'))
try:
    with open(path, encoding='utf-8', errors='strict') as f:
        d = json.load(f)
except Exception as e:
    print(f"{kind}: {path} is not valid UTF-8 JSON: {e}")
    sys.exit(1)
bad = [e for e in sys.argv[4:] if not eval(e, {"d": d, "want": want})]
for e in bad:
    print(f"{kind}: check failed: {e}")
sys.exit(1 if bad else 0)
EOF
}

result() {
    if [ "$1" -eq 0 ]; then
        echo "ok   $2"
        passed=$((passed + 1))
    else
        echo "FAIL $2"
        failed=$((failed + 1))
    fi
}

# A schedule file named with the tricky text (JSON escapes for '"', '\', tab and newline; the
# other bytes raw, as a file written by another tool may hold them).
{
    printf '{"format": "ppsim-schedule", "version": 1, "name": "my \\"fast\\" 1f1b\\\\\\t\\n\303\251\377\342\202",\n'
    printf ' "ranks": 2, "stages": 2, "microbatches": 2, "placement": "loop",\n'
    printf ' "programs": [["0F0", "0F1", "0B0", "0B1"], ["1F0", "1B0", "1F1", "1B1"]]}\n'
} >weird.json

pp sim -f weird.json --json >sim.json 2>err
rc=$?
[ $rc -eq 0 ] && check sim.json "sim --json" 'd["schedule"] == want' 'd["makespan"] == 9'
result $? "sim --json with a schedule named with quotes, backslash, controls, non-ASCII, bad UTF-8"

pp sim -f weird.json -o tl.json --chrome trace.json >/dev/null 2>err &&
    check tl.json "-o" 'd["schedule"] == want' 'len(d["events"]) == 16' &&
    check trace.json "--chrome" 'd["otherData"]["schedule"] == want'
result $? "-o timeline and --chrome with that name"

pp explain -f weird.json --json --top 1 >explain.json 2>err &&
    check explain.json "explain --json" 'd["schedule"] == want' 'd["critical_path"]["makespan"] == 9'
result $? "explain --json with that name"

pp analyze tl.json --json >analyze.json 2>err &&
    check analyze.json "analyze --json" 'd["schedule"] == want'
result $? "analyze --json of that timeline"

# A measured timeline whose backend and note hold the tricky text (raw bytes substituted).
python3 - "$tricky" <<'EOF' || exit 1
import sys
raw = sys.argv[1].encode().decode('unicode_escape').encode('latin-1')
esc = raw.replace(b'\\', b'\\\\').replace(b'"', b'\\"').replace(b'\t', b'\\t').replace(b'\n', b'\\n')
text = open('tl.json', 'rb').read()
text = text.replace(b'"backend": "sim"', b'"backend": "' + esc + b'"', 1)
text = text.replace(b'"note": ""', b'"note": "' + esc + b'"', 1)
text = text.replace(b'"source": "simulated"', b'"source": "measured"', 1)
open('measured.json', 'wb').write(text)
EOF
pp diff tl.json measured.json --json >diff.json 2>err
rc=$?
[ $rc -eq 0 ] && check diff.json "diff --json" 'd["measured"]["backend"] == want' \
    'd["predicted"]["schedule"] == want' 'd["makespan"]["rel_error"] == 0'
result $? "diff --json with a backend holding the tricky text"

pp compare --json --group 'a"b\c' >compare.json 2>err
rc=$?
[ $rc -eq 0 ] && check compare.json "compare --json" \
    '[x["skipped"] for x in d if "skipped" in x] == ["--group: " + chr(39) + "a\"b\\c" + chr(39) + " is not an integer in [1, 16777216]"]' \
    'all("makespan" in x for x in d if "skipped" not in x)'
result $? "compare --json with a skip reason holding quotes and a backslash"

pp gen -s interleaved-1f1b -p 2 -m 4 -o gen.json 2>err &&
    check gen.json "gen" 'd["name"] == "interleaved-1f1b"' 'len(d["programs"]) == 2'
result $? "gen schedule JSON"

# A profile with the tricky text in backend and note, calibrated into a cost file.
python3 - "$tricky" <<'EOF' || exit 1
import sys
raw = sys.argv[1].encode().decode('unicode_escape').encode('latin-1')
esc = raw.replace(b'\\', b'\\\\').replace(b'"', b'\\"').replace(b'\t', b'\\t').replace(b'\n', b'\\n')
stage = b'{"stage": %d, "rank": %d, "tf": 0.1, "tb": 0.30000000000000004, "ti": 0.1, "tw": 0.20000000000000004, "act_bytes": 8, "act_w_bytes": 4, "send_bytes": 2, "repeats": 5}'
open('profile.json', 'wb').write(
    b'{"format": "ppsim-profile", "version": 1, "backend": "' + esc + b'", "ranks": 2, "stages": 2, '
    b'"note": "' + esc + b'", "stage_costs": [' + stage % (0, 0) + b', ' + stage % (1, 1) + b'], '
    b'"links": [{"src": 0, "dst": 1, "bytes": 2, "latency": 1e-6, "bandwidth": 1e9, "repeats": 3}]}\n')
EOF
pp calibrate profile.json -o costs.json 2>err &&
    check costs.json "calibrate" 'd["stages"][0]["tb"] == 0.30000000000000004' \
        'd["links"]["intra"]["latency"] == 1e-6'
result $? "calibrate's cost file"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
