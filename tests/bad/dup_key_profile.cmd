calibrate @DIR@/dup_key_profile.json -o @OUT@
