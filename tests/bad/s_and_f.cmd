sim -s 1f1b -f @DIR@/s_and_f.json -p 2 -m 2 -o @OUT@
