-- Every contact's first name, phone and email were sealed into the *_sealed columns (0002 and
-- main.migrate_database); nothing in clear is kept.
ALTER TABLE contact DROP COLUMN first_name, DROP COLUMN phone, DROP COLUMN email;
