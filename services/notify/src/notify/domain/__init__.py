"""Rules and value objects of notify: no I/O."""
