sim -f @DIR@/w_before_i.json
