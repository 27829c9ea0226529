sim -f @DIR@/json_programs_count.json
