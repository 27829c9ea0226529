sim -f @DIR@/json_missing_microbatches.json
