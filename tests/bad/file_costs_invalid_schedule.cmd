sim -f @DIR@/file_costs_invalid_schedule.json --costs @DIR@/file_costs_invalid_schedule.costs.json -o @OUT@
