"""Exercises of chapter 11 (clean and merge/purge)."""
from __future__ import annotations

from . import exercise


@exercise("11.1", "Source records whose e-mail was given but invalid",
          hint="customer_records keeps a flag per record: count the rows where email_valid is false "
               "(not NULL: NULL means no e-mail was given).",
          solution="answer = int(ws.sql('SELECT count(*) AS n FROM customer_records WHERE email_valid = false')"
                   "['n'].iloc[0])",
          rel_tol=0, abs_tol=0.5)
def _invalid_emails(ws):
    return int(ws.sql("SELECT count(*) AS n FROM customer_records WHERE email_valid = false")["n"].iloc[0])


@exercise("11.2", "Persons found in more than one source record",
          hint="After merge/purge each person is one row of customers; n_records says how many source records "
               "were merged into it. Count the persons with n_records > 1.",
          solution="answer = int(ws.sql('SELECT count(*) AS n FROM customers WHERE n_records > 1')['n'].iloc[0])",
          rel_tol=0, abs_tol=0.5)
def _merged(ws):
    return int(ws.sql("SELECT count(*) AS n FROM customers WHERE n_records > 1")["n"].iloc[0])


@exercise("11.3", "Households with more than one person",
          hint="Group the customers by household_id and count the groups with more than one person — "
               "dbm.identity.household_sizes does the grouping.",
          solution="sizes = dbm.identity.household_sizes(ws.sql('SELECT household_id FROM customers'))\n"
                   "answer = int(sizes.loc[sizes['persons'] > 1, 'households'].sum())",
          rel_tol=0, abs_tol=0.5)
def _households(ws):
    return int(ws.sql("""SELECT count(*) AS n FROM (SELECT household_id FROM customers GROUP BY 1
                         HAVING count(*) > 1)""")["n"].iloc[0])


@exercise("11.4", "Quality score of the customers table after cleaning (0–100)",
          hint="dbm.clean.quality_summary(ws.sql('SELECT * FROM data_quality')) gives one score per table and "
               "stage; take customers, 'after cleaning'.",
          solution="s = dbm.clean.quality_summary(ws.sql('SELECT * FROM data_quality'))\n"
                   "answer = s.query(\"table == 'customers' and stage == 'after cleaning'\")['score'].iloc[0]",
          abs_tol=0.05)
def _score(ws):
    from ..clean import quality_summary
    s = quality_summary(ws.sql("SELECT * FROM data_quality"))
    return float(s[(s["table"] == "customers") & (s["stage"] == "after cleaning")]["score"].iloc[0])
