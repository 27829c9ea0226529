#!/usr/bin/env bash
# bench_cli.sh — what the outputs add to a run, as a user meets them (docs/performance.md):
# `ppsim sim` of interleaved-1f1b P=64, v=4, M=4096 alone, with -o, with --chrome and with
# --memory, run in turn for several rounds so that load from other work hits all alike, then
# `ppsim analyze` of the timeline written; medians of wall and CPU (user + system) seconds, the
# added fraction of each output over the bare run, and file sizes and MB/s.
# Two baselines, since the bare run builds no timeline (it keeps running sums only): the bare
# run itself, and for --chrome the bare run plus building the timeline in memory (what it needs
# before a byte is written; measured by ppsim-bench with the same -s/-p/-v/-m as its "simulate
# with timeline" less its "simulate + analyze (summary)", CPU seconds). Against the second the
# MB/s are the writer's own: formatting plus the kernel's copy into the page cache. -o alone
# holds no timeline (it is written as a second run of the simulation goes), nor does --memory:
# their MB/s are per CPU second added to the bare run.
# Usage: bash tools/bench_cli.sh [ROUNDS] [-- SIM ARGS]   (default 5 rounds; files in $TMPDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    rounds=$1
    shift
fi
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(-s interleaved-1f1b -p 64 -v 4 -m 4096)
ppsim=build/tools/ppsim
[ -x "$ppsim" ] || { echo "bench_cli: build first ($ppsim)" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/ppsim-bench-cli.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# Runs "$@" with stdout discarded; prints "wall cpu".
timed() {
    /usr/bin/time -f '%e %U %S' -o "$dir/time" "$@" >/dev/null
    awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$dir/time"
}

declare -A wall cpu
names=(bare -o --chrome --memory analyze)
bench=build/tools/ppsim-bench
tl_extra=""
for ((i = 1; i <= rounds; i++)); do
    line="round $i:"
    for n in bare -o --chrome --memory; do
        case $n in
        bare) r=$(timed "$ppsim" sim "${args[@]}") ;;
        -o) r=$(timed "$ppsim" sim "${args[@]}" -o "$dir/t.json") ;;
        --chrome) r=$(timed "$ppsim" sim "${args[@]}" --chrome "$dir/c.json") ;;
        --memory) r=$(timed "$ppsim" sim "${args[@]}" --memory "$dir/m.csv") ;;
        esac
        wall[$n]+="${r% *} " cpu[$n]+="${r#* } "
        line+=" $n ${r% *} s (cpu ${r#* })"
    done
    r=$(timed "$ppsim" analyze "$dir/t.json")
    wall[analyze]+="${r% *} " cpu[analyze]+="${r#* } "
    line+=", analyze ${r% *} s (cpu ${r#* })"
    # The timeline in memory: ppsim-bench's phases (its own costs; building a timeline costs
    # the same whatever the durations are). Skipped when ppsim-bench does not take the args.
    if [ -x "$bench" ] && b=$("$bench" --repeat 1 --no-io "${args[@]}" 2>/dev/null); then
        x=$(awk '/^  simulate with timeline / { t = $(NF - 2) }
                 /^  simulate \+ analyze \(summary\)/ { s = $(NF - 2) }
                 END { if (t != "" && s != "") printf "%.4f", t - s }' <<<"$b")
        [ -n "$x" ] && tl_extra+="$x " && line+=", timeline in memory +${x} s cpu"
    fi
    echo "$line"
done
sizes=$(stat -c '%s' "$dir/t.json" "$dir/c.json" "$dir/m.csv" | tr '\n' ' ')
python3 - "$sizes" "${wall[bare]}" "${cpu[bare]}" "${wall[-o]}" "${cpu[-o]}" \
    "${wall[--chrome]}" "${cpu[--chrome]}" "${wall[--memory]}" "${cpu[--memory]}" \
    "${wall[analyze]}" "${cpu[analyze]}" "${tl_extra:-}" <<'PY'
import statistics, sys
m = statistics.median
sizes = [int(x) for x in sys.argv[1].split()]
v = [[float(x) for x in a.split()] for a in sys.argv[2:12]]
tl = [float(x) for x in sys.argv[12].split()]
bw, bc = m(v[0]), m(v[1])
print(f"medians of {len(v[0])} rounds: bare run {bw:.3f} s wall, {bc:.3f} s cpu (summary only, "
      f"no timeline)")
tc = bc + m(tl) if tl else None
if tc is not None:
    print(f"  with the timeline built in memory (bare + ppsim-bench's timeline phase): "
          f"{tc:.3f} s cpu")
for (name, size, timeline), (w, c) in zip(
        (("-o", sizes[0], False), ("--chrome", sizes[1], True), ("--memory", sizes[2], False)),
        ((v[2], v[3]), (v[4], v[5]), (v[6], v[7]))):
    mw, mc = m(w), m(c)
    line = (f"  {name:9s} {mw:.3f} s wall ({(mw - bw) / bw * 100:+.0f}%), {mc:.3f} s cpu "
            f"({(mc - bc) / bc * 100:+.0f}% over bare")
    if timeline and tc is not None:
        line += (f", {(mc - tc) / tc * 100:+.0f}% over the timeline in memory); "
                 f"{size / 1e6:.1f} MB, writer {size / 1e6 / max(mc - tc, 1e-9):.0f} MB/s of cpu")
    else:
        line += f"); {size / 1e6:.1f} MB, {size / 1e6 / max(mc - bc, 1e-9):.0f} MB per added cpu second"
    print(line)
aw, ac = m(v[8]), m(v[9])
print(f"  analyze of the -o timeline: {aw:.3f} s wall, {ac:.3f} s cpu "
      f"({sizes[0] / 1e6 / ac:.0f} MB/s of cpu)")
PY
