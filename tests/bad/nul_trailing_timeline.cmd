analyze @DIR@/nul_trailing_timeline.json
