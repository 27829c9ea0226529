analyze @DIR@/tl_unknown_field.json
