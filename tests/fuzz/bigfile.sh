#!/usr/bin/env bash
# bigfile.sh PPSIM_BINARY LIBPPSIM_A — generates ~100 MB schedule JSON, PyTorch CSV and timeline
# JSON files and prints, for each, the time and peak RSS of the library's reader alone
# (parse_rss.c) and of `ppsim analyze` on the timeline (docs/testing.md, "Big inputs").
#   bash tests/fuzz/bigfile.sh build/tools/ppsim build/sim/libppsim.a
set -euo pipefail
cd "$(dirname "$0")/../.."
ppsim=$1
lib=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/ppsim-big.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Isim tests/fuzz/parse_rss.c "$lib" -lcjson -lm \
    -o "$work/parse_rss"
"$ppsim" gen -s 1f1b -p 64 -m 65536 -o "$work/sched.json"
"$ppsim" gen -s 1f1b -p 64 -m 90112 --format csv -o "$work/sched.csv"
"$ppsim" sim -s 1f1b -p 32 -m 12288 -o "$work/timeline.json" >/dev/null
for f in sched.json sched.csv timeline.json; do
    printf '%-14s %4d MB  ' "$f" $(( $(stat -c %s "$work/$f") / 1000000 ))
    case $f in timeline*) kind=timeline ;; *) kind=schedule ;; esac
    "$work/parse_rss" "$kind" "$work/$f" | sed "s|$work/||"
done
/usr/bin/time -f "ppsim analyze timeline.json: %e s, peak RSS %M KiB" "$ppsim" analyze \
    "$work/timeline.json" >/dev/null
# Over the limit: refused from the file size, before anything is read (sparse file, no disk use).
truncate -s $((1024 * 1024 * 1024 + 1)) "$work/huge.json"
"$ppsim" sim -f "$work/huge.json" 2>&1 | sed "s|$work/||" || true
