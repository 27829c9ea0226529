sim -f @DIR@/file_flag_costs_rounding.json --tf 1e-9 --comm-latency 1e9 -o @OUT@
