#!/usr/bin/env bash
# check_ppsim_lowered.sh — every schedule ppsim generates, lowered (`ppsim gen --lower --format
# csv`), loaded by PyTorch 2.15's `_load_csv(..., "compute_comms")` through check_load.py; and the
# older form (`--no-waits`, for PyTorch 2.14 and earlier) refused by 2.15 for its missing waits,
# as it must be. Needs torch 2.15.0 (bash tools/pytorch/install_torch.sh); CI does not run it.
#
#   bash tools/pytorch/check_ppsim_lowered.sh PPSIM [PYTHON]   # PYTHON: /work/venv-torch/bin/python
#
# Sizes (P, M): (2, 4), (4, 8), (4, 16), (8, 32), as traces/pytorch/2.15. A schedule that refuses
# a size (its constraints, docs/schedules.md) is skipped and said so. Prints check_load.py's line
# per file and a summary; exits 1 when a 2.15-form file fails or a --no-waits file loads.
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: $0 PPSIM [PYTHON]" >&2
    exit 2
fi
ppsim=$1
python=${2:-/work/venv-torch/bin/python}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mapfile -t schedules < <("$ppsim" gen --list | awk 'NR > 1 {print $1}')
new=() old=()
for s in "${schedules[@]}"; do
    for pm in "2 4" "4 8" "4 16" "8 32"; do
        read -r p m <<<"$pm"
        f="$tmp/${s}_p${p}_m${m}.csv"
        if ! "$ppsim" gen -s "$s" -p "$p" -m "$m" --lower --format csv -o "$f" 2>"$tmp/err"; then
            echo "skipped $s P=$p M=$m: $(cat "$tmp/err")"
            continue
        fi
        "$ppsim" gen -s "$s" -p "$p" -m "$m" --lower --no-waits --format csv \
            -o "$tmp/nowaits_${s}_p${p}_m${m}.csv"
        new+=("$f")
        old+=("$tmp/nowaits_${s}_p${p}_m${m}.csv")
    done
done

status=0
echo "== PyTorch 2.15 form (ppsim gen --lower): must load"
"$python" "$here/check_load.py" "${new[@]}" | sed "s|$tmp/||" | tee "$tmp/new.out" || status=1
echo "== older form (--no-waits): PyTorch 2.15 must refuse it for its missing waits"
"$python" "$here/check_load.py" "${old[@]}" | sed "s|$tmp/||" >"$tmp/old.out" || true
refused=$(grep -c 'FAILED: ValueError: Pipeline sends at rank 0 have no matching wait' "$tmp/old.out" || true)
grep -v 'have no matching wait' "$tmp/old.out" && status=1
echo "$(grep -c ': OK$' "$tmp/new.out" || true) of ${#new[@]} files of the 2.15 form loaded;" \
    "$refused of ${#old[@]} files without waits refused for their missing waits"
exit "$status"
