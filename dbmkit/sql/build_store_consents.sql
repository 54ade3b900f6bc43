-- Store the consent evidence (许可), fail-safe: each piece of evidence read with certainty goes to consents, every
-- other one, as an opt-out, to consent_uncertain. Each row finds its person by source record id, else by e-mail
-- (cleaned, then as written); flags come with their person. Rows of erased people and rows without a person go
-- to quarantine (a row ingest already quarantined stays there). A row ingest quarantined but now read with
-- certainty is loaded after all (out of quarantine, counted as loaded); a loaded row that is uncertain (an opt-out
-- without a readable date) moves to quarantine and suppresses. An opt-in without a date has the time 1900-01-01
-- (older than any real change); uncertain evidence without a date has no time (it counts as the latest).
-- Inputs: _cs (registered by dbmkit.database.consent.store_consents: source_file, source_row, origin (loaded /
-- quarantined / flag), customer_id (the row's key, or the person for flags), email_clean, email_raw, channel,
-- status, updated_at, certain, status_read, problem, raw_value, source, record_id (a flag's source record); one row
-- per channel),
-- _rec_person, _email_person (build_store_people.sql), _erased_records, _erased_emails, consent_uncertain (empty).
-- Outputs: consents, consent_uncertain; _cs_m (the evidence with its person, read by build_link_consents.sql);
-- quarantine and load_log updated; the withheld rows in _hits (for build_quarantine.sql).
-- Parameters (Raw fragment): {erased} the quarantine reason of an erased person's row as a string literal.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

CREATE OR REPLACE TEMP TABLE _cs_gone AS SELECT DISTINCT origin, source_file, source_row FROM _cs t
WHERE t.origin <> 'flag' AND (t.customer_id IN (SELECT record_id FROM _erased_records)
    OR t.email_clean IN (SELECT email FROM _erased_emails) OR t.email_raw IN (SELECT email FROM _erased_emails));
INSERT INTO _hits SELECT 'consents', source_file, source_row, 'customer_id', {erased}, NULL
FROM _cs_gone WHERE origin = 'loaded' ORDER BY source_file, source_row;
DELETE FROM _cs t WHERE t.origin <> 'flag' AND (t.source_file, t.source_row) IN
    (SELECT (source_file, source_row) FROM _cs_gone);

CREATE OR REPLACE TEMP TABLE _cs_m AS SELECT c.*, CASE WHEN c.origin = 'flag' THEN c.customer_id
    ELSE coalesce(rp.customer_id, ep.customer_id, er.customer_id) END AS person FROM _cs c
    LEFT JOIN _rec_person rp ON rp.record_id = c.customer_id AND c.origin <> 'flag'
    LEFT JOIN _email_person ep ON ep.email = c.email_clean LEFT JOIN _email_person er ON er.email = c.email_raw;
INSERT INTO _hits SELECT DISTINCT 'consents', t.source_file, t.source_row, 'customer_id',
       'no customer with this ' || CASE WHEN t.customer_id IS NULL THEN 'e-mail address' ELSE 'id' END, NULL
FROM _cs_m t WHERE t.person IS NULL AND t.origin = 'loaded' ORDER BY t.source_file, t.source_row;
DELETE FROM _cs_m t WHERE t.person IS NULL;

-- certain evidence
INSERT INTO consents SELECT person, channel, status, updated_at, source FROM _cs_m WHERE certain
ORDER BY person, channel, updated_at;
CREATE OR REPLACE TEMP TABLE _cs_back AS SELECT source_file AS source, source_row, count(*) AS n FROM (
    SELECT DISTINCT source_file, source_row FROM _cs_m WHERE certain AND origin = 'quarantined') GROUP BY ALL;
DELETE FROM quarantine q WHERE q.table_name = 'consents' AND (q.source, q.source_row) IN
    (SELECT (source, source_row) FROM _cs_back);
UPDATE load_log SET rows_loaded = load_log.rows_loaded + b.n, rows_quarantined = load_log.rows_quarantined - b.n
FROM (SELECT source, sum(n) AS n FROM _cs_back GROUP BY 1) b
WHERE load_log.table_name = 'consents' AND load_log.source = b.source;

-- uncertain evidence: an opt-out of its person on its channel
INSERT INTO consent_uncertain SELECT person, channel, updated_at, status_read, problem, source_file, source_row,
       raw_value FROM _cs_m WHERE NOT certain ORDER BY person, channel, source_file, source_row;
INSERT INTO _hits SELECT 'consents', source_file, source_row, 'updated_at', any_value(problem), NULL
FROM _cs_m WHERE NOT certain AND origin = 'loaded' GROUP BY source_file, source_row ORDER BY source_file, source_row;
DROP TABLE _cs_gone;
DROP TABLE _cs_back;
