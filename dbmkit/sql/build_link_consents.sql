-- Consent across known id links, fail-safe: a link never makes anyone reachable whom the records without the link
-- kept out. For every person that customer_links joined from several parts (a part: the person fuzzy matching
-- alone found), each part's own latest consent evidence per channel is read as at send time (every opt-out, the
-- opt-ins up to now; the latest wins, an unknown time counts as the latest, an opt-out wins a tie); a part whose
-- latest evidence is an opt-out makes its person opted out on that channel: a row in consent_uncertain without a
-- date (it counts as the latest evidence, at any date), naming the file and row of the part's opt-out.
-- Inputs: _cs_m (build_store_consents.sql: the consent evidence with its person; record_id for a flag),
-- _rec_part (record_id, customer_id, part: registered by dbmkit.database.links.hold_linked_opt_outs), _key and
-- _email_person (build_store_people.sql), consent_uncertain.
-- Outputs: consent_uncertain rows added; the last statement returns (holds added, holds where the person's own
-- latest evidence was not an opt-out).
-- Parameters (Raw fragment): {now} the time of the build as a TIMESTAMP literal.
CREATE OR REPLACE TEMP TABLE _lk_multi AS
SELECT customer_id FROM _rec_part GROUP BY 1 HAVING count(DISTINCT part) > 1;

-- an e-mail key belongs to the person of _email_person; within the person to the part of the record with that
-- address that signed up last (the same choice as _email_person's)
CREATE OR REPLACE TEMP TABLE _lk_email_part AS
SELECT e.email, arg_max(p.part, k.signup || p.part) AS part FROM _email_person e
JOIN (SELECT email, record_id, signup FROM _key WHERE email IS NOT NULL
      UNION SELECT raw_email, record_id, signup FROM _key WHERE raw_email IS NOT NULL) k USING (email)
JOIN _rec_part p ON p.record_id = k.record_id AND p.customer_id = e.customer_id
WHERE e.customer_id IN (SELECT customer_id FROM _lk_multi)
GROUP BY e.email;

CREATE OR REPLACE TEMP TABLE _lk_ev AS
SELECT m.person, CASE WHEN m.origin = 'flag' THEN fp.part ELSE coalesce(rp.part, ep.part, er.part) END AS part,
       m.channel, m.status, m.updated_at, NOT m.certain AS uncertain, m.source_file, m.source_row
FROM _cs_m m
LEFT JOIN _rec_part fp ON fp.record_id = m.record_id AND m.origin = 'flag'
LEFT JOIN _rec_part rp ON rp.record_id = m.customer_id AND m.origin <> 'flag'
LEFT JOIN _lk_email_part ep ON ep.email = m.email_clean AND m.origin <> 'flag'
LEFT JOIN _lk_email_part er ON er.email = m.email_raw AND m.origin <> 'flag'
WHERE m.person IN (SELECT customer_id FROM _lk_multi)
  AND (m.updated_at IS NULL OR m.status = 'opt_out' OR NOT m.certain OR m.updated_at <= {now});

CREATE OR REPLACE TEMP TABLE _lk_holds AS
WITH part_latest AS (
    SELECT person, part, channel,
           arg_max(status, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain)) AS status,
           arg_max(source_file, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain))
               AS source_file,
           arg_max(source_row, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain))
               AS source_row
    FROM _lk_ev WHERE part IS NOT NULL GROUP BY ALL),
person_latest AS (
    SELECT person, channel,
           arg_max(status, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain)) AS status
    FROM _lk_ev GROUP BY ALL)
SELECT p.person, p.channel, min(p.source_file) AS source_file,
       arg_min(p.source_row, p.source_file) AS source_row, any_value(q.status) AS person_status
FROM part_latest p JOIN person_latest q USING (person, channel)
WHERE p.status = 'opt_out' GROUP BY p.person, p.channel;

INSERT INTO consent_uncertain SELECT person, channel, NULL, 'opt_out',
       'a record joined to this person by a known id link (customer_links) opted out of this channel: '
       || 'its opt-out holds for the whole person', source_file, source_row, NULL
FROM _lk_holds ORDER BY person, channel;

SELECT count(*), count(*) FILTER (WHERE person_status <> 'opt_out') FROM _lk_holds;
