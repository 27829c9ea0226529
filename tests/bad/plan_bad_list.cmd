plan --model @DIR@/plan_bad_list.json --gpus 4 --pp 2,x
