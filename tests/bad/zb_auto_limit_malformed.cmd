gen -s zb-auto -p 4 -m 8 --memory-limit 2y -o @DIR@/out.csv --format csv
