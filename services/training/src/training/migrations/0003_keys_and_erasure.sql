-- Institutions authenticate with the chassis API keys (table api_key, role institution, scope
-- institution_id): the service's own token column goes. Existing institutions get a new key from
-- an operator (POST /institutions/{id}/token), as after a lost token.
ALTER TABLE institution DROP COLUMN token_sha256;

-- A resident erased at the registry (UU 27/2022) keeps a tombstone: the random id, the erasure's
-- time and version, no profile. Enrollments keep pointing at it for the figures, and a late
-- registry event cannot bring the profile back.
ALTER TABLE seeker ADD COLUMN erased_at timestamptz;
ALTER TABLE seeker DROP CONSTRAINT seeker_check;
ALTER TABLE seeker ADD CONSTRAINT seeker_profile_check CHECK (
    erased_at IS NOT NULL OR profile_version = 0
    OR (birth_year IS NOT NULL AND education_level IS NOT NULL)
);
