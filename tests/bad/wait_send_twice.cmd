sim -f @DIR@/wait_send_twice.csv -o @OUT@
