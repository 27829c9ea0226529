sim -s interleaved-1f1b -p 4 -m 2 -o @OUT@
