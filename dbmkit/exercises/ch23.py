"""Exercises of chapter 23 (customer lifetime value).

23.1–23.3 compute by hand what the chapter's helpers and models give (the retention formula, the historical CLV,
the share of repeat buyers the purchase model must reproduce); 23.4 reads the tiers; 23.5 decides which CLV
belongs beside an acquisition cost. ``META`` (read by the exercise engine) gives each exercise its kind and the
diagnoses of the usual mistakes.
"""
from __future__ import annotations

import pandas as pd

from . import exercise
from .mistakes import close, letter, safe_meta, share_is_percent

PERCENT = share_is_percent()


# --------------------------------------------------------------------------------------------- 23.1 the formula
def _retention_inputs(ws) -> tuple[float, float, float]:
    from ..clv import retention_rate
    rr = retention_rate(ws).iloc[0]
    return float(rr["margin_per_retained"]), float(rr["retention_rate"]), float(ws.cfg.economics.annual_discount_rate)


def _formula(ws, variant: str = "forever") -> float:
    m, r, d = _retention_inputs(ws)
    if variant == "one_year":
        return m * r / (1 + d)
    if variant == "undiscounted":
        return m * r / (1 - r)
    if variant == "margin_now":
        return m * (1 + d) / (1 + d - r)
    return m * r / (1 + d - r)


@exercise("23.1", "Retention-formula CLV, by hand",
          hint="dbm.clv.retention_rate(ws) gives retention_rate (r) and margin_per_retained (m); d is "
               "ws.cfg.economics.annual_discount_rate. With no horizon: m × r / (1 + d − r).")
def _retention(ws):
    from ..clv import retention_clv
    m, r, d = _retention_inputs(ws)
    return float(retention_clv(m, r, d))


# --------------------------------------------------------------------------------------- 23.2 historical CLV
def _with_acquisition(ws) -> pd.DataFrame:
    s = ws.table("customer_summary")
    return s.merge(ws.sql("SELECT customer_id, acquisition_cost FROM customers"), on="customer_id", how="left")


def _historical_mean(ws, value: str = "margin_total", acquisition: bool = True, over_all_customers: bool = False):
    d = _with_acquisition(ws)
    v = d[value].astype(float).fillna(0.0)
    if acquisition:
        v = v - d["acquisition_cost"].astype(float).fillna(0.0)
    if over_all_customers:
        return float(v.sum() / int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]))
    return float(v.mean())


@exercise("23.2", "Average historical CLV, by hand",
          hint="Join the acquisition_cost of ws.sql('SELECT customer_id, acquisition_cost FROM customers') to the "
               "customer summary; historical CLV = margin_total − acquisition_cost (a missing cost counts as 0); "
               "average it over the customers who bought.",
          rel_tol=0.005, abs_tol=0.01)
def _historical(ws):
    from ..clv import historical_clv
    return float(historical_clv(_with_acquisition(ws), acquisition_cost_col="acquisition_cost")["historical_clv"]
                 .mean())


# ------------------------------------------------------------------------------------------- 23.3 repeat rate
def _repeat_share(ws, column: str = "frequency", at_least: int = 1) -> float:
    s = ws.table("customer_summary")
    return float((s[column] >= at_least).mean())


@exercise("23.3", "Share of customers with a repeat purchase, without a model",
          hint="In the customer summary, frequency counts repeat purchase days: the share of customers with "
               "frequency ≥ 1.",
          rel_tol=0.001)
def _repeat(ws):
    return _repeat_share(ws)


# ----------------------------------------------------------------------------------------------- 23.4 tiers
def _tier_share(ws, column: str = "clv", of_customers: bool = False) -> float:
    c = ws.table("clv")
    top = c["value_tier"] == "platinum"
    return float(top.mean()) if of_customers else float(c.loc[top, column].sum() / c[column].sum())


@exercise("23.4", "Share of total CLV held by the platinum tier",
          hint="In ws.table('clv'), sum clv for value_tier == 'platinum' and divide by the total clv.",
          rel_tol=0.005)
def _platinum(ws):
    return _tier_share(ws)


# -------------------------------------------------------------------------------------------- 23.5 CLV : CAC
CAC_CHOICES = {
    "a": "the 12-month model CLV: the model predicts the next year best",
    "b": "a long-horizon (e.g. 10-year) discounted CLV, over the same horizon for every channel: the one-off cost "
         "buys the whole relationship, and discounting already makes later years count less",
    "c": "the retention-formula CLV without discounting: it has no horizon, so it covers the whole relationship",
    "d": "the historical CLV: it is measured, not predicted",
}


@exercise("23.5", "Which CLV goes beside a one-off acquisition cost?",
          hint="What does the acquisition cost buy: one year of purchases, or the customer for as long as they stay? "
               "And what makes next decade's margin worth less than today's?")
def _cac(ws=None):
    return "b"




META = {
    "23.1": {
        "kind": "money",
        "diagnoses": [
            (lambda a, e, ws, **k: close(a, _formula(ws, "one_year")),
             "that is one year only (periods=1); the question asks for no horizon: m × r / (1 + d − r)"),
            (lambda a, e, ws, **k: close(a, _formula(ws, "undiscounted")),
             "you left out the discount rate: m × r / (1 + d − r) with d = economics.annual_discount_rate"),
            (lambda a, e, ws, **k: close(a, _formula(ws, "margin_now")),
             "you counted this year's margin too: the formula starts with next year's, m × r / (1 + d − r)"),
        ],
    },
    "23.2": {
        "kind": "money",
        "diagnoses": [
            (lambda a, e, ws, **k: close(a, _historical_mean(ws, "monetary_total")),
             "you used revenue, not margin: historical CLV is margin_total − acquisition_cost"),
            (lambda a, e, ws, **k: close(a, _historical_mean(ws, acquisition=False)) and not close(a, e),
             "you left out the acquisition cost: subtract it (a missing cost counts as 0)"),
            (lambda a, e, ws, **k: close(a, _historical_mean(ws, over_all_customers=True)) and not close(a, e),
             "you divided by every customer in the database; average over the customers who bought (the summary)"),
        ],
    },
    "23.3": {
        "kind": "share",
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, 1 - e, rel=0.001) and not close(a, e, rel=0.001),
             "that is the share of one-time buyers; the question asks for customers with a repeat purchase"),
            (lambda a, e, ws, **k: close(a, _repeat_share(ws, "n_orders", 2), rel=0.001)
             and not close(a, e, rel=0.001),
             "you counted customers with two orders; a repeat purchase is a purchase *day* after the first "
             "(frequency), so several orders on one day count once"),
        ],
    },
    "23.4": {
        "kind": "share",
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, _tier_share(ws, of_customers=True), rel=0.05),
             "that is the tier's share of customers (about 2 %); the question asks its share of CLV"),
            (lambda a, e, ws, **k: close(a, _tier_share(ws, "clv_revenue")) and not close(a, e),
             "you used expected revenue (clv_revenue); CLV is margin: use the clv column"),
        ],
    },
    "23.5": {
        "kind": "choice",
        "choices": CAC_CHOICES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: letter(a) == "a",
             "12 months covers only the first year of what the acquisition cost buys: the ratio looks worse than "
             "it is and good channels get cut"),
            (lambda a, e, ws=None, **k: letter(a) == "c",
             "without discounting, margin in 20 years counts as much as today's: the ratio looks better than it is"),
            (lambda a, e, ws=None, **k: letter(a) == "d",
             "a new customer has no history yet: the cost is paid for what they will bring, a prediction"),
        ],
    },
}
safe_meta(META)
