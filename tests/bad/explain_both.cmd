explain @DIR@/explain_both.json -s gpipe -p 2 -m 4
