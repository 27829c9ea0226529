plot memory -s 1f1b -p 2 -m 2 --transfers -o @OUT@
