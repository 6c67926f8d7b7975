-- Partner companies. The HR contact is a person: it stays here, shown only to operators and to
-- that company, never in events or logs.
CREATE TABLE company (
    company_id        uuid PRIMARY KEY,
    name              text        NOT NULL,
    nib               text        NOT NULL UNIQUE,
    kbli_code         text        NOT NULL,
    kbli_version      text        NOT NULL,
    industrial_estate text,
    street            text        NOT NULL,
    desa_kode         text        NOT NULL,
    kecamatan_kode    text        NOT NULL,
    hr_name           text        NOT NULL,
    hr_phone          text        NOT NULL,
    hr_email          text,
    status            text        NOT NULL CHECK (status IN ('registered', 'verified')),
    registered_at     timestamptz NOT NULL,
    registered_by     text        NOT NULL,
    verified_at       timestamptz,
    verified_by       text,
    updated_at        timestamptz NOT NULL
);

-- Company HR bearer tokens: random, shown once, kept only as their SHA-256.
CREATE TABLE company_token (
    token_sha256 bytea PRIMARY KEY,
    company_id   uuid        NOT NULL REFERENCES company,
    issued_at    timestamptz NOT NULL,
    issued_by    text        NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX company_token_company ON company_token (company_id);

-- MoU between the office and a company: its local-hire commitment, share and/or number.
CREATE TABLE partnership (
    partnership_id        uuid PRIMARY KEY,
    company_id            uuid        NOT NULL REFERENCES company,
    mou_number            text        NOT NULL UNIQUE,
    local_share_percent   smallint CHECK (local_share_percent BETWEEN 0 AND 100),
    local_hires_committed integer  CHECK (local_hires_committed >= 0),
    starts_on             date        NOT NULL,
    ends_on               date        NOT NULL CHECK (ends_on >= starts_on),
    status                text        NOT NULL CHECK (status IN ('active', 'suspended', 'ended')),
    recorded_at           timestamptz NOT NULL,
    recorded_by           text        NOT NULL,
    CHECK (local_share_percent IS NOT NULL OR local_hires_committed IS NOT NULL)
);
CREATE INDEX partnership_company ON partnership (company_id);

CREATE TABLE vacancy (
    vacancy_id          uuid PRIMARY KEY,
    company_id          uuid        NOT NULL REFERENCES company,
    status              text        NOT NULL CHECK (status IN (
                            'draft', 'pending_review', 'published', 'closed', 'filled',
                            'withdrawn', 'expired')),
    title               text        NOT NULL,
    description         text        NOT NULL,
    kbji_code           text        NOT NULL,
    openings            integer     NOT NULL CHECK (openings > 0),
    hires               integer     NOT NULL DEFAULT 0,
    valid_until         date        NOT NULL,
    age_min             smallint,
    age_max             smallint,
    age_reason          text,
    sex                 char(1) CHECK (sex IN ('L', 'P')),
    education_min       smallint    NOT NULL,
    education_max       smallint,
    education_track     text,
    education_majors    text[]      NOT NULL DEFAULT '{}',
    skills              text[]      NOT NULL DEFAULT '{}',
    experience_years    smallint    NOT NULL DEFAULT 0,
    wage_min            bigint,
    wage_max            bigint,
    wage_period         text        NOT NULL DEFAULT 'bulan',
    work_desa_kode      text        NOT NULL,
    work_kecamatan_kode text        NOT NULL,
    work_address        text        NOT NULL,
    contract_type       text        NOT NULL CHECK (contract_type IN ('pkwt', 'pkwtt', 'magang')),
    contract_months     smallint,
    shifts              text[]      NOT NULL DEFAULT '{}',
    local_share_percent smallint,
    outsourcing         boolean     NOT NULL,
    disability_friendly boolean     NOT NULL,
    how_to_apply        text        NOT NULL,
    review_flags        jsonb       NOT NULL DEFAULT '[]',
    review_notes        jsonb       NOT NULL DEFAULT '[]',
    version             integer     NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL,
    created_by          text        NOT NULL,
    submitted_at        timestamptz,
    published_at        timestamptz,
    closed_at           timestamptz,
    updated_at          timestamptz NOT NULL
);
CREATE INDEX vacancy_company ON vacancy (company_id);
CREATE INDEX vacancy_open ON vacancy (valid_until) WHERE status = 'published';

-- Every change of a vacancy, with who made it.
CREATE TABLE vacancy_history (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vacancy_id uuid        NOT NULL REFERENCES vacancy,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX vacancy_history_vacancy ON vacancy_history (vacancy_id, id);

-- The seekers as registry and training events describe them: no personal data. Profile and
-- status carry the registry's version each, since their events travel on different queues and
-- may arrive out of order; `nik_lookup` is the keyed NIK hash of the restricted identity event.
CREATE SEQUENCE seeker_change;
CREATE TABLE seeker (
    resident_id      uuid PRIMARY KEY,
    profile_version  integer     NOT NULL DEFAULT 0,
    status_version   integer     NOT NULL DEFAULT 0,
    status           text,
    desa_kode        text,
    kecamatan_kode   text,
    is_local         boolean,
    sex              char(1),
    birth_year       smallint,
    education_level  smallint,
    education_track  text,
    education_major  text,
    skills           text[]      NOT NULL DEFAULT '{}',
    profile_certified text[]     NOT NULL DEFAULT '{}',
    nik_lookup       text UNIQUE,
    change_seq       bigint      NOT NULL DEFAULT nextval('seeker_change'),
    updated_at       timestamptz NOT NULL
);
CREATE INDEX seeker_change_seq ON seeker (change_seq);

-- Training as vacancies learns it: in training while an enrollment is 'enrolled'; certified
-- skills from a passed completion. A later state never goes back.
CREATE TABLE seeker_training (
    enrollment_id    uuid PRIMARY KEY,
    resident_id      uuid        NOT NULL,
    state            text        NOT NULL CHECK (state IN ('enrolled', 'withdrawn', 'completed')),
    certified_skills text[]      NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL
);
CREATE INDEX seeker_training_resident ON seeker_training (resident_id);

CREATE TABLE match_run (
    match_id   uuid PRIMARY KEY,
    vacancy_id uuid        NOT NULL REFERENCES vacancy,
    trigger    text        NOT NULL,
    eligible   integer     NOT NULL,
    announced  integer     NOT NULL,
    matched_at timestamptz NOT NULL
);
CREATE INDEX match_run_vacancy ON match_run (vacancy_id);

-- Who was announced for which vacancy: a seeker is announced once per vacancy.
CREATE TABLE match_announcement (
    vacancy_id   uuid        NOT NULL REFERENCES vacancy,
    resident_id  uuid        NOT NULL,
    match_id     uuid        NOT NULL REFERENCES match_run,
    score        real        NOT NULL,
    certified    boolean     NOT NULL,
    reasons      text[]      NOT NULL DEFAULT '{}',
    announced_at timestamptz NOT NULL,
    PRIMARY KEY (vacancy_id, resident_id)
);

CREATE TABLE application (
    application_id    uuid PRIMARY KEY,
    vacancy_id        uuid        NOT NULL REFERENCES vacancy,
    company_id        uuid        NOT NULL REFERENCES company,
    resident_id       uuid        NOT NULL,
    channel           text        NOT NULL CHECK (channel IN ('application', 'referral')),
    submitted_by_kind text        NOT NULL,
    status            text        NOT NULL,
    reason            text,
    reason_shared     boolean     NOT NULL DEFAULT false,
    submitted_at      timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (vacancy_id, resident_id)
);
CREATE INDEX application_resident ON application (resident_id);
CREATE INDEX application_company ON application (company_id, status);

-- Every transition of an application, with who made it.
CREATE TABLE application_transition (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id uuid        NOT NULL REFERENCES application,
    at             timestamptz NOT NULL,
    actor          text        NOT NULL,
    from_status    text,
    to_status      text        NOT NULL,
    reason         text,
    reason_shared  boolean     NOT NULL DEFAULT false
);
CREATE INDEX application_transition_application ON application_transition (application_id, id);

CREATE TABLE placement_report (
    report_id        uuid PRIMARY KEY,
    company_id       uuid        NOT NULL REFERENCES company,
    file_sha256      text        NOT NULL,
    filename         text        NOT NULL,
    uploaded_by      text        NOT NULL,
    first_uploaded_at timestamptz NOT NULL,
    last_uploaded_at timestamptz NOT NULL,
    uploads          integer     NOT NULL DEFAULT 1,
    row_count        integer     NOT NULL,
    hires            integer     NOT NULL DEFAULT 0,
    unknown          integer     NOT NULL DEFAULT 0,
    errors           jsonb       NOT NULL DEFAULT '[]',
    UNIQUE (company_id, file_sha256)
);

-- One hire per (resident, company, start date), however it arrived: the unique key is what
-- makes every hire count once.
CREATE TABLE hire (
    hire_id        uuid PRIMARY KEY,
    resident_id    uuid        NOT NULL,
    company_id     uuid        NOT NULL REFERENCES company,
    vacancy_id     uuid REFERENCES vacancy,
    application_id uuid REFERENCES application,
    report_id      uuid REFERENCES placement_report,
    start_date     date        NOT NULL,
    contract_type  text        NOT NULL,
    source         text        NOT NULL CHECK (source IN ('application', 'referral', 'placement_report')),
    is_local       boolean     NOT NULL,
    desa_kode      text,
    kecamatan_kode text,
    hired_at       timestamptz NOT NULL,
    recorded_by    text        NOT NULL,
    UNIQUE (resident_id, company_id, start_date)
);
CREATE INDEX hire_company ON hire (company_id);
CREATE INDEX hire_hired_at ON hire (hired_at);
