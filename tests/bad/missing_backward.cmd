sim -f @DIR@/missing_backward.json -o @OUT@
