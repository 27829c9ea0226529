#!/usr/bin/env bash
# run_plot.sh PPSIM_BINARY TRACES_DIR — end-to-end checks of `ppsim plot`: images gnuplot draws
# from the data and script ppsim writes, SVG hover titles, and what happens when gnuplot is
# missing or fails (the data and script kept, never a partial image).
#
# Expected values by hand: 1F1B with P = 4, M = 8, t_F = 1.25 ms, t_B = 2.5 ms has 2·P·M = 64
# compute actions; stage 3's first forward waits for three forwards (3·1.25 = 3.75 ms) and ends
# at 5.00 ms. Checks that need gnuplot are skipped (and say so) when it is not installed.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" "PPSIM_BINARY TRACES_DIR" "$@"
traces=$(abspath "$2")
scratch plot

have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1
skipped=0
pp_timeout=60

# png_size FILE — prints "WIDTHxHEIGHT" from the PNG header (fails on anything not a PNG).
png_size() {
    python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read(24)
if b[:8] != b"\x89PNG\r\n\x1a\n" or b[12:16] != b"IHDR":
    sys.exit("not a PNG")
print("%dx%d" % struct.unpack(">II", b[16:24]))
EOF
}

# check_gp NAME FUNCTION — a check that needs gnuplot: skipped, and said so, without it.
check_gp() {
    if [ "$have_gnuplot" -eq 0 ]; then
        echo "skip $1 (gnuplot is not installed)"
        skipped=$((skipped + 1))
        return
    fi
    check "$@"
}

check_png_of_requested_size() {
    run 0 plot timeline -s 1f1b -p 4 -m 8 -o t.png --size 800x300 || return 1
    [ "$(png_size t.png)" = 800x300 ] || { echo "size $(png_size t.png), expected 800x300"; return 1; }
    [ -s t.dat ] && [ -s t.gp ] || { echo "data or script missing"; return 1; }
    [ ! -s out ] && [ ! -s err ] || { echo "unexpected output"; cat out err; return 1; }
    no_leftovers
}

check_svg_hover_titles() {
    run 0 plot timeline -s 1f1b -p 4 -m 8 --tf 0.00125 --tb 0.0025 -o t.svg || return 1
    local n
    n=$(grep -o '<title>[0-9]*[FB][0-9]* start [0-9.]* ms end [0-9.]* ms</title>' t.svg | wc -l)
    [ "$n" -eq 64 ] || { echo "$n box titles, expected 64"; return 1; }
    grep -q '<title>3F0 start 3.75 ms end 5.00 ms</title>' t.svg ||
        { echo "no title for 3F0"; return 1; }
}

check_script_redraws_alone() {
    # The kept script draws the same picture again, in its folder, without ppsim.
    run 0 plot memory -s 1f1b -p 4 -m 8 -o m.png --memory-limit 5 || return 1
    rm m.png
    gnuplot m.gp || return 1
    [ "$(png_size m.png)" = 900x480 ] || { echo "redrawn: $(png_size m.png)"; return 1; }
}

check_many_ranks_memory_panels() {
    run 0 plot memory -s 1f1b -p 12 -m 24 -o m.png || return 1
    grep -q '^set multiplot layout 3,4 ' m.gp || { echo "expected 3x4 panels"; return 1; }
    png_size m.png >/dev/null
}

check_measured_timeline_and_diff() {
    run 0 plot timeline "$traces/validation/1f1b.measured.json" -o meas.png --transfers || return 1
    grep -q '(measured, cpu)' meas.gp || { echo "title does not say measured, cpu"; return 1; }
    run 0 plot diff "$traces/validation/1f1b.predicted.json" \
        "$traces/validation/1f1b.measured.json" -o d.svg || return 1
    # 2 ranks · 16 micro-batches · 2 kinds = 64 compute actions per timeline, titled both.
    [ "$(grep -c '<title>\(predicted\|measured\) ' d.svg)" -eq 128 ] ||
        { echo "diff: expected 128 box titles"; return 1; }
}

check_big_timeline_is_bounded() {
    # P = 32, M = 128: the width stops at 2300 + 95 px of plot and margins; labels thinned to
    # every stride-th micro-batch, never one per box.
    run 0 plot timeline -s 1f1b -p 32 -m 128 -o big.png || return 1
    [ "$(png_size big.png)" = 2395x780 ] || { echo "size $(png_size big.png)"; return 1; }
    local thinned
    thinned=$(awk '/^# thinned/{f=1; next} /^#|^$/{f=0} f' big.dat | wc -l)
    [ "$thinned" -gt 0 ] && [ "$thinned" -lt 8192 ] || { echo "$thinned thinned labels"; return 1; }
}

check_gnuplot_absent() {
    # Not on PATH: one line saying how to install it, data and script written, no image.
    env PATH=/nonexistent "$ppsim" plot timeline -s 1f1b -p 4 -m 8 -o t.png >out 2>err
    local rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc, expected 1"; return 1; }
    [ "$(wc -l <err)" -eq 1 ] || { echo "expected one line:"; cat err; return 1; }
    grep -q '^ppsim plot: gnuplot is not installed or not on PATH; install it (Debian/Ubuntu: apt-get install gnuplot-nox' err ||
        { cat err; return 1; }
    [ -s t.gp ] && [ -s t.dat ] && [ ! -e t.png ] || { echo "expected t.gp, t.dat, no t.png"; ls; return 1; }
    no_leftovers
}

