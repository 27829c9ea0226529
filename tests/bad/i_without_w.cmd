sim -f @DIR@/i_without_w.json
