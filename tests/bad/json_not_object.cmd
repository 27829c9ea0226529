sim -f @DIR@/json_not_object.json
