sim -f @DIR@/json_mb_overflow.json
