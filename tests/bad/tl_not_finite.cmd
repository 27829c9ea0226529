analyze @DIR@/tl_not_finite.json
