#!/usr/bin/env bash
# run_sweep.sh PPSIM_BINARY — end-to-end checks of `ppsim sweep` and `ppsim plot sweep`: the CSV
# a grid gives, shards merged back byte for byte, the progress line only on a terminal.
#
# Expected values by hand (t_F = 1, t_B = 2): GPipe and 1F1B take (M + P − 1)·3; with P = 4,
# M = 8 that is 33, idle/total 3/11 and idle/compute (P − 1)/M = 0.375.
set -u

pp_timeout=120
# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" PPSIM_BINARY "$@"
scratch sweep

# col FILE ROW_INDEX NAME — prints the field NAME of the row whose index is ROW_INDEX.
col() {
    python3 - "$@" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(rows[int(sys.argv[2])][sys.argv[3]])
PY
}

grid=(-s gpipe,1f1b,interleaved-1f1b -p 2-8:x2 -m 1-16 --ratio 1,2)

check_grid_rows() {
    run 0 sweep "${grid[@]}" -j 2 -o all.csv || return 1
    # 3 schedules · 3 P · 16 M · 2 ratios = 288 rows and the header.
    [ "$(wc -l <all.csv)" -eq 289 ] || { echo "expected 289 lines"; return 1; }
    [ ! -s out ] && [ ! -s err ] || { echo "output besides the CSV (no terminal here)"; cat out err; return 1; }
    # Row index: ((s·3 + p)·16 + (M − 1))·2 + ratio; gpipe, P = 4, M = 8, ratio 2: (16 + 7)·2 + 1.
    local i=47
    [ "$(col all.csv $i schedule),$(col all.csv $i ranks),$(col all.csv $i microbatches),$(col all.csv $i tb)" = "gpipe,4,8,2" ] ||
        { echo "row $i is not gpipe P=4 M=8 t_B=2"; return 1; }
    [ "$(col all.csv $i makespan)" = 33 ] || { echo "makespan $(col all.csv $i makespan)"; return 1; }
    [ "$(col all.csv $i bubble.idle_over_compute)" = 0.375 ] || return 1
    # ratio 1 (row 46): t_B = t_F = 1, makespan (8 + 4 − 1)·2 = 22.
    [ "$(col all.csv 46 makespan)" = 22 ] || { echo "ratio 1: $(col all.csv 46 makespan)"; return 1; }
    # interleaved-1f1b, P = 8, M = 4: a group of P = 8 micro-batches cannot be formed.
    i=$(( ((2 * 3 + 2) * 16 + 3) * 2 ))
    col all.csv $i skipped | grep -q 'group G=8 exceeds the micro-batches M=4' ||
        { echo "row $i: no reason"; return 1; }
}

check_shards_merge_byte_for_byte() {
    run 0 sweep "${grid[@]}" -j 1 -o all.csv || return 1
    local k
    for k in 0 1 2 3; do
        run 0 sweep "${grid[@]}" -j 2 --shard "$k/4" -o "part$k.csv" || return 1
    done
    run 0 sweep --merge part2.csv part0.csv part3.csv part1.csv -o merged.csv || return 1
    cmp all.csv merged.csv || { echo "merged shards differ from one run"; return 1; }
    # A missing shard is an error, and nothing is written.
    run 1 sweep --merge part0.csv part1.csv part3.csv -o bad.csv || return 1
    [ "$(cat err)" = "ppsim sweep: configuration 2 is in none of the 3 files (a shard missing?)" ] ||
        { cat err; return 1; }
    [ ! -e bad.csv ] || { echo "bad.csv written"; return 1; }
    no_leftovers
}

check_progress_on_a_terminal() {
    command -v script >/dev/null || { echo "no script(1): skipped"; return 0; }
    # script(1) gives ppsim a terminal: the progress line appears on it, ending in "done".
    script -qec "$ppsim sweep -s 1f1b -p 2-8 -m 1-64 -j 2 -o p.csv" /dev/null >tty.txt 2>&1 ||
        { cat tty.txt; return 1; }
    grep -q 'sweep: 448/448 configurations (100%), [0-9]*/s, ETA done' tty.txt ||
        { echo "no final progress line:"; cat tty.txt; return 1; }
}

check_plot_sweep() {
    command -v gnuplot >/dev/null || { echo "gnuplot not installed: skipped"; return 0; }
    run 0 sweep -s gpipe,1f1b -p 4,8 -m 1-64:x2 -o s.csv || return 1
    run 0 plot sweep s.csv -o s.png || return 1
    # The largest P by default: two series of 7 points each.
    grep -q 'sweep at P = 8' s.gp || { echo "title"; return 1; }
    [ "$(grep -c '^[0-9]' s.dat)" -eq 14 ] || { echo "expected 14 data lines"; return 1; }
    run 0 plot sweep s.csv -p 4 -o s4.svg || return 1
    grep -q 'sweep at P = 4' s4.gp || return 1
    run 1 plot sweep s.csv -p 3 -o s3.png || return 1
    [ "$(cat err)" = "ppsim plot: plot sweep: no configuration with P = 3 ran in the sweep" ] ||
        { cat err; return 1; }
}

check grid_rows check_grid_rows
check shards_merge_byte_for_byte check_shards_merge_byte_for_byte
check progress_on_a_terminal check_progress_on_a_terminal
check plot_sweep check_plot_sweep

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
