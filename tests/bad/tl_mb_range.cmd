analyze @DIR@/tl_mb_range.json
