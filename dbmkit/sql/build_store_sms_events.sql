-- Store the SMS platform events by person (sent, delivered, bounced, unsubscribed …): rows of erased people go to
-- quarantine without their values; each row finds its person by source record id, else by phone number (E.164,
-- then the digits as written); rows without a person go to quarantine.
-- Inputs: _sm (registered by dbmkit.database.build: src_sms_events with phone_clean, phone_raw), _rec_person,
-- _phone_person (build_store_people.sql), _erased_records.
-- Outputs: sms_events; the withheld rows set aside in _hits (for build_quarantine.sql).
-- Parameters (Raw fragment): {erased} the quarantine reason of an erased person's row as a string literal.
CREATE OR REPLACE TEMP TABLE _hits AS SELECT * FROM quarantine LIMIT 0;

INSERT INTO _hits SELECT 'sms_events', t.source_file, t.source_row, 'customer_id', {erased}, NULL
FROM _sm t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);
DELETE FROM _sm t WHERE t.customer_id IN (SELECT record_id FROM _erased_records);

CREATE OR REPLACE TEMP TABLE _m_sms_events AS SELECT s.campaign_id,
       coalesce(rp.customer_id, pp.customer_id, pq.customer_id) AS customer_id,
       s.event, s.event_ts, s.source_file, s.source_row
FROM _sm s LEFT JOIN _rec_person rp ON rp.record_id = s.customer_id
LEFT JOIN _phone_person pp ON pp.phone = s.phone_clean LEFT JOIN _phone_person pq ON pq.phone = s.phone_raw;
INSERT INTO _hits SELECT 'sms_events', t.source_file, t.source_row, 'customer_id', 'no customer with this phone number', NULL
FROM _m_sms_events t WHERE t.customer_id IS NULL;
DELETE FROM _m_sms_events t WHERE t.customer_id IS NULL;

INSERT INTO sms_events SELECT * EXCLUDE (source_file, source_row) FROM _m_sms_events
ORDER BY campaign_id, customer_id, event_ts, event;
