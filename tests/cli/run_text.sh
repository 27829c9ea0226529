#!/usr/bin/env bash
# run_text.sh PPSIM_BINARY — the text people read: units in `sim`'s summary, `compare`'s and
# `diff`'s tables, `ppsim show`'s labels at v = 2 and 4 (exact lines), its colours and its
# width on a terminal.
#
# Expected lines by hand. looped-bfs on the loop placement (rank r holds stages c·P + r), every
# forward chunk by chunk, then every backward from the last chunk down, micro-batches in reverse
# (docs/schedules.md); one rank's share t_F = 1, t_B = 2 split over v stages.
#   P = 2, M = 2, v = 2: stage F 0.5, B 1. Rank 0: 0F0 [0,.5] 0F1 [.5,1] 2F0 [1,1.5] 2F1
#   [1.5,2], idle, 2B1 [3.5,4.5] 2B0 [4.5,5.5] 0B1 [5.5,6.5] 0B0 [6.5,7.5]; rank 1: 1F0 [.5,1]
#   1F1 [1,1.5] 3F0 [1.5,2] 3F1 [2,2.5] 3B1 [2.5,3.5] 3B0 [3.5,4.5] 1B1 [4.5,5.5] 1B0
#   [5.5,6.5]. Makespan 7.5; the shortest action (0.5) holds "F0a" and a blank: 7.5/0.5·4 = 60
#   columns of 125 ms, F 4 columns, B 8.
#   P = 2, M = 1, v = 4: stage F 0.25, B 0.5; forwards alternate ranks from 0 to 2, backwards
#   from 2 to 6 (7B0 [2,2.5], 6B0 [2.5,3], ..., 0B0 [5.5,6]); 6/0.25·4 = 96 columns of 62.5 ms.
# Units (sim and compare), P = 2, M = 2, t_F = 10 ms, t_B = 20 ms, 1.2 GB of activation per
# micro-batch. 1F1B and GPipe: makespan (M + P − 1)(t_F + t_B) = 90 ms, each rank busy
# 2·30 = 60 ms and idle 30 ms, idle/total 60/180 = 1/3, idle/compute (P − 1)/M = 1/2, the
# widest rank (rank 0, 0 .. 90 ms) idles 30 ms; throughput M / makespan = 22.2 per second;
# peaks: 1F1B min(P − r, M) micro-batches = 2.40 GB, 1.20 GB; GPipe M = 2.40 GB on each rank.
# interleaved-1f1b, v = 2: stages of 5 and 10 ms, makespan 60·(1 + (P − 1)/(v·M)) = 75 ms,
# 15 ms idle per rank (0.2 of 75, 0.25 of 60); rank r holds min(2(P − 1 − r) + (v − 1)P + 1,
# v·M) chunks of 0.6 GB: 4 and 3, 2.40 and 1.80 GB.
set -u

# shellcheck source=tests/cli/lib.sh
source "$(cd "$(dirname "$0")" && pwd)/lib.sh"
script_args "$0" PPSIM_BINARY "$@"
scratch text

# same WANT_FILE — fails, showing both, unless ./out equals WANT_FILE.
same() {
    diff -u "$1" out >/dev/null && return 0
    echo "expected:"; cat -A "$1"; echo "got:"; cat -A out
    return 1
}

check_show_v2() {
    run 0 show -s looped-bfs -p 2 -m 2 -v 2 || return 1
    cat >want <<'TXT'
looped-bfs: 2 ranks, 2 micro-batches, v = 2; 0 .. 7.50 s, one column = 125 ms
rank 0  | F0a F1a F0b F1b ............B1b     B0b     B1a     B0a     
rank 1  | ....F0a F1a F0b F1b B1b     B0b     B1a     B0a     ........
        F forward, B backward; chunk letters: a = chunk 0, b = chunk 1 (chunk c of rank r: stage c·P + r, or 2P − 1 − r on the V)
TXT
    same want
}

check_show_v4() {
    run 0 show -s looped-bfs -p 2 -m 1 -v 4 || return 1
    cat >want <<'TXT'
looped-bfs: 2 ranks, 1 micro-batch, v = 4; 0 .. 6.00 s, one column = 62.5 ms
rank 0  | F0a ....F0b ....F0c ....F0d ............B0d     ........B0c     ........B0b     ........B0a     
rank 1  | ....F0a ....F0b ....F0c ....F0d B0d     ........B0c     ........B0b     ........B0a     ........
        F forward, B backward; chunk letters: a = chunk 0, b = chunk 1, c = chunk 2, d = chunk 3 (chunk c of rank r: stage c·P + r, or 2P − 1 − r on the V)
TXT
    same want
}

check_show_shortens_labels() {
    # At 30 columns (250 ms) the forwards of P = 2, M = 2, v = 2 get 2 columns: room for "F"
    # (one is kept free), the backwards 4: room for "B1b".
    run 0 show -s looped-bfs -p 2 -m 2 -v 2 --width 30 || return 1
    grep -qx 'rank 0  | F F F F ......B1b B0b B1a B0a ' out || { cat -A out; return 1; }
}

check_show_colour() {
    # With colour each box is the kind's colour (truecolor) and holds its micro-batch, so the
    # shortest action needs 2 columns ("0" and a blank): 30 of 250 ms. Rank 0's forwards of
    # chunk 0 are blue #0072B2 = (0, 114, 178) with white text; chunk 1's are lighter.
    run 0 show -s looped-bfs -p 2 -m 2 -v 2 --color always || return 1
    grep -q $'^rank 0  | \x1b\\[48;2;0;114;178m\x1b\\[38;2;255;255;255m0 1 \x1b\\[0m' out ||
        { cat -v out; return 1; }
    grep -q $'\x1b\\[48;2;140;191;220m' out || { echo "no lighter chunk 1"; return 1; }
    run 0 show -s 1f1b -p 2 -m 2 || return 1
    ! grep -q $'\x1b' out || { echo "colour escapes without a terminal"; return 1; }
    NO_COLOR=1 run 2 show -s 1f1b -p 2 -m 2 --color sometimes || return 1
}

