plot sweep @DIR@/plot_sweep_bad_csv.csv -o @OUT@
