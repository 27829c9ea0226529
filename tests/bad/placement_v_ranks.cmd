sim -f @DIR@/placement_v_ranks.json
