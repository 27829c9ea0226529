sim -p 2 -m 2
