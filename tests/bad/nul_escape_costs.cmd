sim -s 1f1b -p 2 -m 2 --costs @DIR@/nul_escape_costs.costs.json -o @OUT@
