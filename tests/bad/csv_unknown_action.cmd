sim -f @DIR@/csv_unknown_action.csv
