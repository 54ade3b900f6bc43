-- Store the explicit consent rows (许可): rows of erased people go to quarantine without their values; each row
-- finds its person by source record id, else by e-mail (cleaned, then as written); rows without a person go to
-- quarantine; a row without a time gets 1900-01-01 (older than any real change, so any dated row wins).
-- The consent flags of the customer records are added after this (build_store_consent_flags.sql).
-- Inputs: _cs (registered by dbmkit.database.consent.store_consents: src_consents with email_clean, email_raw),
-- _rec_person, _email_person (build_store_people.sql), _erased_records, _erased_emails.
-- Outputs: consents; the withheld rows set aside in _hits (for build_quarantine.sql).
-- Parameters (Raw fragment): {erased} the quarantine reason of an erased person's row as a string literal.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

INSERT INTO _hits SELECT 'consents', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM _cs t WHERE t.customer_id IN (SELECT record_id FROM _erased_records)
    OR t.email_clean IN (SELECT email FROM _erased_emails) OR t.email_raw IN (SELECT email FROM _erased_emails);
DELETE FROM _cs t WHERE t.customer_id IN (SELECT record_id FROM _erased_records)
    OR t.email_clean IN (SELECT email FROM _erased_emails) OR t.email_raw IN (SELECT email FROM _erased_emails);

CREATE OR REPLACE TEMP TABLE _cs_m AS SELECT c.*, coalesce(rp.customer_id, ep.customer_id, er.customer_id)
    AS person FROM _cs c LEFT JOIN _rec_person rp ON rp.record_id = c.customer_id
    LEFT JOIN _email_person ep ON ep.email = c.email_clean LEFT JOIN _email_person er ON er.email = c.email_raw;
INSERT INTO _hits SELECT 'consents', t.source_file, t.source_row, 'customer_id',
       'no customer with this ' || CASE WHEN t.customer_id IS NULL THEN 'e-mail address' ELSE 'id' END, NULL
FROM _cs_m t WHERE t.person IS NULL;
DELETE FROM _cs_m t WHERE t.person IS NULL;

INSERT INTO consents SELECT person, channel, status, coalesce(updated_at, TIMESTAMP '1900-01-01'),
       coalesce(nullif(source_system, ''), source_file) FROM _cs_m ORDER BY person, channel, updated_at;
