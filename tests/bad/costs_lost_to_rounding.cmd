sim -s 1f1b -p 4 -m 8 --tf 0.001 --tb 0.002 --comm-latency 1e15 -o @OUT@
