sweep --merge @DIR@/sweep_merge_not_csv.csv -o @OUT@
