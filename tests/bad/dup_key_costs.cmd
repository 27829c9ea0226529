sim -s 1f1b -p 2 -m 2 --costs @DIR@/dup_key_costs.costs.json -o @OUT@
