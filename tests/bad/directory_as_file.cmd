sim -f @DIR@
