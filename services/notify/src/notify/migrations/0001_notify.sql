-- What notify keeps about a resident: only what a message needs. Filled from the registry's
-- restricted `resident_contact_changed` events; the newest version wins.
CREATE TABLE contact (
    resident_id  uuid        PRIMARY KEY,
    version      integer     NOT NULL,
    first_name   text,                          -- the greeting, nothing more of the name
    phone        text,                          -- E.164
    email        text,
    channels     text[]      NOT NULL DEFAULT '{}',  -- the resident's order of preference
    consent      boolean     NOT NULL,
    opted_out_at timestamptz,                   -- the opt-out link: sticky, whatever registry says
    changed_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE resident_state (
    resident_id uuid        PRIMARY KEY,
    version     integer     NOT NULL,
    status      text        NOT NULL,
    changed_at  timestamptz NOT NULL
);

-- The public vacancies, projected from vacancies' events; feeds and pages are rendered from it.
CREATE TABLE vacancy (
    vacancy_id     uuid        PRIMARY KEY,
    version        integer     NOT NULL,
    -- the public vacancy as last published or updated; all NULL for a vacancy whose closing
    -- arrived before its publication (a tombstone: it must never show as open)
    body           jsonb,
    kecamatan_kode text,
    desa_kode      text,
    education_min  integer,
    education_max  integer,
    kbji_code      text,
    contract_type  text,
    outsourcing    boolean,
    published_at   timestamptz,
    valid_until    date,
    closed_at      timestamptz,
    close_reason   text,
    changed_at     timestamptz NOT NULL,  -- when notify last changed it: the feeds' Last-Modified
    broadcast_at   timestamptz            -- its first fan-out (vacancy_broadcast)
);
CREATE INDEX vacancy_open ON vacancy (published_at DESC) WHERE closed_at IS NULL;
CREATE INDEX vacancy_changed ON vacancy (changed_at);

-- Agencies' own systems (social media tools, website CMS, WhatsApp broadcasters).
CREATE TABLE channel (
    channel_id           uuid        PRIMARY KEY,
    name                 text        NOT NULL,
    url                  text        NOT NULL,
    secret               text        NOT NULL,  -- whsec_...: signs every delivery
    events               text[]      NOT NULL,
    kecamatan            text[]      NOT NULL DEFAULT '{}',  -- empty: the whole regency
    status               text        NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'paused', 'deleted')),
    paused_reason        text,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    max_in_flight        integer     NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);

-- One row per message to send: (cause event, resident, channel) for residents, (cause event,
-- channel) for webhooks. The key is the idempotency key handed to the provider. Rows hold no
-- personal data: the contact is read at send time.
CREATE TABLE delivery (
    delivery_id         uuid        PRIMARY KEY,
    kind                text        NOT NULL CHECK (kind IN ('resident', 'webhook')),
    event_id            text        NOT NULL,
    event_type          text        NOT NULL,
    resident_id         uuid,
    channel_id          uuid        REFERENCES channel,
    channel             text        NOT NULL,  -- whatsapp, sms, email, webhook; none if skipped
    template            text        NOT NULL,
    params              jsonb       NOT NULL DEFAULT '{}',
    body                text,                  -- webhooks: the JSON signed and sent, every try
    vacancy_id          uuid,
    status              text        NOT NULL CHECK (status IN (
        'pending', 'sending', 'sent', 'failed', 'parked', 'skipped', 'cancelled')),
    reason              text,
    attempts            integer     NOT NULL DEFAULT 0,
    retry_from          integer     NOT NULL DEFAULT 0,  -- attempts before an operator's retry
    not_before          timestamptz NOT NULL,  -- when due; while sending, when the lease ends
    claim               uuid,
    provider_message_id text,
    last_error          text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    sent_at             timestamptz
);
CREATE INDEX delivery_due ON delivery (kind, not_before) WHERE status IN ('pending', 'sending');
CREATE INDEX delivery_resident ON delivery (resident_id, created_at);
CREATE INDEX delivery_event ON delivery (event_id);
CREATE INDEX delivery_channel ON delivery (channel_id, status) WHERE channel_id IS NOT NULL;
CREATE INDEX delivery_settled ON delivery (status, updated_at);

CREATE TABLE delivery_attempt (
    delivery_id         uuid        NOT NULL REFERENCES delivery ON DELETE CASCADE,
    attempt             integer     NOT NULL,
    attempted_at        timestamptz NOT NULL,
    outcome             text        NOT NULL CHECK (outcome IN ('sent', 'retry', 'failed', 'parked')),
    provider_message_id text,
    status_code         integer,
    error               text,
    duration_ms         integer     NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Vacancy messages a resident was given per day (WIB), for the daily cap.
CREATE TABLE daily_quota (
    resident_id uuid    NOT NULL,
    day         date    NOT NULL,
    used        integer NOT NULL,
    PRIMARY KEY (resident_id, day)
);

CREATE TABLE vacancy_report (
    report_id   uuid        PRIMARY KEY,
    vacancy_id  uuid        NOT NULL,
    reason      text        NOT NULL,
    details     text        NOT NULL,
    status      text        NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'reviewed', 'actioned', 'dismissed')),
    note        text,
    created_at  timestamptz NOT NULL,
    reviewed_at timestamptz,
    reviewed_by text
);
CREATE INDEX vacancy_report_new ON vacancy_report (created_at) WHERE status = 'new';
