gen -s looped-bfs -p 65536 -v 1024 -m 16777216 -o @OUT@
