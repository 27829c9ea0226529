sim -f @DIR@/backward_before_forward.json
