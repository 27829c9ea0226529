sim -s dualpipe-v -p 4 -m 7
