sweep -s 1f1b,zz -p 4 -m 8 -o @OUT@
