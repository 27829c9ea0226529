sim -f @DIR@/json_ranks_string.json
