sim -f @DIR@/wait_before_send.csv -o @OUT@
