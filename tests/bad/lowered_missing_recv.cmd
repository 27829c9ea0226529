sim -f @DIR@/lowered_missing_recv.csv -o @OUT@
