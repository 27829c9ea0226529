sim -f @DIR@/csv_stage_gap.csv
