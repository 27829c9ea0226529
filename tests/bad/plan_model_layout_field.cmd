plan --model @DIR@/plan_model_layout_field.json
