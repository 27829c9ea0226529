sim -f @DIR@/f_with_p.json -p 2