check_show_terminal_width() {
    command -v script >/dev/null || { echo "no script(1): skipped"; return 0; }
    # On a terminal the width is the terminal's: 100 columns less the 10 of "rank 0  | ".
    script -qec "stty cols 100; NO_COLOR=1 $ppsim show -s 1f1b -p 2 -m 2" /dev/null >tty.txt ||
        return 1
    local len
    len=$(grep '^rank 0' tty.txt | tr -d '\r' | awk '{ print length($0) }')
    [ "$len" -eq 100 ] || { echo "rank line of $len columns"; cat -A tty.txt; return 1; }
}

check_sim_units() {
    run 0 sim -s 1f1b -p 2 -m 2 --tf 0.01 --tb 0.02 --act-bytes 1.2e9 || return 1
    cat >want <<'TXT'
schedule 1f1b: 2 ranks, 2 stages, 2 micro-batches, 8 compute actions (simulated)
makespan           90.0 ms
bubble             idle/total 0.3333   idle/compute 0.5000 (analytic 0.5000)   stage-span 0.3333
bubble time        30.0 ms on the widest rank (analytic 30.0 ms)
throughput         22.2 micro-batches/s
rank        busy (ms)      idle (ms)      peak act (GB)      analytic (GB)
0                60.0           30.0               2.40               2.40
1                60.0           30.0               1.20               1.20
TXT
    same want
}

check_compare_units() {
    run 0 compare -s gpipe,1f1b,interleaved-1f1b -p 2 -m 2 --tf 0.01 --tb 0.02 \
        --act-bytes 1.2e9 || return 1
    tail -n +3 out >table
    mv table out
    cat >want <<'TXT'
schedule             v makespan (ms) idle/total idle/compute  analytic stage-span bubble (ms)  analytic  peak activation per rank (GB)  analytic
gpipe                1          90.0     0.3333       0.5000    0.5000     0.3333        30.0      30.0  2.40,2.40                     2.40,2.40
1f1b                 1          90.0     0.3333       0.5000    0.5000     0.3333        30.0      30.0  2.40,1.20                     2.40,1.20
interleaved-1f1b     2          75.0     0.2000       0.2500    0.2500     0.2000        15.0      15.0  2.40,1.80                     2.40,1.80
TXT
    same want
}

check_compare_many_ranks_range() {
    # Past 8 ranks the peaks are a range: 1F1B, P = M = 10, rank r holds 10 − r bytes.
    run 0 compare -s 1f1b -p 10 -m 10 || return 1
    grep -q '^1f1b  .*  1 to 10  *1 to 10$' out || { cat out; return 1; }
}

check_diff_units() {
    # Two 1F1B runs, P = 2, M = 1, t_B = 20 ms; "predicted" t_F = 10 ms: 0F0 [0,10], 1F0 [10,20],
    # 1B0 [20,40], 0B0 [40,60]; "measured" t_F = 12 ms: [0,12], [12,24], [24,44], [44,64].
    # Makespan 60 against 64 ms (+6.67%), busy 30 against 32 ms per rank, each bubble 0.5, 1, 0.5
    # in both. The 8 events (4 compute, a send and a receive each way, the receives from 0):
    # start errors 0 (0F0, both receives), 2 (0SEND_F0, 1F0), 4 (1B0, 1SEND_B0, 0B0): median 2;
    # end errors 2 (0F0, 0SEND_F0, 1RECV_F0) and 4 (the other five): median 4.
    run 0 sim -s 1f1b -p 2 -m 1 --tf 0.01 --tb 0.02 -o p.json || return 1
    run 0 sim -s 1f1b -p 2 -m 1 --tf 0.012 --tb 0.02 -o m.json || return 1
    run 0 diff p.json m.json --tolerance 0.1 || return 1
    head -n 12 out >head.txt
    mv head.txt out
    cat >want <<'TXT'
diff: 1f1b (simulated, sim) vs 1f1b (simulated, sim): 2 ranks, 2 stages, 1 micro-batch
                            predicted       measured        error
makespan (ms)                    60.0           64.0       +6.67%
bubble idle/total              0.5000         0.5000      +0.0000
bubble idle/compute            1.0000         1.0000      +0.0000
bubble stage-span              0.5000         0.5000      +0.0000
busy rank 0 (ms)                 30.0           32.0       +6.67%
busy rank 1 (ms)                 30.0           32.0       +6.67%
events: 8 matched, 0 only predicted, 0 only measured
|start error| (ms)     median 2.00   p90 4.00   max 4.00
|end error| (ms)       median 4.00   p90 4.00   max 4.00
worst actions (largest |end error|, times in ms from each timeline's start, error in ms):
TXT
    same want || return 1
    run 0 diff p.json m.json --tolerance 0.1 || return 1
    grep -q '^  0     compute   0B0  *40.0  *60.0  *44.0  *64.0  *+4.00$' out ||
        { echo "no row for 0B0"; cat out; return 1; }
}

check sim_units check_sim_units
check diff_units check_diff_units
check compare_units check_compare_units
check compare_many_ranks_range check_compare_many_ranks_range
check show_v2 check_show_v2
check show_v4 check_show_v4
check show_shortens_labels check_show_shortens_labels
check show_colour check_show_colour
check show_terminal_width check_show_terminal_width

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
