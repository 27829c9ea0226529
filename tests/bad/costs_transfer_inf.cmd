sim -s 1f1b -p 4 -m 8 --send-bytes 1e15 --comm-bandwidth 1e-300 --json
