-- Store the reference tables as staged (after their duplicate keys went to quarantine): the product master with
-- costs, the postal-area statistics and the past campaigns with their costs.
-- Inputs: src_products, src_area_demographics, src_campaigns. Outputs: products, area_demographics, campaigns.
-- Parameters: none.
INSERT INTO products SELECT product_id, name, category, subcategory, unit_cost, list_price
FROM src_products ORDER BY product_id;
INSERT INTO area_demographics SELECT postal_code, city, households, population, median_income,
       age_18_34, age_35_54, age_55_plus FROM src_area_demographics ORDER BY postal_code;
INSERT INTO campaigns SELECT campaign_id, name, channel, offer, start_date, end_date, cost_per_contact,
       fixed_cost, segment FROM src_campaigns ORDER BY campaign_id;
