analyze @DIR@/tl_negative_start.json
