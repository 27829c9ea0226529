plot diff @DIR@/plot_diff_one_file.json -o @OUT@
