sim -f @DIR@/binary_csv.csv
