analyze @DIR@/tl_version2.json
