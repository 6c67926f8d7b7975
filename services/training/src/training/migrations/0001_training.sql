-- Training: institutions, programmes, sessions (angkatan), the ready-for-training pool,
-- enrollments with their waiting list, attendance, and the projections of other services' events.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Reference data, not an enum: the kinds of institution the office works with (seeded below).
CREATE TABLE institution_type (
    kode        text PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL,
    source      text NOT NULL
);

CREATE TABLE institution (
    institution_id        uuid PRIMARY KEY,
    type_kode             text        NOT NULL REFERENCES institution_type,
    name                  text        NOT NULL,
    licence_number        text,
    licence_status        text        NOT NULL
        CHECK (licence_status IN ('licensed', 'accredited', 'pending', 'suspended', 'revoked')),
    accreditation         text CHECK (accreditation IN ('A', 'B', 'C')),
    licence_valid_until   date,
    street                text        NOT NULL,
    desa_kode             text        NOT NULL,
    kecamatan_kode        text        NOT NULL,
    token_sha256          bytea       NOT NULL UNIQUE,
    registered_at         timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    UNIQUE (type_kode, name)
);

-- Partner companies as the vacancies service verified them (apprenticeship hosts).
CREATE TABLE company (
    company_id   uuid PRIMARY KEY,
    company_name text        NOT NULL,
    verified_at  timestamptz NOT NULL
);

CREATE TABLE programme (
    programme_id        uuid PRIMARY KEY,
    institution_id      uuid        NOT NULL REFERENCES institution,
    kind                text        NOT NULL CHECK (kind IN ('training', 'apprenticeship')),
    title               text        NOT NULL,
    vocation            text        NOT NULL,
    kbji_code           text,
    competency_scheme   text,
    skills              text[]      NOT NULL DEFAULT '{}',
    hours               integer     NOT NULL CHECK (hours > 0),
    capacity            integer     NOT NULL CHECK (capacity > 0),
    schedule            text,
    min_age             smallint,
    max_age             smallint,
    min_education_level smallint,
    education_track     text,
    host_company_id     uuid REFERENCES company,
    agreement_number    text,
    agreement_signed_on date,
    mentor              jsonb,
    stipend_basis       text,
    stipend_amount      bigint,
    opened_at           timestamptz NOT NULL,
    CHECK (kind = 'training' OR (host_company_id IS NOT NULL AND agreement_number IS NOT NULL
                                 AND stipend_basis IS NOT NULL))
);
CREATE INDEX programme_institution ON programme (institution_id);

CREATE TABLE session (
    session_id     uuid PRIMARY KEY,
    programme_id   uuid        NOT NULL REFERENCES programme,
    number         integer     NOT NULL,
    starts_on      date        NOT NULL,
    ends_on        date        NOT NULL CHECK (ends_on >= starts_on),
    capacity       integer     NOT NULL CHECK (capacity > 0),
    location       text,
    opened_at      timestamptz NOT NULL,
    UNIQUE (programme_id, number)
);

-- Registered seekers as the registry's events describe them (no personal data). A status that
-- arrives before the registration (queues are consumed independently) leaves a row with
-- profile_version 0: such a seeker is not known yet.
CREATE TABLE seeker (
    resident_id       uuid PRIMARY KEY,
    status            text        NOT NULL,
    status_version    integer     NOT NULL,
    birth_year        integer,
    sex               char(1),
    education_level   smallint,
    education_track   text,
    desa_kode         text,
    kecamatan_kode    text,
    is_local          boolean,
    skills            text[]      NOT NULL DEFAULT '{}',
    profile_version   integer     NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL,
    CHECK (profile_version = 0 OR (birth_year IS NOT NULL AND education_level IS NOT NULL))
);

-- The ready-for-training pool: seekers the office assessed as needing training.
CREATE TABLE readiness (
    resident_id  uuid PRIMARY KEY REFERENCES seeker,
    vocation     text        NOT NULL,
    kbji_code    text,
    state        text        NOT NULL CHECK (state IN ('ready', 'enrolled', 'left')),
    reason       text        NOT NULL,
    assessed_at  timestamptz NOT NULL,
    assessed_by  text        NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX readiness_state ON readiness (state, kbji_code);

CREATE SEQUENCE waitlist_serial;
CREATE SEQUENCE letter_serial;

CREATE TABLE enrollment (
    enrollment_id   uuid PRIMARY KEY,
    session_id      uuid        NOT NULL REFERENCES session,
    programme_id    uuid        NOT NULL REFERENCES programme,
    institution_id  uuid        NOT NULL REFERENCES institution,
    resident_id     uuid        NOT NULL REFERENCES seeker,
    period          daterange   NOT NULL,
    state           text        NOT NULL
        CHECK (state IN ('waitlisted', 'enrolled', 'withdrawn', 'dropped_out', 'completed')),
    waitlist_serial bigint,
    requested_at    timestamptz NOT NULL,
    enrolled_at     timestamptz,
    ended_at        timestamptz,
    end_reason      text,
    dropout_reason  text,
    note            text,
    passed          boolean,
    outcome         text CHECK (outcome IN ('passed', 'failed', 'certified', 'attended', 'hired')),
    certified_skills jsonb      NOT NULL DEFAULT '[]',
    certificate_number text,
    letter_number   text UNIQUE,
    created_by      text        NOT NULL,
    -- One person never waits for or sits in two sessions whose periods overlap.
    CONSTRAINT enrollment_no_overlap EXCLUDE USING gist (resident_id WITH =, period WITH &&)
        WHERE (state IN ('waitlisted', 'enrolled'))
);
CREATE INDEX enrollment_session ON enrollment (session_id, state, waitlist_serial);
CREATE INDEX enrollment_resident ON enrollment (resident_id);
CREATE INDEX enrollment_programme ON enrollment (programme_id, state);

CREATE TABLE attendance (
    enrollment_id uuid    NOT NULL REFERENCES enrollment,
    day           date    NOT NULL,
    status        text    NOT NULL CHECK (status IN ('hadir', 'izin', 'sakit', 'alpa')),
    recorded_by   text    NOT NULL,
    recorded_at   timestamptz NOT NULL,
    PRIMARY KEY (enrollment_id, day)
);

-- Hires from the vacancies service, for placement rates.
CREATE TABLE hire (
    hire_id     uuid PRIMARY KEY,
    resident_id uuid        NOT NULL,
    company_id  uuid        NOT NULL,
    hired_at    timestamptz NOT NULL
);
CREATE INDEX hire_resident ON hire (resident_id, hired_at);

-- Open vacancies as published, for skills demand; `as_of` keeps the newest version.
CREATE TABLE vacancy_demand (
    vacancy_id  uuid PRIMARY KEY,
    company_id  uuid        NOT NULL,
    kbji_code   text        NOT NULL,
    title       text        NOT NULL,
    skills      text[]      NOT NULL DEFAULT '{}',
    openings    integer     NOT NULL,
    valid_until date        NOT NULL,
    as_of       timestamptz NOT NULL,
    closed_at   timestamptz
);
