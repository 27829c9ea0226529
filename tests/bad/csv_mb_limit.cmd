sim -f @DIR@/csv_mb_limit.csv
