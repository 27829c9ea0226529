sim -s 1f1b -p 2 -m 2 -o @OUT@ --chrome no_such_dir/trace.json
