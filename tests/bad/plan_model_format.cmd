plan --model @DIR@/plan_model_format.json --gpus 4
