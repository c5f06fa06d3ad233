"""One module per backup product; each exposes `PARSERS`, a list of parser instances."""
