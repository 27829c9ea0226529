# memory.gp — a memory plot, written by ppsim 0.1.0.
# Restyle freely, then run `gnuplot memory.gp` in this folder to draw memory.png again.
# Data: memory.dat (its opening comments say what each column holds).
if (!exists("outfile")) outfile = 'memory.png'  # '-': to stdout
set encoding utf8
set terminal pngcairo size 900,480 font 'DejaVu Sans,10' noenhanced
if (outfile eq '-') { set output } else { set output outfile }
datafile = 'memory.dat'
set xrange [0:33]
set yrange [0:4.32]
limit = -1
set grid back lc rgb '#e0e0e0'
set xtics out nomirror
set ytics out nomirror
set title "1f1b: P = 4, M = 8, v = 1 (simulated)\nactivation memory per rank; peak 4 B on rank 0"
set xlabel 'time (s)'
set ylabel 'activation (B)'
set key outside right top vertical
plot datafile index 0 using 1:2 with steps lw 2 dt 1 lc rgb 0x0072B2 title 'rank 0 (peak 4 B)', \
     datafile index 1 using 1:2 with steps lw 2 dt 2 lc rgb 0xE69F00 title 'rank 1 (peak 3 B)', \
     datafile index 2 using 1:2 with steps lw 2 dt 3 lc rgb 0x009E73 title 'rank 2 (peak 2 B)', \
     datafile index 3 using 1:2 with steps lw 2 dt 4 lc rgb 0xD55E00 title 'rank 3 (peak 1 B)'
