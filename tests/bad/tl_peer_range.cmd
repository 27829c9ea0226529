analyze @DIR@/tl_peer_range.json
