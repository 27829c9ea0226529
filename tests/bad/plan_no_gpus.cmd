plan --model @DIR@/plan_no_gpus.json
