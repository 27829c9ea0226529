explain @DIR@/explain_unknown_schedule.json
