calibrate @DIR@/calibrate_copy_too_large.profile.json -o @OUT@
