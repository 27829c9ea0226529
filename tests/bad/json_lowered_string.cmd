sim -f @DIR@/json_lowered_string.json
