sim -s zb-auto -p 4 -m 8 --act-bytes 4 --memory-limit 3
