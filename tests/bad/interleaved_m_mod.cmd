sim -s interleaved-1f1b -p 4 -m 6
