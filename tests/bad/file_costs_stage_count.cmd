sim -f @DIR@/file_costs_stage_count.json --costs @DIR@/file_costs_stage_count.costs.json -o @OUT@
