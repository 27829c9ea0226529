sweep -s 1f1b -p 4 -m 8 --w-fraction 1.5 -o @OUT@
