sim -f @DIR@/json_mb_fraction.json
