sim -f @DIR@/json_program_string.json
