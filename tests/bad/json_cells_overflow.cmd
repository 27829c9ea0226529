sim -f @DIR@/json_cells_overflow.json
