analyze @DIR@/tl_overlap.json
