sim -f @DIR@/json_overlap_bad.json
