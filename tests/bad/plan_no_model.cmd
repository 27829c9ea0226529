plan --gpus 8
