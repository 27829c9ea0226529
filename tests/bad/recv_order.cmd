sim -f @DIR@/recv_order.csv -o @OUT@
