plan --model @DIR@/plan_model_wrong_type.json --gpus 4
