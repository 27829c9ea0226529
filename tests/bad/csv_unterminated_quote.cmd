sim -f @DIR@/csv_unterminated_quote.csv
