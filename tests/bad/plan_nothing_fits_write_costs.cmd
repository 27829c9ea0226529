plan --model @DIR@/plan_nothing_fits_write_costs.json --gpus 4 --memory-limit 1 --write-costs @OUT@
