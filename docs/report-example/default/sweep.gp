# sweep.gp — a sweep plot, written by ppsim 0.1.0.
# Restyle freely, then run `gnuplot sweep.gp` in this folder to draw sweep.png again.
# Data: sweep.dat (its opening comments say what each column holds).
if (!exists("outfile")) outfile = 'sweep.png'  # '-': to stdout
set encoding utf8
set terminal pngcairo size 1500,504 font 'DejaVu Sans,10' noenhanced
if (outfile eq '-') { set output } else { set output outfile }
datafile = 'sweep.dat'
set multiplot title "sweep at P = 4: one rank's share t_F = 1.00 s, t_B = 2.00 s; points simulated, dashed lines the literature's formula"
set logscale x 2
set xlabel 'micro-batches M (log scale)'
set grid back lc rgb '#e0e0e0'
set xtics out nomirror
set ytics out nomirror
set key off

set origin 0.0000, 0.1389
set size 0.3333, 0.8011
set title 'bubble: idle/total (GPipe convention)'
set ylabel 'idle time / total time'
unset logscale y
set yrange [0:1]
plot  datafile index 0 using 1:2 with points lw 1.5 pt 7 ps 1.1 lc rgb 0x0072B2 notitle, \
     datafile index 0 using 1:3 with lines dt 2 lw 1.5 lc rgb 0x0072B2 notitle, \
     datafile index 1 using 1:2 with points lw 1.5 pt 5 ps 1.1 lc rgb 0xE69F00 notitle, \
     datafile index 1 using 1:3 with lines dt 2 lw 1.5 lc rgb 0xE69F00 notitle, \
     datafile index 2 using 1:2 with points lw 1.5 pt 9 ps 1.1 lc rgb 0x009E73 notitle, \
     datafile index 2 using 1:3 with lines dt 2 lw 1.5 lc rgb 0x009E73 notitle, \
     datafile index 3 using 1:2 with points lw 1.5 pt 11 ps 1.1 lc rgb 0xD55E00 notitle, \
     datafile index 3 using 1:3 with lines dt 2 lw 1.5 lc rgb 0xD55E00 notitle, \
     datafile index 4 using 1:2 with points lw 1.5 pt 13 ps 1.1 lc rgb 0xCC79A7 notitle, \
     datafile index 4 using 1:3 with lines dt 2 lw 1.5 lc rgb 0xCC79A7 notitle, \
     datafile index 5 using 1:2 with points lw 1.5 pt 15 ps 1.1 lc rgb 0x56B4E9 notitle, \
     datafile index 5 using 1:3 with lines dt 2 lw 1.5 lc rgb 0x56B4E9 notitle, \
     datafile index 6 using 1:2 with points lw 1.5 pt 4 ps 1.1 lc rgb 0xB8A200 notitle, \
     datafile index 6 using 1:3 with lines dt 2 lw 1.5 lc rgb 0xB8A200 notitle, \
     datafile index 7 using 1:2 with points lw 1.5 pt 6 ps 1.1 lc rgb 0x000000 notitle, \
     datafile index 7 using 1:3 with lines dt 2 lw 1.5 lc rgb 0x000000 notitle, \
     datafile index 8 using 1:2 with points lw 1.5 pt 8 ps 1.1 lc rgb 0x0072B2 notitle, \
     datafile index 8 using 1:3 with lines dt 2 lw 1.5 lc rgb 0x0072B2 notitle, \
     datafile index 9 using 1:2 with points lw 1.5 pt 10 ps 1.1 lc rgb 0xE69F00 notitle, \
     datafile index 9 using 1:3 with lines dt 2 lw 1.5 lc rgb 0xE69F00 notitle, \
     datafile index 10 using 1:2 with points lw 1.5 pt 12 ps 1.1 lc rgb 0x009E73 notitle, \
     datafile index 10 using 1:3 with lines dt 2 lw 1.5 lc rgb 0x009E73 notitle, \
     datafile index 11 using 1:2 with points lw 1.5 pt 14 ps 1.1 lc rgb 0xD55E00 notitle, \
     datafile index 11 using 1:3 with lines dt 2 lw 1.5 lc rgb 0xD55E00 notitle

