analyze @DIR@/tl_end_before_start.json --json
