sim -f @DIR@/nul_escape_json.json -o @OUT@
