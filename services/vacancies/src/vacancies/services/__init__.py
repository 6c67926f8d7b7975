"""Use cases, one function each. Each runs inside the caller's transaction and stages the events
it causes in the outbox, so that state and events commit together."""
