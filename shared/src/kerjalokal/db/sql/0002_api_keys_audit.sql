-- API keys for systems and people of one service: random, shown once, kept only as the SHA-256
-- of their secret part; scoped to one role (and a company, institution, desa or kecamatan),
-- expiring, revocable. The key's id is public (it names the key in logs and in the audit log).
CREATE TABLE api_key (
    key_id       text        PRIMARY KEY,
    secret_sha256 bytea      NOT NULL,
    role         text        NOT NULL,
    subject      text        NOT NULL,
    scope        jsonb       NOT NULL DEFAULT '{}',
    label        text        NOT NULL,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

-- Every read of a resident's personal data in clear (the NIK unmasked, a data export): who, when,
-- which resident, why. Kept apart from the data it is about: an erasure does not remove it.
CREATE TABLE personal_data_access (
    access_id    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    accessed_at  timestamptz NOT NULL,
    principal    text        NOT NULL,
    role         text        NOT NULL,
    resident_id  uuid        NOT NULL,
    fields       text[]      NOT NULL,
    purpose      text        NOT NULL
);
CREATE INDEX personal_data_access_resident ON personal_data_access (resident_id, accessed_at);
