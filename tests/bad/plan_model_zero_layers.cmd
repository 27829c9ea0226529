plan --model @DIR@/plan_model_zero_layers.json --gpus 4
