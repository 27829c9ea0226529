sweep -s 1f1b -m 8 -o @OUT@
