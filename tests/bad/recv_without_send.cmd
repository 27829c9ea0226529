sim -f @DIR@/recv_without_send.csv
