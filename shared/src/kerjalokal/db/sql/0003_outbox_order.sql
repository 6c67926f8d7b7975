-- The relay publishes at most one unsent event per aggregate (subject) at a time, so that a
-- failed publish in a batch cannot let a later event of the same aggregate overtake it.
CREATE INDEX outbox_unpublished_subject ON outbox (subject, seq) WHERE published_at IS NULL;
