"""Review at a visit: withdrawal scales, the symptom log, the review rules and the pain pattern."""
