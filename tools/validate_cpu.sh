#!/usr/bin/env bash
# validate_cpu.sh [BUILD_DIR] [OUT_DIR] — the prediction check of docs/validation.md on the CPU
# backend: for each schedule, profile the ops and links with ppexec, calibrate a cost model,
# predict with ppsim sim, measure with ppexec (2 ranks, one per core) and diff the two.
# Prints one line per schedule and writes every file to OUT_DIR (default: a temporary folder).
set -euo pipefail
build=${1:-build}
out=${2:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
ppsim=$build/tools/ppsim
run() { bash "$root/tests/exec/mpirun.sh" 2 "$build/exec/ppexec" "$@"; }
# F takes a few ms per stage: h = 512, b = 256, L = 2 (2 GEMMs of 256x512x512 per F).
work=(--hidden 512 --tokens 256 --layers 2)
m=${M:-8}
printf '%-18s %12s %12s %8s\n' schedule predicted measured error
for spec in "gpipe 1" "1f1b 1" "interleaved-1f1b 2" "looped-bfs 2"; do
    set -- $spec
    name=$1 v=$2
    sched=(-s "$name" -m "$m" -v "$v")
    run "${sched[@]}" "${work[@]}" --profile "$out/$name.profile.json" --repeats 15 >/dev/null
    "$ppsim" calibrate "$out/$name.profile.json" -o "$out/$name.costs.json"
    "$ppsim" sim -s "$name" -p 2 -m "$m" -v "$v" --costs "$out/$name.costs.json" \
        -o "$out/$name.predicted.json" >/dev/null
    run "${sched[@]}" "${work[@]}" --warmup 2 -o "$out/$name.measured.json" >/dev/null
    "$ppsim" diff --json "$out/$name.predicted.json" "$out/$name.measured.json" \
        >"$out/$name.diff.json" || true
    python3 - "$out/$name.diff.json" "$name" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
m = d["makespan"]
print(f"{sys.argv[2]:<18} {m['predicted']:12.6f} {m['measured']:12.6f} {100 * m['rel_error']:+7.2f}%")
PY
done
echo "files in $out"
