gen -s interleaved-zb -p 2 -m 5
