sim -f @DIR@/wrong_rank.json
