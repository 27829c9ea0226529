analyze @DIR@/tl_extra_element.json
