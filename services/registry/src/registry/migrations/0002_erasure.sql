-- Erasure at the resident's request (UU 27/2022): the encrypted personal data and the NIK's HMAC
-- are removed, so the row keeps only what monthly figures count (desa, sex, birth year,
-- education, status history) and the NIK may register again.
ALTER TABLE resident
    ALTER COLUMN nik_hmac DROP NOT NULL,
    ALTER COLUMN personal DROP NOT NULL,
    ADD COLUMN erased_at timestamptz;
