# diff.gp — a diff plot of two timelines, written by ppsim 0.1.0.
# Restyle freely, then run `gnuplot diff.gp` in this folder to draw diff.png again.
# Data: diff.dat (its opening comments say what each column holds).
if (!exists("outfile")) outfile = 'diff.png'  # '-': to stdout
set encoding utf8
set terminal pngcairo size 1055,274 font 'DejaVu Sans,10' noenhanced
if (outfile eq '-') { set output } else { set output outfile }
datafile = 'diff.dat'

# Colours per kind (Okabe & Ito, readable with colour-blindness); colour(k, f) is
# kind k's colour mixed with white by f in [0, 1].
cF = 0x0072B2; cB = 0xE69F00; cI = 0xD55E00; cW = 0x009E73; cFB = 0xCC79A7
cSEND_F = 0x56B4E9; cSEND_B = 0xB8A200
kindcolour(k) = k eq 'F' ? cF : k eq 'B' ? cB : k eq 'I' ? cI : k eq 'W' ? cW : k eq 'SEND_F' ? cSEND_F : k eq 'SEND_B' ? cSEND_B : cFB
mix(x, f) = int(x + (255 - x) * f)
colour(k, f) = (mix((kindcolour(k) >> 16) & 255, f) << 16) + (mix((kindcolour(k) >> 8) & 255, f) << 8) + mix(kindcolour(k) & 255, f)
pale = 0.45  # the first timeline's boxes are lighter
rowy0 = -0.21; rowy1 = 0.21; boxh = 0.18
rowy(w) = w > 0 ? rowy1 : rowy0
set title "1f1b: P = 2, M = 16, 2 stages: predicted (sim) vs measured (cpu), makespan error +4.6%\noutlined, the largest end-time errors: 1 = 1B15 +8.03 ms, 2 = 0B15 +7.96 ms, 3 = 1B14 +7.80 ms, 4 = 1F15 +7.79 ms, 5 = 0B14 +7.63 ms"
set lmargin at screen 0.123223
set rmargin at screen 0.976303
set tmargin at screen 0.773723
set bmargin at screen 0.364964
set xrange [0:181.989955]
set yrange [1.50:-0.5]
set xlabel 'time (ms), each timeline from its first event'
set xtics out nomirror
set mxtics
set ytics nomirror scale 0 ('rank 0 predicted' -0.21, 'measured' 0.21, 'rank 1 predicted' 0.79, 'measured' 1.21) font ',9'
set grid xtics back lc rgb '#e0e0e0'
set arrow 1 from graph 0, first 0.5 to graph 1, first 0.5 nohead lc rgb '#bbbbbb' back
set key at screen 0.0095, screen 0.0292 left bottom vertical Left reverse maxcols 1 samplen 1.5
set style fill solid 1.0 border lc rgb '#ffffff'
set style textbox opaque fc rgb '#ffffff' noborder margins 1,1

plot datafile index 'compute' using (($3+$4)/2):($2+rowy($1)):(($4-$3)/2):(boxh):(colour(strcol(5), $1 > 0 ? 0 : pale)) with boxxyerror lc rgb variable notitle, \
     datafile index 'worst' using (($2+$3)/2):($1+rowy0):(($3-$2)/2):(boxh+0.03) with boxxyerror fs empty lw 2 lc rgb 0x000000 notitle, \
     datafile index 'worst' using (($4+$5)/2):($1+rowy1):(($5-$4)/2):(boxh+0.03) with boxxyerror fs empty lw 2 lc rgb 0x000000 notitle, \
     datafile index 'worst' using (($4+$5)/2):($1+rowy1):6 with labels boxed font ',8' tc rgb 0x000000 notitle, \
     keyentry with boxes fc rgb colour('F', pale) title 'predicted (sim): makespan 174 ms, bubble 6.1% idle/total, 6.5% idle/compute', \
     keyentry with boxes fc rgb colour('F', 0) title 'measured (cpu): makespan 182 ms, bubble 9.1% idle/total, 10.1% idle/compute'
