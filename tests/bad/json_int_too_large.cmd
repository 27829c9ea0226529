sim -f @DIR@/json_int_too_large.json -o @OUT@
