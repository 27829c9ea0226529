explain -s gpipe -p 2 -m 4 --top x
