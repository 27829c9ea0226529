analyze @DIR@/tl_stage_range.json
