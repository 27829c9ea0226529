sim -f @DIR@/blank_json.json
