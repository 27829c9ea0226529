sim -f @DIR@/json_unknown_action.json
