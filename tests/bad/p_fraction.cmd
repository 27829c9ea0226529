sim -s 1f1b -p 1.5 -m 8
