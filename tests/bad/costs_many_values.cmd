sim -s 1f1b -p 2 -m 2 --costs @DIR@/costs_many_values.costs.json -o @OUT@
