#!/usr/bin/env bash
# validate_cpu.sh [BUILD_DIR] [OUT_DIR] — the prediction check of docs/validation.md on the CPU
# backend, 2 ranks. In each of ROUNDS rounds, for each schedule: profile its compute and link
# with ppexec (64 runs per op), calibrate a cost model, predict the step with ppsim sim, measure
# the step with ppexec (the median of 3 runs, each after 2 warm-up steps), and diff the two.
# A profile and its measurement are seconds apart, so the machine's drift over minutes does not
# enter the error. Prints every round's makespan error and the median per schedule; keeps, per
# schedule, the files of the round with the median error in OUT_DIR (default: a temporary
# folder). Environment: M (micro-batches, default 16), ROUNDS (default 7). Exits 1 when a
# schedule's median error exceeds 5%.
set -euo pipefail
build=${1:-build}
out=${2:-$(mktemp -d)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
ppsim=$build/tools/ppsim
m=${M:-16}
rounds=${ROUNDS:-7}
run() { bash "$root/tests/exec/mpirun.sh" 2 "$build/exec/ppexec" "$@" >/dev/null; }
# F takes a few ms per stage: h = 512, b = 256, L = 2 (2 GEMMs of 256x512x512 per F).
work=(--hidden 512 --tokens 256 --layers 2)
schedules=("gpipe 1" "1f1b 1" "interleaved-1f1b 2" "looped-bfs 2")

echo "validate_cpu: ${#schedules[@]} schedules x $rounds rounds, M=$m, 2 ranks (h=512 b=256 L=2)"
for r in $(seq "$rounds"); do
    line="round $r:"
    for spec in "${schedules[@]}"; do
        set -- $spec
        name=$1 v=$2 f=$work_dir/$1.r$r
        sched=(-s "$name" -m "$m" -v "$v")
        run "${sched[@]}" "${work[@]}" --profile "$f.profile.json" --repeats 64
        "$ppsim" calibrate "$f.profile.json" -o "$f.costs.json" >/dev/null
        "$ppsim" sim "${sched[@]}" -p 2 --costs "$f.costs.json" -o "$f.predicted.json" >/dev/null
        # The measurement: the step with the median makespan of three.
        for i in 1 2 3; do
            run "${sched[@]}" "${work[@]}" --warmup 2 -o "$f.step$i.json"
            echo "$("$ppsim" analyze --json "$f.step$i.json" |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["makespan"])') $i"
        done | sort -g | sed -n 2p | { read -r _ i; mv "$f.step$i.json" "$f.measured.json"; }
        "$ppsim" diff --json "$f.predicted.json" "$f.measured.json" >"$f.diff.json" || true
        err=$(python3 -c 'import json,sys; print("%+.2f" % (100 * json.load(open(sys.argv[1]))
            ["makespan"]["rel_error"]))' "$f.diff.json")
        echo "$err" >"$f.error"
        line+=" $name $err%"
    done
    echo "$line"
done

printf '\n%-18s %3s %12s %12s %9s   %s\n' schedule M predicted measured "median" \
    "makespan error (measured - predicted) / predicted, by round"
status=0
for spec in "${schedules[@]}"; do
    set -- $spec
    name=$1
    # The round with the median error is the one whose files are kept.
    pick=$(for r in $(seq "$rounds"); do echo "$(cat "$work_dir/$name.r$r.error") $r"; done |
        sort -g | sed -n "$(((rounds + 1) / 2))p" | cut -d' ' -f2)
    for kind in profile costs predicted measured diff; do
        cp "$work_dir/$name.r$pick.$kind.json" "$out/$name.$kind.json"
    done
    all=$(for r in $(seq "$rounds"); do printf '%s%% ' "$(cat "$work_dir/$name.r$r.error")"; done)
    python3 - "$out/$name.diff.json" "$name" "$m" "$all" <<'PY' || status=1
import json, sys
d = json.load(open(sys.argv[1]))
s = d["makespan"]
print(f"{sys.argv[2]:<18} {sys.argv[3]:>3} {s['predicted']:12.6f} {s['measured']:12.6f} "
      f"{100 * s['rel_error']:+8.2f}%   {sys.argv[4]}")
sys.exit(abs(s["rel_error"]) > 0.05)
PY
done
echo "files in $out (per schedule, the round with the median error)"
exit "$status"
