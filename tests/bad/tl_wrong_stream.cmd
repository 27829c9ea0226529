analyze @DIR@/tl_wrong_stream.json
