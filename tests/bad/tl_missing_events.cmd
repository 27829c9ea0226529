show @DIR@/tl_missing_events.json
