-- The views of the marketing database, made at the end of the build:
--   consent_latest  latest consent evidence per person and channel, from consents (read with certainty) and
--                   consent_uncertain (each row an opt-out; no time: counts as the latest); an opt-out wins a
--                   timestamp tie (the safe reading); uncertain = the latest evidence could not be read with certainty;
--   purchases       completed orders;  sales  every order but the cancelled ones (returns count negative);
--   customer_view   each customer with the postal-area data (data append), purchase summary (first/last purchase,
--                   completed orders, revenue and margin net of returns, channels) and the latest consent per channel.
-- Inputs: customers, orders, consents, consent_uncertain, area_demographics. Outputs: the four views (replaced if
-- present). Parameters: none.
CREATE OR REPLACE VIEW consent_latest AS
SELECT customer_id, channel,
       arg_max(status, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain)) AS status,
       arg_max_null(updated_at, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain)) AS updated_at,
       arg_max(uncertain, (coalesce(updated_at, TIMESTAMP 'infinity'), status = 'opt_out', uncertain)) AS uncertain
FROM (SELECT customer_id, channel, status, updated_at, false AS uncertain FROM consents
      UNION ALL SELECT customer_id, channel, 'opt_out', updated_at, true FROM consent_uncertain)
GROUP BY customer_id, channel;

CREATE OR REPLACE VIEW purchases AS
SELECT * FROM orders WHERE status = 'completed';

CREATE OR REPLACE VIEW sales AS
SELECT * FROM orders WHERE status <> 'cancelled';

CREATE OR REPLACE VIEW customer_view AS
SELECT c.*, a.households AS area_households, a.population AS area_population,
       a.median_income AS area_median_income, a.age_18_34 AS area_age_18_34,
       a.age_35_54 AS area_age_35_54, a.age_55_plus AS area_age_55_plus,
       s.first_purchase, s.last_purchase, coalesce(s.orders, 0) AS orders, coalesce(s.revenue, 0) AS revenue,
       coalesce(s.margin, 0) AS margin, coalesce(s.channels, 0) AS channels,
       k.email_consent, k.sms_consent, k.phone_consent, k.mail_consent, k.wechat_consent, k.app_push_consent
FROM customers c
LEFT JOIN area_demographics a USING (postal_code)
LEFT JOIN (SELECT customer_id, min(order_ts) FILTER (WHERE status = 'completed') AS first_purchase,
                  max(order_ts) FILTER (WHERE status = 'completed') AS last_purchase,
                  count(*) FILTER (WHERE status = 'completed') AS orders,
                  sum(net_amount) FILTER (WHERE status <> 'cancelled') AS revenue,
                  sum(net_amount - cost) FILTER (WHERE status <> 'cancelled') AS margin,
                  count(DISTINCT channel) FILTER (WHERE status = 'completed') AS channels
           FROM orders GROUP BY 1) s USING (customer_id)
LEFT JOIN (SELECT customer_id, any_value(status) FILTER (WHERE channel = 'email') AS email_consent,
                  any_value(status) FILTER (WHERE channel = 'sms') AS sms_consent,
                  any_value(status) FILTER (WHERE channel = 'phone') AS phone_consent,
                  any_value(status) FILTER (WHERE channel = 'mail') AS mail_consent,
                  any_value(status) FILTER (WHERE channel = 'wechat') AS wechat_consent,
                  any_value(status) FILTER (WHERE channel = 'app_push') AS app_push_consent
           FROM consent_latest GROUP BY 1) k USING (customer_id);
