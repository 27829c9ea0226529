sim -f @DIR@/csv_huge_stage.csv