check_gnuplot_fails() {
    # A gnuplot that writes half an image and fails: the old image stays, nothing partial.
    mkdir bin
    cat >bin/gnuplot <<'EOF'
#!/bin/sh
printf 'half an image'  # to stdout, where ppsim asks for the image
echo '"t.gp" line 40: all points y value undefined!' >&2
exit 1
EOF
    chmod +x bin/gnuplot
    printf 'old image' >t.png
    env PATH="$PWD/bin:/usr/bin:/bin" "$ppsim" plot timeline -s 1f1b -p 4 -m 8 -o t.png >out 2>err
    local rc=$?
    [ "$rc" -eq 1 ] || { echo "exit $rc, expected 1"; return 1; }
    [ "$(cat err)" = "ppsim plot: gnuplot failed on ./t.gp (\"t.gp\" line 40: all points y value undefined!); the data and script are kept" ] ||
        { cat err; return 1; }
    [ "$(cat t.png)" = "old image" ] || { echo "t.png was replaced"; return 1; }
    [ -s t.gp ] && [ -s t.dat ] || return 1
    no_leftovers
}

check_no_render() {
    env PATH=/nonexistent "$ppsim" plot timeline -s 1f1b -p 4 -m 8 -o t.svg --no-render >out 2>err ||
        { cat err; return 1; }
    [ -s t.gp ] && [ -s t.dat ] && [ ! -e t.svg ] || return 1
}

check_report() {
    run 0 report rep -s 1f1b -p 4 -m 8 --sweep-m 1-16:x2 || return 1
    [ "$(cat out)" = "wrote rep/index.md" ] || { cat out; return 1; }
    local f
    for f in index.md timeline.json compare.csv sweep.csv timeline.png memory.png sweep.png \
        timeline.gp memory.dat; do
        [ -s "rep/$f" ] || { echo "rep/$f missing"; return 1; }
    done
    # The makespan of 1F1B, P = 4, M = 8: (M + P − 1)·3 = 33 s.
    grep -q '^| 33.0 s | 27.3% | 37.5% | 37.5% | 27.3% |' rep/index.md ||
        { echo "result row"; return 1; }
    # Again, over it: replaced in one step, nothing left beside it.
    run 0 report rep -s gpipe -p 4 -m 8 || return 1
    grep -q '^# ppsim report: gpipe, P = 4, M = 8, v = 1$' rep/index.md || return 1
    [ ! -e rep/sweep.png ] || { echo "the old report's sweep.png is still there"; return 1; }
    [ -z "$(ls -d rep.new.* 2>/dev/null)" ] || { echo "left: $(ls -d rep.new.*)"; return 1; }
    # Without gnuplot: one line, the earlier report as it was.
    env PATH=/nonexistent "$ppsim" report rep -s 1f1b -p 4 -m 8 >out 2>err
    [ $? -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] || { cat err; return 1; }
    grep -q 'apt-get install gnuplot-nox' err || { cat err; return 1; }
    grep -q '^# ppsim report: gpipe' rep/index.md || { echo "old report changed"; return 1; }
    [ -z "$(ls -d rep.new.* 2>/dev/null)" ] || { echo "left: $(ls -d rep.new.*)"; return 1; }
    # --no-render needs no gnuplot: data and scripts, no image.
    env PATH=/nonexistent "$ppsim" report norender -s 1f1b -p 2 -m 2 --no-render >out 2>err ||
        { cat err; return 1; }
    [ -s norender/timeline.gp ] && [ ! -e norender/timeline.png ] || return 1
}

check_measured_report() {
    local v="$traces/validation"
    run 0 report cpu -s 1f1b -p 2 -m 16 --costs "$v/1f1b.costs.json" \
        --measured "$v/1f1b.measured.json" || return 1
    grep -q '^## Predicted against measured' cpu/index.md || return 1
    [ -s cpu/diff.png ] && [ -s cpu/measured.png ] && [ -s cpu/measured.json ] || return 1
}

check_critical_path_drawn() {
    # The critical path outlined (tests/cli/run_explain.sh checks which boxes): gnuplot draws
    # it from a measured timeline too, which is replayed to find the path.
    run 0 plot timeline "$traces/validation/1f1b.measured.json" --critical --transfers \
        -o c.png --size 900x300 || return 1
    [ "$(png_size c.png)" = 900x300 ] || return 1
    grep -q "title 'critical path'" c.gp || return 1
    no_leftovers
}

check_gp png_of_requested_size check_png_of_requested_size
check_gp critical_path_drawn check_critical_path_drawn
check_gp svg_hover_titles check_svg_hover_titles
check_gp script_redraws_alone check_script_redraws_alone
check_gp many_ranks_memory_panels check_many_ranks_memory_panels
check_gp measured_timeline_and_diff check_measured_timeline_and_diff
check_gp big_timeline_is_bounded check_big_timeline_is_bounded
check_gp report check_report
check_gp measured_report check_measured_report
check gnuplot_absent check_gnuplot_absent
check gnuplot_fails check_gnuplot_fails
check no_render check_no_render

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
