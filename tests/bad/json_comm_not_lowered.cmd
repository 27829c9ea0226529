sim -f @DIR@/json_comm_not_lowered.json
