analyze @DIR@/binary_timeline.json
