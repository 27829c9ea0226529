sim -s 1f1b -p 2 -m 2 --costs @DIR@/costs_stage_count.costs.json
