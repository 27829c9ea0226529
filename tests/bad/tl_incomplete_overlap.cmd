analyze @DIR@/tl_incomplete_overlap.json
