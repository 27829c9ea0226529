#!/usr/bin/env bash
# validate_cpu.sh [BUILD_DIR] [OUT_DIR] — the prediction check of docs/validation.md on the CPU
# backend, 2 ranks: profile the ops and links with ppexec (3 times per stage count, keeping the
# median profile), calibrate a cost model, predict each schedule with ppsim sim, measure it with
# ppexec 5 times and diff the prediction against the run with the median makespan. Environment: M (micro-batches, default 16),
# RUNS (default 5). Writes every file to OUT_DIR (default: a temporary folder).
set -euo pipefail
build=${1:-build}
out=${2:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
ppsim=$build/tools/ppsim
m=${M:-16}
runs=${RUNS:-5}
run() { bash "$root/tests/exec/mpirun.sh" 2 "$build/exec/ppexec" "$@"; }
# F takes a few ms per stage: h = 512, b = 256, L = 2 (2 GEMMs of 256x512x512 per F).
work=(--hidden 512 --tokens 256 --layers 2)

# One profile per stage count: the stages' shapes are equal, so every schedule with 2 (4) stages
# on 2 ranks uses the same costs. Three profiles each; the one with the median t_F + t_B of
# stage 0 is calibrated (a single profile can catch a passing disturbance of the machine).
for v in 1 2; do
    sched=(-s gpipe -m "$m")
    [ "$v" -eq 2 ] && sched=(-s interleaved-1f1b -v 2 -m "$m")
    picks=()
    for i in 1 2 3; do
        run "${sched[@]}" "${work[@]}" --profile "$out/v$v.profile$i.json" --repeats 30 >/dev/null
        picks+=("$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stage_costs"][0]
print(s["tf"] + s["tb"])' "$out/v$v.profile$i.json") $i")
    done
    median_profile=$(printf '%s\n' "${picks[@]}" | sort -g | sed -n 2p | cut -d' ' -f2)
    mv "$out/v$v.profile$median_profile.json" "$out/v$v.profile.json"
    rm -f "$out/v$v".profile[0-9].json
    "$ppsim" calibrate "$out/v$v.profile.json" -o "$out/v$v.costs.json"
done

printf '%-18s %3s %12s %12s %8s   %s\n' schedule M predicted measured error "measured makespans (s)"
for spec in "gpipe 1" "1f1b 1" "interleaved-1f1b 2" "looped-bfs 2"; do
    set -- $spec
    name=$1 v=$2
    "$ppsim" sim -s "$name" -p 2 -m "$m" -v "$v" --costs "$out/v$v.costs.json" \
        -o "$out/$name.predicted.json" >/dev/null
    spans=()
    for i in $(seq "$runs"); do
        run -s "$name" -m "$m" -v "$v" "${work[@]}" --warmup 2 -o "$out/$name.run$i.json" >/dev/null
        spans+=("$("$ppsim" analyze --json "$out/$name.run$i.json" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["makespan"])') $i")
    done
    # The run with the median makespan is the measurement kept.
    median_run=$(printf '%s\n' "${spans[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p" | cut -d' ' -f2)
    cp "$out/$name.run$median_run.json" "$out/$name.measured.json"
    "$ppsim" diff --json "$out/$name.predicted.json" "$out/$name.measured.json" \
        >"$out/$name.diff.json" || true
    all=$(printf '%s\n' "${spans[@]}" | sort -g | cut -d' ' -f1 | xargs printf '%.4f ')
    python3 - "$out/$name.diff.json" "$name" "$m" "$all" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["makespan"]
print(f"{sys.argv[2]:<18} {sys.argv[3]:>3} {s['predicted']:12.6f} {s['measured']:12.6f} "
      f"{100 * s['rel_error']:+7.2f}%   {sys.argv[4]}")
PY
done
echo "files in $out"
