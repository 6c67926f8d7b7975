-- Erasures (UU 27/2022): a projection of the event log like the others, rebuilt from it. It holds
-- resident ids, event ids and times only: which resident's erasure the registry announced
-- (`registry.resident_erased.v1`) and when each service confirmed it
-- (`<service>.resident_data_erased.v1`).
CREATE TABLE erasure (
    erasure_event_id text        PRIMARY KEY,  -- the ce-id of registry.resident_erased.v1
    resident_id      uuid        NOT NULL,
    erased_at        timestamptz NOT NULL
);
CREATE INDEX erasure_resident ON erasure (resident_id);

-- A confirmation may be read before its erasure (it is matched once both are there).
CREATE TABLE erasure_confirmation (
    erasure_event_id text        NOT NULL,
    service          text        NOT NULL,
    resident_id      uuid        NOT NULL,
    confirmed_at     timestamptz NOT NULL,     -- the service's erased_at
    PRIMARY KEY (erasure_event_id, service)
);
