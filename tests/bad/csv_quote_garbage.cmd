sim -f @DIR@/csv_quote_garbage.csv
