sweep --merge -o @OUT@
