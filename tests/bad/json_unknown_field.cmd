sim -f @DIR@/json_unknown_field.json
