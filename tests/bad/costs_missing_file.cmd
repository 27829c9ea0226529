sim -s 1f1b -p 2 -m 2 --costs @DIR@/no_such.costs.json -o @OUT@
