plan --model @DIR@/plan_model_not_object.json --gpus 4
