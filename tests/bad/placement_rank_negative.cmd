sim -f @DIR@/placement_rank_negative.json
