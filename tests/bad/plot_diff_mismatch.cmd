plot diff @DIR@/plot_diff_mismatch.a.json @DIR@/plot_diff_mismatch.b.json -o @OUT@
