sim -f @DIR@/json_missing_format.json
