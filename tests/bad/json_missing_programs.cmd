sim -f @DIR@/json_missing_programs.json
