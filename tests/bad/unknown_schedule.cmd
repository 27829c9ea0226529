sim -s nosuch -p 4 -m 8 -o @OUT@
