analyze @DIR@/nul_escape_note.json
