analyze @DIR@/tl_duplicate_events.json
