gen -s 1f1b -p 2 -m 4 --no-waits -o @OUT@
