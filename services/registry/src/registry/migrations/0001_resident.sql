-- Job seekers (pencari kerja). Name, NIK, phone, email and street address live only in
-- `personal` (AES-256-GCM, the resident id as associated data); the NIK is found by its HMAC.
CREATE TABLE resident (
    resident_id          uuid PRIMARY KEY,
    nik_hmac             bytea       NOT NULL UNIQUE,
    key_id               text        NOT NULL,
    personal             bytea       NOT NULL,
    sex                  char(1)     NOT NULL CHECK (sex IN ('L', 'P')),
    birth_date           date        NOT NULL,
    desa_kode            text        NOT NULL,
    kecamatan_kode       text        NOT NULL,
    kabkota_kode         text        NOT NULL,
    is_local             boolean     NOT NULL,
    kepmendagri          text        NOT NULL,
    domicile_evidence    text        NOT NULL,
    domicile_since       date        NOT NULL,
    education_level      smallint    NOT NULL,
    education_band       text,
    education_track      text,
    education_major      text,
    skills               text[]      NOT NULL DEFAULT '{}',
    certificates         jsonb       NOT NULL DEFAULT '[]',
    occupation_interests text[]      NOT NULL DEFAULT '{}',
    disability           jsonb,
    contact_consent      boolean     NOT NULL,
    contact_channels     text[]      NOT NULL DEFAULT '{}',
    status               text        NOT NULL,
    status_changed_at    timestamptz NOT NULL,
    nik_warnings         text[]      NOT NULL DEFAULT '{}',
    ak1_number           text UNIQUE,
    ak1_issued_on        date,
    ak1_valid_until      date,
    ak1_next_report_due  date,
    ak1_refusal_reason   text,
    verified_at          timestamptz,
    verified_by          text,
    registered_at        timestamptz NOT NULL,
    registered_by_kind   text        NOT NULL,
    registered_by        text        NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              integer     NOT NULL DEFAULT 1
);
CREATE INDEX resident_desa ON resident (desa_kode);
CREATE INDEX resident_kecamatan ON resident (kecamatan_kode);
CREATE INDEX resident_status ON resident (status);
CREATE INDEX resident_skills ON resident USING gin (skills);
CREATE INDEX resident_registered ON resident (registered_at, resident_id);

-- Every change to a resident, with who made it (an operator, a village admin, an event).
CREATE TABLE resident_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    resident_id uuid        NOT NULL REFERENCES resident ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX resident_history_resident ON resident_history (resident_id, id);

-- Training as the registry learns it from training's events; "in training" is derived from it,
-- which keeps the flag right whatever order the events arrive in.
CREATE TABLE training_enrollment (
    enrollment_id uuid PRIMARY KEY,
    resident_id   uuid        NOT NULL REFERENCES resident ON DELETE CASCADE,
    session_id    uuid        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('enrolled', 'withdrawn', 'completed')),
    updated_at    timestamptz NOT NULL
);
CREATE INDEX training_enrollment_resident ON training_enrollment (resident_id);

CREATE SEQUENCE ak1_serial;

-- Bulk imports of the office's existing seeker lists: one row per file (by content hash).
CREATE TABLE import_job (
    import_id        uuid PRIMARY KEY,
    file_sha256      text        NOT NULL UNIQUE,
    filename         text        NOT NULL,
    created_by       text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total_rows       integer     NOT NULL DEFAULT 0,
    processed_rows   integer     NOT NULL DEFAULT 0,
    imported         integer     NOT NULL DEFAULT 0,
    already_registered integer   NOT NULL DEFAULT 0,
    errors           jsonb       NOT NULL DEFAULT '[]',
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
