-- Customers whose source records carry more than one postal code (a likely move, 搬家): the number of distinct
-- postal codes, the postal code of the most recent record and the date of that record (signup_date of the record:
-- when that system first saw the person, the best date the records give for the move). Street spellings that differ
-- inside one postal code ("Oak Rd." / "Oak Road") are cleaning noise, not moves, and are not counted.
-- No parameters.
SELECT CAST(customer_id AS VARCHAR) AS customer_id,
       count(DISTINCT postal_code)                      AS postal_codes,
       arg_max(postal_code, signup_date)                AS latest_postal_code,
       max(signup_date)                                 AS latest_record_date
FROM customer_records
WHERE postal_code IS NOT NULL
GROUP BY 1
HAVING count(DISTINCT postal_code) > 1
ORDER BY 1
