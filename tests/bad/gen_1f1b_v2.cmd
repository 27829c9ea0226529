gen -s 1f1b -p 4 -m 8 -v 2 -o @OUT@
