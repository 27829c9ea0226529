plan --model @DIR@/plan_model_kv_heads.json --gpus 4
