sweep -s 1f1b -p 4 -m 8 --shard 4/4 -o @OUT@
