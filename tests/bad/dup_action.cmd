sim -f @DIR@/dup_action.json -o @OUT@
