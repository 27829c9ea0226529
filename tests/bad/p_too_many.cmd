sim -s 1f1b -p 100000 -m 8 -o @OUT@
