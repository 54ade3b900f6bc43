-- The people a campaign can be planned for, with what the plan needs from `customers` and no contact details:
-- household (for N-per rules), sign-up date, the do-not-contact flags, and whether the birthday falls inside the
-- campaign window ($start to $start + $window days; for birthday care 客户关怀) and how many days after $start it
-- is (to time the greeting). One row per customer.
WITH b AS (
    SELECT *, CAST(birth_date + to_years(CAST(year($start) - year(birth_date) AS INTEGER)) AS DATE) AS bday_this_year
    FROM customers
), n AS (
    SELECT *, CASE WHEN bday_this_year >= $start THEN bday_this_year
                   ELSE CAST(birth_date + to_years(CAST(year($start) + 1 - year(birth_date) AS INTEGER)) AS DATE)
              END AS next_birthday
    FROM b
)
SELECT customer_id, household_id, signup_date, postal_code, city, gender,
       coalesce(is_test, false) AS is_test, coalesce(is_staff, false) AS is_staff,
       coalesce(deceased, false) AS deceased, coalesce(gone_away, false) AS gone_away,
       coalesce(next_birthday < CAST($start AS DATE) + to_days(CAST($window AS INTEGER)), false) AS birthday_in_window,
       CASE WHEN next_birthday < CAST($start AS DATE) + to_days(CAST($window AS INTEGER))
            THEN datediff('day', CAST($start AS DATE), next_birthday) END AS birthday_day
FROM n
ORDER BY customer_id
