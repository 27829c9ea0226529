plan --model @DIR@/plan_layout_mismatch.json --gpus 4
