sim -s gpipe -p 2 -m 2 --tf 1e10 --tb 1e10 --chrome @OUT@
