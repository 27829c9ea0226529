explain a.json b.json
