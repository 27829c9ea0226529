frobnicate -s 1f1b
