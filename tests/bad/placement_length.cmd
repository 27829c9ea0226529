sim -f @DIR@/placement_length.json
