sim -f @DIR@/json_truncated.json -o @OUT@
