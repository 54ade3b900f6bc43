"""Exercises of chapter 24 (segments, lifecycle and penetration)."""
from __future__ import annotations

from . import exercise


@exercise("24.1", "Customers at risk",
          hint="Run dbm.segments.lifecycle_stage(ws.table('customer_summary'), ...) with the chapter's parameters "
               "and count the rows whose lifecycle_stage is 'at_risk'.",
          solution="life = dbm.segments.lifecycle_stage(ws.table('customer_summary'), new_days=new_days, "
                   "at_risk_after=at_risk_after, lapsed_after=lapsed_after, lost_days=lost_days)\n"
                   "answer = int((life['lifecycle_stage'] == 'at_risk').sum())")
def _at_risk(ws, new_days=90, at_risk_after=1.5, lapsed_after=3.0, lost_days=None):
    from ..segments import lifecycle_stage
    lost = int(lost_days if lost_days is not None else ws.cfg.analysis.active_days)
    life = lifecycle_stage(ws.table("customer_summary"), new_days=new_days, at_risk_after=at_risk_after,
                           lapsed_after=lapsed_after, lost_days=lost)
    return int((life["lifecycle_stage"] == "at_risk").sum())


@exercise("24.2", "The postal area with the deepest penetration",
          hint="dbm.segments.penetration(ws, by='postal_code') is sorted by index (customers per household vs "
               "average); answer with the postal_code of the first row, as text.",
          solution="answer = dbm.segments.penetration(ws, by='postal_code')['postal_code'].iloc[0]")
def _top_area(ws, months=12):
    from ..segments import penetration
    p = penetration(ws, by="postal_code", months=months)
    return str(p.sort_values("index", ascending=False)["postal_code"].iloc[0])


@exercise("24.3", "The income band with the highest sales per household",
          hint="dbm.segments.penetration(ws, by='income_band') has sales_per_household per band; answer with the "
               "income_band label of the best one (text, e.g. '4: 67k–78k').",
          solution="p = dbm.segments.penetration(ws, by='income_band')\n"
                   "answer = p.loc[p['sales_per_household'].idxmax(), 'income_band']")
def _best_income(ws, months=12):
    from ..segments import penetration
    p = penetration(ws, by="income_band", months=months)
    return str(p.loc[p["sales_per_household"].idxmax(), "income_band"])


@exercise("24.4", "Revenue share of the ABC class A customers",
          hint="Join ws.table('segments') (abc_class) with ws.table('customer_summary') (monetary_total) and divide "
               "the revenue of class A by the total.",
          solution="d = ws.table('segments').merge(ws.table('customer_summary'), on='customer_id')\n"
                   "answer = d.loc[d['abc_class'] == 'A', 'monetary_total'].sum() / d['monetary_total'].sum()")
def _a_share(ws):
    d = ws.table("segments").merge(ws.table("customer_summary"), on="customer_id")
    return float(d.loc[d["abc_class"] == "A", "monetary_total"].sum() / d["monetary_total"].sum())
