sim -s 1f1b -p 2 -m 2 --act-bytes 1 --act-w-bytes 1.0000000000000002 -o @OUT@
