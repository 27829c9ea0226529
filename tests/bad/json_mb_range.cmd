sim -f @DIR@/json_mb_range.json
