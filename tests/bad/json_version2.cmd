sim -f @DIR@/json_version2.json
