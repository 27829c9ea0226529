sim -f @DIR@/wait_send_no_mb.csv -o @OUT@
