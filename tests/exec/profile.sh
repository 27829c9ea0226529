#!/usr/bin/env bash
# profile.sh PPEXEC PPSIM — `ppexec --profile` end to end on the CPU backend: the profile has the
# schedule's shape (stages, their ranks, one link per communicating pair), sane figures, and
# `ppsim calibrate` applies the receiver-copy rule to it as docs/validation-method.md states;
# an unwritable output fails at once with one line from rank 0. Prints "N passed, M failed".
set -u
ppexec=$1 ppsim=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/exec/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
small=(--hidden 64 --tokens 32 --layers 2)

# check NAME NP STAGES "PAIRS" SCHEDULE-ARGS...: profile, then check it and its calibration.
check() {
    local name=$1 np=$2 stages=$3 pairs=$4
    shift 4
    local p=$dir/$name.profile.json c=$dir/$name.costs.json
    if ! timeout 120 bash "$here/mpirun.sh" "$np" "$ppexec" "$@" "${small[@]}" --repeats 32 \
        --profile "$p" >"$dir/$name.log" 2>&1; then
        bad "$name: ppexec --profile failed"; sed 's/^/     /' "$dir/$name.log"; return
    fi
    if ! "$ppsim" calibrate "$p" -o "$c" 2>"$dir/$name.err"; then
        bad "$name: ppsim calibrate refused the profile: $(cat "$dir/$name.err")"; return
    fi
    local why
    why=$(python3 - "$p" "$c" "$np" "$stages" "$pairs" <<'PY'
import json, sys
p, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
np_, stages, pairs = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5].split()
def need(cond, msg):
    if not cond:
        print(msg)
        sys.exit(0)
need(p["ranks"] == np_ and p["stages"] == stages, f"shape {p['ranks']} ranks {p['stages']} stages")
need(p["receiver_copies"] is True, "receiver_copies is not true on the CPU backend")
ranks = [s["rank"] for s in p["stage_costs"]]
need(ranks == [i % np_ for i in range(stages)], f"stage ranks {ranks}")
for s in p["stage_costs"]:
    need(all(s[k] > 0 for k in ("tf", "tb", "ti", "tw")), f"non-positive time in {s}")
    need(s["repeats"] >= 8, f"repeats {s['repeats']} < 8")
    # tb is the median of per-micro-batch I + W sums: near the sum of the two medians (32
    # samples each: with 8, one rank descheduled mid-op at R = 4 on 2 busy cores broke this)
    need(abs(s["tb"] - s["ti"] - s["tw"]) <= 0.5 * s["tb"], f"tb far from ti + tw in {s}")
got = [f"{l['src']}-{l['dst']}" for l in p["links"]]
need(got == pairs, f"links {got}, expected {pairs}")
for l in p["links"]:
    need(0 < l["latency"] <= l["one_way"], f"latency/one_way out of order in {l}")
# The receiver-copy rule, recomputed here from the profile (docs/validation-method.md).
per_byte = sorted((l["one_way"] - l["latency"]) / l["bytes"] for l in p["links"])
n = len(per_byte)
med = per_byte[n // 2] if n % 2 else (per_byte[n // 2 - 1] + per_byte[n // 2]) / 2
for i, s in enumerate(p["stage_costs"]):
    expect = s["tf"] + (med * p["stage_costs"][i - 1]["send_bytes"] if i > 0 else 0)
    got_tf = c["stages"][i]["tf"]
    need(abs(got_tf - expect) <= 1e-9 * expect, f"stage {i} tf {got_tf}, expected {expect}")
need(c["links"]["intra"]["bandwidth"] == 0, "calibrated bandwidth is not 0 (unlimited)")
PY
)
    if [ -n "$why" ]; then bad "$name: $why"; return; fi
    if ! "$ppsim" sim "$@" -p "$np" --costs "$c" >/dev/null 2>"$dir/$name.err"; then
        bad "$name: ppsim sim with the calibrated costs failed: $(cat "$dir/$name.err")"; return
    fi
    ok "$name"
}

check "1f1b R=2" 2 2 "0-1" -s 1f1b -m 4
check "interleaved-1f1b v=2 R=4" 4 8 "0-1 1-2 2-3 3-0" -s interleaved-1f1b -v 2 -m 4

# An unwritable output: one line from rank 0 naming the path, exit 1, within seconds.
start=$(date +%s)
timeout 60 bash "$here/mpirun.sh" 2 "$ppexec" -s 1f1b -m 4 "${small[@]}" \
    --profile "$dir/no/such/dir/p.json" >"$dir/nodir.out" 2>"$dir/nodir.err"
rc=$?
lines=$(grep -c '^ppexec:' "$dir/nodir.err")
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$lines" -eq 1 ] &&
    grep -q "^ppexec: rank 0: $dir/no/such/dir/p.json: cannot write" "$dir/nodir.err" &&
    [ $(($(date +%s) - start)) -lt 30 ]; then
    ok "unwritable profile path"
else
    bad "unwritable profile path: exit $rc, $lines ppexec lines"; sed 's/^/     /' "$dir/nodir.err"
fi

finish
