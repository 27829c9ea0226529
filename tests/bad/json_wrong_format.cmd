sim -f @DIR@/json_wrong_format.json
