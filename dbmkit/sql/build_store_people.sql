-- Store the people (merge/purge results): the golden records in customers, every source record in
-- customer_records, the compared record pairs with their match scores in identity_pairs; then the lookups the
-- other tables are stored with: source record → person (_rec_person), e-mail and phone (cleaned or as written)
-- → person (_email_person, _phone_person; a value shared by two people goes to the one who signed up last).
-- Inputs (registered by dbmkit.database.build): _gold (the customers columns), _linked (the customer_records
-- columns), _pairs (record_i, record_j, score, probability), _key (record_id, email, raw_email, phone, raw_phone,
-- signup, customer_id, all text).
-- Outputs: customers, customer_records, identity_pairs; temp tables _rec_person, _email_person, _phone_person.
-- Parameters: none.
INSERT INTO customers SELECT * FROM _gold ORDER BY customer_id;
INSERT INTO customer_records SELECT * FROM _linked ORDER BY record_id;
CREATE OR REPLACE TABLE identity_pairs AS SELECT * FROM _pairs ORDER BY record_i, record_j;

CREATE OR REPLACE TEMP TABLE _rec_person AS SELECT record_id, customer_id, signup_date FROM customer_records;
CREATE OR REPLACE TEMP TABLE _email_person AS
SELECT email, arg_max(customer_id, signup || customer_id) AS customer_id FROM (
    SELECT email, customer_id, signup FROM _key WHERE email IS NOT NULL
    UNION SELECT raw_email, customer_id, signup FROM _key WHERE raw_email IS NOT NULL) GROUP BY email;
CREATE OR REPLACE TEMP TABLE _phone_person AS
SELECT phone, arg_max(customer_id, signup || customer_id) AS customer_id FROM (
    SELECT phone, customer_id, signup FROM _key WHERE phone IS NOT NULL
    UNION SELECT raw_phone, customer_id, signup FROM _key WHERE raw_phone IS NOT NULL AND raw_phone <> '')
GROUP BY phone;