set origin 0.3333, 0.1389
set size 0.3333, 0.8011
set title 'peak activation memory (busiest rank)'
set ylabel 'peak activation (B, log scale)'
set logscale y
set yrange [*:*]
plot  datafile index 0 using 1:4 with linespoints lw 1.5 pt 7 ps 0.8 lc rgb 0x0072B2 notitle, \
     datafile index 1 using 1:4 with linespoints lw 1.5 pt 5 ps 0.8 lc rgb 0xE69F00 notitle, \
     datafile index 2 using 1:4 with linespoints lw 1.5 pt 9 ps 0.8 lc rgb 0x009E73 notitle, \
     datafile index 3 using 1:4 with linespoints lw 1.5 pt 11 ps 0.8 lc rgb 0xD55E00 notitle, \
     datafile index 4 using 1:4 with linespoints lw 1.5 pt 13 ps 0.8 lc rgb 0xCC79A7 notitle, \
     datafile index 5 using 1:4 with linespoints lw 1.5 pt 15 ps 0.8 lc rgb 0x56B4E9 notitle, \
     datafile index 6 using 1:4 with linespoints lw 1.5 pt 4 ps 0.8 lc rgb 0xB8A200 notitle, \
     datafile index 7 using 1:4 with linespoints lw 1.5 pt 6 ps 0.8 lc rgb 0x000000 notitle, \
     datafile index 8 using 1:4 with linespoints lw 1.5 pt 8 ps 0.8 lc rgb 0x0072B2 notitle, \
     datafile index 9 using 1:4 with linespoints lw 1.5 pt 10 ps 0.8 lc rgb 0xE69F00 notitle, \
     datafile index 10 using 1:4 with linespoints lw 1.5 pt 12 ps 0.8 lc rgb 0x009E73 notitle, \
     datafile index 11 using 1:4 with linespoints lw 1.5 pt 14 ps 0.8 lc rgb 0xD55E00 notitle

set origin 0.6667, 0.1389
set size 0.3333, 0.8011
set title 'step time (makespan)'
set ylabel 'step time (s, log scale)'
set logscale y
set yrange [*:*]
plot  datafile index 0 using 1:5 with linespoints lw 1.5 pt 7 ps 0.8 lc rgb 0x0072B2 notitle, \
     datafile index 1 using 1:5 with linespoints lw 1.5 pt 5 ps 0.8 lc rgb 0xE69F00 notitle, \
     datafile index 2 using 1:5 with linespoints lw 1.5 pt 9 ps 0.8 lc rgb 0x009E73 notitle, \
     datafile index 3 using 1:5 with linespoints lw 1.5 pt 11 ps 0.8 lc rgb 0xD55E00 notitle, \
     datafile index 4 using 1:5 with linespoints lw 1.5 pt 13 ps 0.8 lc rgb 0xCC79A7 notitle, \
     datafile index 5 using 1:5 with linespoints lw 1.5 pt 15 ps 0.8 lc rgb 0x56B4E9 notitle, \
     datafile index 6 using 1:5 with linespoints lw 1.5 pt 4 ps 0.8 lc rgb 0xB8A200 notitle, \
     datafile index 7 using 1:5 with linespoints lw 1.5 pt 6 ps 0.8 lc rgb 0x000000 notitle, \
     datafile index 8 using 1:5 with linespoints lw 1.5 pt 8 ps 0.8 lc rgb 0x0072B2 notitle, \
     datafile index 9 using 1:5 with linespoints lw 1.5 pt 10 ps 0.8 lc rgb 0xE69F00 notitle, \
     datafile index 10 using 1:5 with linespoints lw 1.5 pt 12 ps 0.8 lc rgb 0x009E73 notitle, \
     datafile index 11 using 1:5 with linespoints lw 1.5 pt 14 ps 0.8 lc rgb 0xD55E00 notitle

set origin 0, 0
set size 1, 0.1389
unset title
unset xlabel
unset ylabel
unset logscale
unset border
unset tics
unset grid
set xrange [0:1]
set yrange [0:1]
set key center center horizontal reverse Left maxcols 5 samplen 2
plot  NaN with linespoints lw 1.5 pt 7 lc rgb 0x0072B2 title 'naive', \
     NaN with linespoints lw 1.5 pt 5 lc rgb 0xE69F00 title 'gpipe', \
     NaN with linespoints lw 1.5 pt 9 lc rgb 0x009E73 title '1f1b', \
     NaN with linespoints lw 1.5 pt 11 lc rgb 0xD55E00 title 'interleaved-1f1b, v = 2', \
     NaN with linespoints lw 1.5 pt 13 lc rgb 0xCC79A7 title 'looped-bfs, v = 2', \
     NaN with linespoints lw 1.5 pt 15 lc rgb 0x56B4E9 title 'zb-h1', \
     NaN with linespoints lw 1.5 pt 4 lc rgb 0xB8A200 title 'zb-h2', \
     NaN with linespoints lw 1.5 pt 6 lc rgb 0x000000 title 'zb-v, v = 2', \
     NaN with linespoints lw 1.5 pt 8 lc rgb 0x0072B2 title 'interleaved-zb, v = 2', \
     NaN with linespoints lw 1.5 pt 10 lc rgb 0xE69F00 title 'dualpipe-v, v = 2', \
     NaN with linespoints lw 1.5 pt 12 lc rgb 0x009E73 title 'zb-auto', \
     NaN with linespoints lw 1.5 pt 14 lc rgb 0xD55E00 title 'zb-v-auto, v = 2', \
     NaN with lines dt 2 lw 1.5 lc rgb 0x000000 title 'the literature''s formula'
unset multiplot
