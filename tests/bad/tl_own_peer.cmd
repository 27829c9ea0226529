analyze @DIR@/tl_own_peer.json
