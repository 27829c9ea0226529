sim -f @DIR@/lowered_missing_pair.csv -o @OUT@
