sim -f @DIR@/nul_csv.csv
