compare -s 1f1b,nosuch
