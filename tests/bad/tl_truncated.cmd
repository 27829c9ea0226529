analyze @DIR@/tl_truncated.json
