plan --model @DIR@/plan_model_dtype.json --gpus 4
