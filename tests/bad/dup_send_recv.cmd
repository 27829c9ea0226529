sim -f @DIR@/dup_send_recv.csv -o @OUT@
