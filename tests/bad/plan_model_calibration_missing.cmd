plan --model @DIR@/plan_model_calibration_missing.json --gpus 4
