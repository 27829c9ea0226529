sim -f @DIR@/placement_loop_ranks.json
