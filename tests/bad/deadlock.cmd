sim -f @DIR@/deadlock.json -o @OUT@ --chrome @OUT@.chrome
