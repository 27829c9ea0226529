#!/usr/bin/env bash
# split-iw-csv.sh V M — prints a single-rank schedule of V stages and M micro-batches whose input
# and weight gradients are split (a zero-bubble-like order), as one PyTorch compute_only CSV row:
# for each micro-batch m, F of every stage, then I from the last stage down, then the W of
# micro-batch m - 1 from the last stage down; the last micro-batch's W at the end. ppexec reads
# it with -f (the GPU check, tools/validate_gpu.sh, and tests/exec/single_rank.sh use it).
set -euo pipefail
v=$1 m=$2
cells=()
for ((mb = 0; mb <= m; mb++)); do
    if ((mb < m)); then
        for ((s = 0; s < v; s++)); do cells+=("${s}F$mb"); done
        for ((s = v - 1; s >= 0; s--)); do cells+=("${s}I$mb"); done
    fi
    if ((mb > 0)); then
        for ((s = v - 1; s >= 0; s--)); do cells+=("${s}W$((mb - 1))"); done
    fi
done
(IFS=,; echo "${cells[*]}")
