plan --model @DIR@/plan_model_bandwidth.json --gpus 4
