sweep -s 1f1b -p 4 -m 8 --ratio 1,x -o @OUT@
