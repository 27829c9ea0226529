sim -f @DIR@/dup_key_json.json -o @OUT@
