sim -s 1f1b -p 2 -m 2 --costs @DIR@/tfb_in_file.costs.json
