sim -f @DIR@/no_such_file.json -o @OUT@
