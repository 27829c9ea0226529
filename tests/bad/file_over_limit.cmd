sim -f @DIR@/file_over_limit.json -o @OUT@
