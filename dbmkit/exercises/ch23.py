"""Exercises of chapter 23 (customer lifetime value)."""
from __future__ import annotations

from . import exercise


@exercise("23.1", "Retention-formula CLV of a customer of this client",
          hint="dbm.clv.retention_rate(ws) gives retention_rate and margin_per_retained; plug them into "
               "dbm.clv.retention_clv(margin, retention, discount_rate) with the config's annual_discount_rate.",
          solution="rr = dbm.clv.retention_rate(ws).iloc[0]\n"
                   "answer = dbm.clv.retention_clv(rr['margin_per_retained'], rr['retention_rate'], "
                   "ws.cfg.economics.annual_discount_rate)")
def _retention(ws):
    from ..clv import retention_clv, retention_rate
    rr = retention_rate(ws).iloc[0]
    return float(retention_clv(rr["margin_per_retained"], rr["retention_rate"], ws.cfg.economics.annual_discount_rate))


@exercise("23.2", "BG/NBD: the shape r of the purchase-rate distribution",
          hint="Fit dbm.clv.BetaGeo() on the frequency, recency and T columns of ws.table('customer_summary') and "
               "read params_['r'].",
          solution="s = ws.table('customer_summary')\n"
                   "answer = dbm.clv.BetaGeo().fit(s['frequency'], s['recency'], s['T']).params_['r']",
          rel_tol=2e-3)
def _r(ws):
    from ..clv import BetaGeo
    s = ws.table("customer_summary")
    return float(BetaGeo().fit(s["frequency"], s["recency"], s["T"]).params_["r"])


@exercise("23.3", "Expected purchases in the next 90 days",
          hint="With the BG/NBD fitted on the customer summary (days), call expected_purchases(90, frequency=5, "
               "recency=300, T=400) for a customer with 5 repeat purchases, the last one 300 days after the first, "
               "400 days ago.",
          solution="s = ws.table('customer_summary')\n"
                   "bg = dbm.clv.BetaGeo().fit(s['frequency'], s['recency'], s['T'])\n"
                   "answer = float(bg.expected_purchases(90, 5, 300, 400))",
          rel_tol=2e-3)
def _expected(ws):
    from ..clv import BetaGeo
    s = ws.table("customer_summary")
    return float(BetaGeo().fit(s["frequency"], s["recency"], s["T"]).expected_purchases(90, 5, 300, 400))


@exercise("23.4", "Share of total CLV held by the platinum tier",
          hint="In ws.table('clv'), sum clv for value_tier == 'platinum' and divide by the total clv.",
          solution="c = ws.table('clv')\nanswer = c.loc[c['value_tier'] == 'platinum', 'clv'].sum() / c['clv'].sum()")
def _platinum(ws):
    c = ws.table("clv")
    return float(c.loc[c["value_tier"] == "platinum", "clv"].sum() / c["clv"].sum())
