analyze @DIR@/blank_timeline.json
