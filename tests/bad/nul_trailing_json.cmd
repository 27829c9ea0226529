sim -f @DIR@/nul_trailing_json.json -o @OUT@
