calibrate @DIR@/calibrate_missing_value.profile.json -o
