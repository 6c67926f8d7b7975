-- Where the projections stand in the event log stream. The offset commits in the same
-- transaction as the projection rows it produced, so a restart resumes exactly after it.
CREATE TABLE stream_position (
    stream        text PRIMARY KEY,
    last_offset   bigint,                 -- NULL: nothing applied yet, start from `first`
    applied       bigint      NOT NULL DEFAULT 0,
    last_event_at timestamptz,
    rebuilt_at    timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Idempotency by ce-id: an event republished by a relay lands in the stream twice.
CREATE TABLE applied_event (
    event_id      text PRIMARY KEY,
    stream_offset bigint NOT NULL,
    event_type    text   NOT NULL
);

-- Projections: everything below is rebuilt from the stream and nothing else.
CREATE TABLE company (
    company_id        uuid PRIMARY KEY,
    name              text NOT NULL,
    industrial_estate text,
    kecamatan_kode    text,
    desa_kode         text,
    registered_at     timestamptz,
    verified_at       timestamptz
);

CREATE TABLE partnership (
    partnership_id        uuid PRIMARY KEY,
    company_id            uuid NOT NULL,
    mou_number            text NOT NULL,
    local_share_percent   integer,
    local_hires_committed integer,
    starts_on             date NOT NULL,
    ends_on               date NOT NULL,
    status                text NOT NULL,
    recorded_at           timestamptz NOT NULL
);
CREATE INDEX partnership_company ON partnership (company_id);

CREATE TABLE hire (
    hire_id       uuid PRIMARY KEY,
    resident_id   uuid NOT NULL,
    company_id    uuid NOT NULL,
    vacancy_id    uuid,
    is_local      boolean NOT NULL,
    source        text NOT NULL,
    contract_type text NOT NULL,
    start_date    date NOT NULL,
    hired_at      timestamptz NOT NULL
);
CREATE INDEX hire_hired_at ON hire (hired_at);
CREATE INDEX hire_resident ON hire (resident_id);

CREATE TABLE seeker (
    resident_id     uuid PRIMARY KEY,
    sex             text,
    birth_year      integer,
    education_level integer,
    kecamatan_kode  text,
    desa_kode       text,
    is_local        boolean,
    status          text,
    registered_at   timestamptz,
    version         integer NOT NULL DEFAULT 0
);

-- Every status a seeker had and since when: the monthly report reads stock and flows from it.
CREATE TABLE seeker_status (
    resident_id uuid        NOT NULL,
    version     integer     NOT NULL,
    status      text        NOT NULL,
    since       timestamptz NOT NULL,
    PRIMARY KEY (resident_id, version)
);
CREATE INDEX seeker_status_since ON seeker_status (since);

CREATE TABLE vacancy (
    vacancy_id        uuid PRIMARY KEY,
    company_id        uuid NOT NULL,
    title             text NOT NULL,
    openings          integer NOT NULL,
    sex               text,
    education_minimum integer,
    kecamatan_kode    text,
    industrial_estate text,
    published_at      timestamptz NOT NULL,
    closed_at         timestamptz,
    close_reason      text,
    hires             integer
);

CREATE TABLE enrollment (
    enrollment_id  uuid PRIMARY KEY,
    resident_id    uuid NOT NULL,
    institution_id uuid,
    programme_id   uuid,
    session_id     uuid,
    vocation       text,
    enrolled_at    timestamptz,
    withdrawn_at   timestamptz,
    completed_at   timestamptz,
    passed         boolean
);
CREATE INDEX enrollment_resident ON enrollment (resident_id);

-- The training pipeline: each resident's latest stage (ready, waiting, in_training, completed;
-- `left` once out of the pipeline without completing).
CREATE TABLE trainee (
    resident_id    uuid PRIMARY KEY,
    stage          text        NOT NULL,
    since          timestamptz NOT NULL,
    institution_id uuid
);

-- Institutions as the training events name them: by id and type (BLK, LPK, UPK, ...).
CREATE TABLE institution (
    institution_id uuid PRIMARY KEY,
    name           text,
    kind           text
);

-- The console's own state: campaigns, dead letters taken off the brokers' DLQs, queue samples,
-- agencies. None of it is rebuilt.
CREATE TABLE campaign (
    slug                  text PRIMARY KEY,
    name                  text NOT NULL,
    target                integer NOT NULL,
    starts_on             date NOT NULL,
    working_days          integer NOT NULL,
    deadline              date NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dead_letter (
    dead_letter_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint    text        NOT NULL UNIQUE,
    service        text        NOT NULL,
    queue          text        NOT NULL,  -- the consumer queue it failed in: replay goes there
    exchange       text,
    routing_key    text,
    message_id     text,
    event_type     text,
    reason         text        NOT NULL,
    error          text,
    attempts       integer,
    failed_at      timestamptz,
    headers        jsonb       NOT NULL,
    content_type   text,
    body           bytea       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    status         text        NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'replayed', 'discarded')),
    replays        integer     NOT NULL DEFAULT 0,
    resolved_at    timestamptz,
    resolved_by    text,
    note           text
);
CREATE INDEX dead_letter_pending ON dead_letter (service, dead_letter_id) WHERE status = 'pending';

CREATE TABLE queue_sample (
    queue      text        NOT NULL,
    sampled_at timestamptz NOT NULL,
    messages   bigint      NOT NULL,
    consumers  integer     NOT NULL,
    PRIMARY KEY (queue, sampled_at)
);

CREATE TABLE agency (
    name        text PRIMARY KEY,
    username    text        NOT NULL,
    queue       text        NOT NULL,
    event_types text[]      NOT NULL,
    max_length  integer     NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
