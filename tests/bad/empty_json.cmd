sim -f @DIR@/empty_json.json -o @OUT@
