"""Exercises of chapter 12 (store and protect: SQL on the marketing database, consent, retention)."""
from __future__ import annotations

from . import exercise

_REVENUE_SQL = """SELECT channel, sum(net_amount) AS revenue FROM sales GROUP BY channel ORDER BY revenue DESC"""


@exercise("12.1", "SQL: net revenue per sales channel, largest first",
          hint="From the view `sales` (completed orders and returns): SELECT channel, sum(net_amount) AS revenue "
               "… GROUP BY channel ORDER BY revenue DESC. Answer with the DataFrame ws.sql(...) returns "
               "(two columns, one row per channel).",
          solution=f'answer = ws.sql("""{_REVENUE_SQL}""")', rel_tol=1e-6)
def _revenue(ws):
    return ws.sql(_REVENUE_SQL)


@exercise("12.2", "SQL: customers who bought in at least two channels",
          hint="The single customer view has a column `channels` (distinct channels with completed orders): "
               "SELECT count(*) FROM customer_view WHERE channels >= 2.",
          solution="answer = int(ws.sql('SELECT count(*) AS n FROM customer_view WHERE channels >= 2')['n'].iloc[0])",
          rel_tol=0, abs_tol=0.5)
def _multichannel(ws):
    return int(ws.sql("SELECT count(*) AS n FROM customer_view WHERE channels >= 2")["n"].iloc[0])


@exercise("12.3", "Customers who may receive an e-mail today",
          hint="Everyone in customers minus everyone on the e-mail suppression list: "
               "dbm.database.suppression_list(ws, 'email') has one row per customer and reason, so count distinct "
               "customer_id.",
          solution="sup = dbm.database.suppression_list(ws, 'email')\n"
                   "n = ws.sql('SELECT count(*) AS n FROM customers')['n'].iloc[0]\n"
                   "answer = int(n - sup['customer_id'].nunique())",
          rel_tol=0, abs_tol=0.5)
def _emailable(ws):
    from ..database import suppression_list
    sup = suppression_list(ws, "email")
    n = int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0])
    return n - int(sup["customer_id"].nunique())


@exercise("12.4", "Customers a 2-year retention rule would erase",
          hint="dbm.database.stale_customers(ws, ws.as_of, years=2) lists the customers without any purchase, "
               "contact, consent change or sign-up in the last two years; count them.",
          solution="answer = len(dbm.database.stale_customers(ws, ws.as_of, years=2))",
          rel_tol=0, abs_tol=0.5)
def _stale(ws):
    from ..database import stale_customers
    return int(len(stale_customers(ws, ws.as_of, years=2)))
