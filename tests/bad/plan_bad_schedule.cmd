plan --model @DIR@/plan_bad_schedule.json --gpus 4 -s 1f1b,nope
