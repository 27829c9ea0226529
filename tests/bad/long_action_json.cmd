sim -f @DIR@/long_action_json.json
