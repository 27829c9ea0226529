sim -f @DIR@/b_and_iw.json
