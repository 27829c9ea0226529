sim -f @DIR@/send_no_neighbour.csv
