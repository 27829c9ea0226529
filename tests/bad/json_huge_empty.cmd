sim -f @DIR@/json_huge_empty.json -o @OUT@
