analyze @DIR@/tl_unknown_stream.json
