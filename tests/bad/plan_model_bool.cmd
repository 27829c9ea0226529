plan --model @DIR@/plan_model_bool.json --gpus 4
