plan --model @DIR@/plan_memory_limit_zero.json --gpus 4 --memory-limit 0
