analyze @DIR@/tl_repeat.json
