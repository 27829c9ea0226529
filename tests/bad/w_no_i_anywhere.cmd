sim -f @DIR@/w_no_i_anywhere.json -o @OUT@
