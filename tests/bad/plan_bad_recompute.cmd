plan --model @DIR@/plan_bad_recompute.json --gpus 4 --recompute some
