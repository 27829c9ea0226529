sweep -s 1f1b -p 2-32:x1 -m 8 -o @OUT@
