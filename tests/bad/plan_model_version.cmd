plan --model @DIR@/plan_model_version.json --gpus 4
