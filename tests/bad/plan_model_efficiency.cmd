plan --model @DIR@/plan_model_efficiency.json --gpus 4
