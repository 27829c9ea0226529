sim -s gpipe -p 2 -m 4 --costs @DIR@/costs_file_rounding.costs.json -o @OUT@
