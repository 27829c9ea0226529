sim -f @DIR@/csv_send_before_compute.csv
