"""Clinical rules: MME, withdrawal windows, safety warnings and non-opioid adjuncts."""
