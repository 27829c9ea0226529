report -s 1f1b -p 2 -m 2
