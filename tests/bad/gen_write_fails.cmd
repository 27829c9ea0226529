gen -s 1f1b -p 2 -m 2 -o no_such_dir/s.json
