diff --foo @DIR@/diff_unknown_option.json @DIR@/diff_unknown_option.json
