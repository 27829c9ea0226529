explain -s gpipe -p 2 -m 4 --memory-budget 0
