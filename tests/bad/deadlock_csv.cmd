show -f @DIR@/deadlock_csv.csv
