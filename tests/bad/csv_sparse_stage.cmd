sim -f @DIR@/csv_sparse_stage.csv
