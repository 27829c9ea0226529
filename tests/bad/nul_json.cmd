sim -f @DIR@/nul_json.json
