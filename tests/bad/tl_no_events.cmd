analyze @DIR@/tl_no_events.json --json
