"""The Import customers area: upload a CSV file, map its columns, check it (a dry run), import it."""
