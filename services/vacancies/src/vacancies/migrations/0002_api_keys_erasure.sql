-- Company HR desks hold API keys of the chassis now (table api_key, role company, scoped to the
-- company): their own token table goes. Keys issued before stop working; an operator issues new
-- ones (POST /companies/{id}/tokens).
DROP TABLE company_token;

-- Residents erased at their request (registry.resident_erased.v1). Only the random id, the id of
-- the erasure event and when: a late registry or training event about them must not bring their
-- projection back, and every replica's matching index forgets them (by `seq`).
CREATE TABLE erased_resident (
    resident_id      uuid PRIMARY KEY,
    seq              bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
    erasure_event_id uuid        NOT NULL,
    erased_at        timestamptz NOT NULL,
    recorded_at      timestamptz NOT NULL
);
