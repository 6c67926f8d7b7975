"""Rules without I/O: working days, campaign arithmetic, topic patterns, agency permissions,
dead-letter headers, queue warnings."""
