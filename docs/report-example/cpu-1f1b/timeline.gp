# timeline.gp — a timeline plot, written by ppsim 0.1.0.
# Restyle freely, then run `gnuplot timeline.gp` in this folder to draw timeline.png again.
# Data: timeline.dat (its opening comments say what each column holds).
if (!exists("outfile")) outfile = 'timeline.png'  # '-': to stdout
set encoding utf8
set terminal pngcairo size 943,208 font 'DejaVu Sans,10' noenhanced
if (outfile eq '-') { set output } else { set output outfile }
datafile = 'timeline.dat'

# Colours per kind (Okabe & Ito, readable with colour-blindness); colour(k, f) is
# kind k's colour mixed with white by f in [0, 1].
cF = 0x0072B2; cB = 0xE69F00; cI = 0xD55E00; cW = 0x009E73; cFB = 0xCC79A7
cSEND_F = 0x56B4E9; cSEND_B = 0xB8A200
kindcolour(k) = k eq 'F' ? cF : k eq 'B' ? cB : k eq 'I' ? cI : k eq 'W' ? cW : k eq 'SEND_F' ? cSEND_F : k eq 'SEND_B' ? cSEND_B : cFB
mix(x, f) = int(x + (255 - x) * f)
colour(k, f) = (mix((kindcolour(k) >> 16) & 255, f) << 16) + (mix((kindcolour(k) >> 8) & 255, f) << 8) + mix(kindcolour(k) & 255, f)
# Chunk c of v is drawn mixed with white by tint(c): later chunks are lighter.
v = 1
tint(c) = v > 1 ? 0.55 * c / (v - 1) : 0

set title "1f1b: P = 2, M = 16, v = 1 (simulated)\nmakespan 174 ms   bubble: idle/total 6.1% (GPipe), idle/compute 6.5% (Megatron), stage-span 6.3% (Zero Bubble)"
set lmargin at screen 0.074231
set rmargin at screen 0.973489
set tmargin at screen 0.701923
set bmargin at screen 0.375000
set xrange [0:174.026394]
set yrange [1.50:-0.5]
set xlabel 'time (ms)'
set xtics out nomirror
set mxtics
set ytics nomirror scale 0 ('rank 0' 0, 'rank 1' 1)
set grid xtics back lc rgb '#e0e0e0' lw 1
set key outside bottom center horizontal maxcols 2 samplen 1.5 width 1
set style fill solid 1.0 border lc rgb '#ffffff'
set style textbox opaque fc rgb '#ffffff' noborder margins 1,1
set object 1 rect from graph 0, first -0.38 to graph 1, first 0.38 fc rgb '#f3f3f3' fs solid 1.0 noborder behind
set object 2 rect from graph 0, first 0.62 to graph 1, first 1.38 fc rgb '#f3f3f3' fs solid 1.0 noborder behind
boxh = 0.380; boxy = 0.000; xferh = 0.000; xfery = 0.000
labelfont = 'DejaVu Sans,8'

plot datafile index 'compute' using (($2+$3)/2):($1+boxy):(($3-$2)/2):(boxh):(colour(strcol(4), tint($5))) with boxxyerror lc rgb variable notitle, \
     datafile index 'labels' using 1:2:3:4 with labels font labelfont tc rgb variable notitle, \
     keyentry with boxes fc rgb colour('F', tint(0)) title 'F forward', \
     keyentry with boxes fc rgb colour('B', tint(0)) title 'B backward'
