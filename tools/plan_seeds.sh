#!/usr/bin/env bash
# plan_seeds.sh — recomputes the GPT-3 175B activation claim of docs/planner.md ("8 pipeline
# stages; 32 micro-batches -> ~4 GB activations per stage; 8 micro-batches -> ~1 GB"): for TP = 8,
# micro-batch size 1, 12 layers per stage, with and without sequence parallelism and each
# recomputation, `ppsim plan --write-costs` derives the per-stage costs and `ppsim sim` runs GPipe
# and 1F1B at M = 8 and 32 on them. Prints a Markdown table: peak activation per GPU (GB) on
# stage 0 / stage 4 / stage 7 (the LM head's), beside Korthikanti et al.'s per-layer formula.
# Usage: bash tools/plan_seeds.sh [PPSIM] (default build/tools/ppsim)
set -euo pipefail
cd "$(dirname "$0")/.."
ppsim=${1:-build/tools/ppsim}
model=traces/models/gpt3-175b-like.json
work=$(mktemp -d "${TMPDIR:-/tmp}/ppsim-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Korthikanti et al. 2022, Table 2, bytes per layer per micro-batch: s = 2048, b = 1, h = 12288,
# a = 96, t = 8 (sbh = 25 165 824; 5as/h = 80).
formula() {
    python3 - "$1" "$2" <<'EOF'
import sys
sp, rc = sys.argv[1] == "on", sys.argv[2]
sbh, t, k = 2048 * 12288, 8, 5 * 96 * 2048 / 12288
text, per = {
    ("off", "none"): ("sbh(10 + 24/t + 5as/(ht))", sbh * (10 + 24 / t + k / t)),
    ("on", "none"): ("sbh/t (34 + 5as/h)", sbh / t * (34 + k)),
    ("off", "selective"): ("sbh(10 + 24/t)", sbh * (10 + 24 / t)),
    ("on", "selective"): ("34 sbh/t", 34 * sbh / t),
    ("off", "full"): ("2 sbh", 2 * sbh),
    ("on", "full"): ("2 sbh/t", 2 * sbh / t),
}[("on" if sp else "off", rc)]
def mb(x):
    return f"{x / 1e9:.3g} GB" if x >= 1e9 else f"{x / 1e6:.3g} MB"
print(f"{text} = {mb(per)} | {mb(12 * per)}")
EOF
}

echo "| TP = 8, b = 1 | per layer (Korthikanti) | x 12 layers | GPipe M = 8 | GPipe M = 32 | 1F1B M = 8 | 1F1B M = 32 |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for sp in off on; do
    for rc in none selective full; do
        costs="$work/costs-$sp-$rc.json"
        "$ppsim" plan --model "$model" --gpus 64 --pp 8 --tp 8 --global-batch 8 --micro-batch 1 \
            -s 1f1b --recompute "$rc" --sequence-parallel "$sp" --memory-limit 1e15 \
            --even-split --write-costs "$costs" >/dev/null
        row="| SP $sp, recompute $rc | $(formula "$sp" "$rc")"
        for s in gpipe 1f1b; do
            for m in 8 32; do
                cell=$("$ppsim" sim -s "$s" -p 8 -m "$m" --costs "$costs" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
pk = [r["peak_activation"] / 1e9 for r in d["per_rank"]]
print(" / ".join(f"{pk[i]:.3g}" for i in (0, 4, 7)), "(step %.3g s)" % d["makespan"])')
                row="$row | $cell"
            done
        done
        echo "$row |"
    done
done
