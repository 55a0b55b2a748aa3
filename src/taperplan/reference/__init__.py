"""Reference data: the catalogue of drugs, products, dispensable units, paces and notices, from the packaged data files."""
