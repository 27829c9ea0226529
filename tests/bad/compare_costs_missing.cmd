compare --costs @DIR@/compare_costs_missing.costs.json
