-- Store the campaign history by person (营销接触与响应): contacts (who was contacted, or held out as control) and
-- tracked responses. Rows of erased people go to quarantine without their values, contacts of a campaign missing
-- from the campaigns file with them; each row finds its person through its source record (rows without one go to
-- quarantine); a person contacted twice in one campaign (two records of one person) keeps the first contact.
-- A contact without a group is a treatment contact.
-- Inputs: src_contacts, src_responses, campaigns, _rec_person (build_store_people.sql), _erased_records.
-- Outputs: contacts, responses; the withheld rows deleted from staging and set aside in _hits (for
-- build_quarantine.sql).
-- Parameters (Raw fragment): {erased} the quarantine reason of an erased person's row as a string literal.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

-- erased people
INSERT INTO _hits SELECT 'contacts', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM src_contacts t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
DELETE FROM src_contacts t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
INSERT INTO _hits SELECT 'responses', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM src_responses t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
DELETE FROM src_responses t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);

-- contacts of unknown campaigns
INSERT INTO _hits SELECT 'contacts', t.source_file, t.source_row, 'campaign_id',
       'campaign_id: ' || t.campaign_id || ' is not in the campaigns file', left(CAST(to_json(t) AS VARCHAR), 500)
FROM src_contacts t WHERE t.campaign_id NOT IN (SELECT campaign_id FROM campaigns);
DELETE FROM src_contacts t WHERE t.campaign_id NOT IN (SELECT campaign_id FROM campaigns);

-- contacts by person: unknown people, then the second contact of one person in one campaign, go to quarantine
CREATE OR REPLACE TEMP TABLE _m_contacts AS SELECT s.campaign_id, rp.customer_id, s.cell,
       coalesce(s."group", 'treatment') AS "group", s.contact_ts, s.channel, s.source_file, s.source_row
FROM src_contacts s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id;
INSERT INTO _hits SELECT 'contacts', t.source_file, t.source_row, 'customer_id', 'no customer with this id', NULL
FROM _m_contacts t WHERE t.customer_id IS NULL;
DELETE FROM _m_contacts t WHERE t.customer_id IS NULL;

CREATE OR REPLACE TEMP TABLE _m_contacts_all AS SELECT *, row_number() OVER (PARTITION BY campaign_id, customer_id
    ORDER BY source_file, source_row) AS _rn FROM _m_contacts;
INSERT INTO _hits SELECT 'contacts', t.source_file, t.source_row, 'customer_id',
       'the same person was contacted twice in one campaign (two records of one person)', NULL
FROM _m_contacts_all t WHERE t._rn > 1;
DELETE FROM _m_contacts_all t WHERE t._rn > 1;
CREATE OR REPLACE TEMP TABLE _m_contacts AS SELECT * EXCLUDE (_rn) FROM _m_contacts_all;
DROP TABLE _m_contacts_all;

INSERT INTO contacts SELECT * EXCLUDE (source_file, source_row) FROM _m_contacts ORDER BY campaign_id, customer_id;

-- responses by person: unknown people go to quarantine
CREATE OR REPLACE TEMP TABLE _m_responses AS SELECT s.campaign_id, rp.customer_id, s.response_ts, s.order_id,
       s.revenue, s.source_file, s.source_row
FROM src_responses s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id;
INSERT INTO _hits SELECT 'responses', t.source_file, t.source_row, 'customer_id', 'no customer with this id', NULL
FROM _m_responses t WHERE t.customer_id IS NULL;
DELETE FROM _m_responses t WHERE t.customer_id IS NULL;

INSERT INTO responses SELECT * EXCLUDE (source_file, source_row) FROM _m_responses
ORDER BY campaign_id, customer_id, response_ts;
