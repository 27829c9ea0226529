plan --model @DIR@/plan_model_recompute.json --gpus 4
