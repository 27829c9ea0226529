plot timeline @DIR@/plot_timeline_and_schedule.json -s 1f1b -p 2 -m 2 -o @OUT@
