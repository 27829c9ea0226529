sim -f @DIR@/json_stage_range.json
