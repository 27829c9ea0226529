plan --model @DIR@/plan_model_no_efficiency.json --gpus 4
