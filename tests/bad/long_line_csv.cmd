sim -f @DIR@/long_line_csv.csv
