gen -s 1f1b -p 4 -o @OUT@
