analyze @DIR@/empty_timeline.json
