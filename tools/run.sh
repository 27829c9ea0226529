#!/usr/bin/env bash
# run.sh — the main job: sets up and builds ppsim, then compares every schedule on the built-in
# default configuration (4 ranks, 8 micro-batches, t_F = 1, t_B = 2). Arguments go to
# `ppsim compare` (see `build/tools/ppsim compare --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
exec build/tools/ppsim compare "$@"
