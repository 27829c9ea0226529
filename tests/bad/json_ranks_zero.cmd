sim -f @DIR@/json_ranks_zero.json
