sim -f @DIR@/long_name_json.json
