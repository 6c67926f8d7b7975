-- Contacts at rest are sealed (AES-256-GCM under NOTIFY_DATA_KEY, crypto.py). The service moves
-- the clear columns' values into these at start-up, before 0003 drops the clear columns
-- (main.migrate_database): a migration in SQL cannot hold the key.
ALTER TABLE contact
    ADD COLUMN first_name_sealed bytea,
    ADD COLUMN phone_sealed      bytea,
    ADD COLUMN email_sealed      bytea;

-- An agency's own channels: the subject (label) of the agency's API keys. NULL: the operators'.
ALTER TABLE channel ADD COLUMN owner_key_subject text;
CREATE INDEX channel_owner ON channel (owner_key_subject) WHERE owner_key_subject IS NOT NULL;
