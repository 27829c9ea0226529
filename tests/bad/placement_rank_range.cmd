sim -f @DIR@/placement_rank_range.json
