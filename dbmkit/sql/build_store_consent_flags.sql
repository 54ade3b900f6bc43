-- Store the consent flags of the customer records (newsletter yes/no, SMS ok …) as consent rows at each record's
-- sign-up date, by person. With the explicit rows (build_store_consents.sql) the latest status wins.
-- Inputs: _fc (registered by dbmkit.database.consent.store_consents: customer_id, channel, status, updated_at,
-- source; one row per record and flag, with its person). Output: rows appended to consents.
-- Parameters: none.
INSERT INTO consents SELECT customer_id, channel, status, updated_at, source FROM _fc
ORDER BY customer_id, channel, updated_at
