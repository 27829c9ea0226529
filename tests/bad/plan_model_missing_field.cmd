plan --model @DIR@/plan_model_missing_field.json --gpus 4
