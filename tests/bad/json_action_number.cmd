sim -f @DIR@/json_action_number.json
