sim -f @DIR@/placement_unknown.json
