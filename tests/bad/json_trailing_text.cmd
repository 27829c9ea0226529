sim -f @DIR@/json_trailing_text.json
