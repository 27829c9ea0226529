sim -f @DIR@/csv_stage_two_ranks.csv
