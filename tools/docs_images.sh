#!/usr/bin/env bash
# docs_images.sh [PPSIM] — draws the images under docs/img/ that README.md and docs/plots.md show,
# and writes the report examples under docs/report-example/:
# the default configuration's timeline for every schedule (P = 4, M = 8, t_F = 1, t_B = 2, the
# schedule's default v), its memory curves, a sweep of every schedule at P = 8 over M = 1..256,
# and the committed CPU validation traces
# (traces/validation/) as measured timelines beside their predictions. Only the PNGs are kept;
# the data and scripts are drawn in a scratch folder (`ppsim plot` keeps them beside an image).
set -euo pipefail
cd "$(dirname "$0")/.."
ppsim=${1:-build/tools/ppsim}
out=docs/img
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

draw() { # draw NAME ARGS... — ppsim plot ARGS -o WORK/NAME.png, then copies the PNG to docs/img
    local name=$1
    shift
    "$ppsim" plot "$@" -o "$work/$name.png"
    cp "$work/$name.png" "$out/$name.png"
}

# Every schedule on the default configuration (the table `ppsim compare` prints).
"$ppsim" gen --list | awk 'NR > 1 { print $1 }' | while read -r s; do
    draw "timeline-$s" timeline -s "$s" -p 4 -m 8
done
draw memory-1f1b memory -s 1f1b -p 4 -m 8
draw memory-interleaved-1f1b memory -s interleaved-1f1b -p 4 -m 8

# Bubble, memory and step time against M for every schedule at P = 8 (README.md).
"$ppsim" sweep -s all -p 8 -m 1-256:x2 -o "$work/sweep.csv"
draw sweep-p8 sweep "$work/sweep.csv"

# A large configuration, to show the label thinning.
draw timeline-1f1b-p32-m128 timeline -s 1f1b -p 32 -m 128

# Measured on the CPU backend (tools/validate_cpu.sh) beside the prediction from its profile.
for s in 1f1b interleaved-1f1b; do
    draw "timeline-$s-cpu-predicted" timeline "traces/validation/$s.predicted.json"
    draw "timeline-$s-cpu-measured" timeline "traces/validation/$s.measured.json" --transfers
    draw "diff-$s-cpu" diff "traces/validation/$s.predicted.json" \
        "traces/validation/$s.measured.json"
done
# The report examples (docs/report-example/): the default configuration with the sweep, and
# the CPU validation run of 1F1B, predicted from its calibrated costs against its measurement.
mkdir -p docs/report-example
"$ppsim" report docs/report-example/default -s 1f1b -p 4 -m 8 --sweep
"$ppsim" report docs/report-example/cpu-1f1b -s 1f1b -p 2 -m 16 \
    --costs traces/validation/1f1b.costs.json --measured traces/validation/1f1b.measured.json
ls "$out"
