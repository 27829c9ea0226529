sim -f @DIR@/binary_json.json -o @OUT@
