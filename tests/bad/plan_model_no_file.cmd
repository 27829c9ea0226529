plan --model @DIR@/no_such.json --gpus 8
