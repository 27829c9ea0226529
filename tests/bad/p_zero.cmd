sim -s 1f1b -p 0 -m 8 -o @OUT@
