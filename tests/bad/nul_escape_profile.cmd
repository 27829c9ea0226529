calibrate @DIR@/nul_escape_profile.json -o @OUT@
