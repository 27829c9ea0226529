plan --model @DIR@/plan_model_unknown_field.json --gpus 4
