sim -f @DIR@/send_without_recv.csv
