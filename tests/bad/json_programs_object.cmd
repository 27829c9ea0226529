sim -f @DIR@/json_programs_object.json
