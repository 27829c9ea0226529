analyze @DIR@/tl_missing_backward.json
