plan --model @DIR@/plan_model_malformed.json --gpus 4
