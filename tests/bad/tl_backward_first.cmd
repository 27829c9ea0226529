analyze @DIR@/tl_backward_first.json
