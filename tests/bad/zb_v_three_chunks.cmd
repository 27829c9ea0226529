sim -s ZBVZeroBubble -p 4 -m 8 -v 3
