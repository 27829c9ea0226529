sim -f @DIR@/missing_forward.json
