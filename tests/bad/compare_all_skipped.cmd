compare -s interleaved-1f1b -m 2
