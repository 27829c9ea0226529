sim -f @DIR@/empty_csv.csv
