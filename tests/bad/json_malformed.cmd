sim -f @DIR@/json_malformed.json
