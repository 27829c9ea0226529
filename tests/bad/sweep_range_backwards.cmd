sweep -s 1f1b -p 4 -m 16-8 -o @OUT@
