sim -f @DIR@/wait_reduce_grad_alone.csv -o @OUT@
