-- Store the e-mail platform events by person (sent, delivered, opened, clicked, bounced …): rows of erased people
-- (by record id or e-mail) go to quarantine without their values; each row finds its person by source record id,
-- else by e-mail address (cleaned, then as written); rows without a person go to quarantine.
-- Inputs: _ev (registered by dbmkit.database.build: src_email_events with email_clean, email_raw), _rec_person,
-- _email_person (build_store_people.sql), _erased_records, _erased_emails.
-- Outputs: email_events; the withheld rows set aside in _hits (for build_quarantine.sql).
-- Parameters (Raw fragment): {erased} the quarantine reason of an erased person's row as a string literal.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

INSERT INTO _hits SELECT 'email_events', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM _ev t WHERE t.customer_id IN (SELECT record_id FROM _erased_records)
    OR t.email_clean IN (SELECT email FROM _erased_emails) OR t.email_raw IN (SELECT email FROM _erased_emails);
DELETE FROM _ev t WHERE t.customer_id IN (SELECT record_id FROM _erased_records)
    OR t.email_clean IN (SELECT email FROM _erased_emails) OR t.email_raw IN (SELECT email FROM _erased_emails);

CREATE OR REPLACE TEMP TABLE _m_email_events AS SELECT s.campaign_id,
       coalesce(rp.customer_id, ep.customer_id, eq.customer_id) AS customer_id,
       s.event, s.event_ts, s.source_file, s.source_row
FROM _ev s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id
LEFT JOIN _email_person ep ON ep.email = s.email_clean LEFT JOIN _email_person eq ON eq.email = s.email_raw;
INSERT INTO _hits SELECT 'email_events', t.source_file, t.source_row, 'customer_id',
       'no customer with this e-mail address', NULL
FROM _m_email_events t WHERE t.customer_id IS NULL;
DELETE FROM _m_email_events t WHERE t.customer_id IS NULL;

INSERT INTO email_events SELECT * EXCLUDE (source_file, source_row) FROM _m_email_events
ORDER BY campaign_id, customer_id, event_ts, event;
