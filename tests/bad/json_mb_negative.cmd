sim -f @DIR@/json_mb_negative.json
