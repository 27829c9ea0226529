analyze @DIR@/tl_rank_range.json
