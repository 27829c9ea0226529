plan --model @DIR@/plan_model_heads.json --gpus 4
