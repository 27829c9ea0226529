analyze @DIR@/nul_escape_timeline.json
