"""The CLV formulas: historical CLV, retention-formula CLV and the year-on-year retention rate it needs, CLV from
fitted BTYD models (:func:`btyd_clv`), per-customer margin rates and value tiers.

* **Historical CLV** — the margin a customer has brought so far (:func:`historical_clv`). Easy, but it looks back.
* **Retention-formula CLV** — margin per period × r / (1 + d − r) for a retention rate r and discount rate d
  (:func:`retention_clv`): the value of a customer who keeps buying with probability r each period, forever (no
  horizon); with ``periods=n`` the same over the next n periods only.
* **BTYD CLV** — expected purchases × expected spend × margin, discounted month by month (:func:`btyd_clv`).

>>> round(retention_clv(100.0, 0.8, 0.10), 2)
266.67
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import sql as _sql
from ..schema import TABLES
from .betageo import BetaGeo
from .gammagamma import GammaGamma

__all__ = ["historical_clv", "retention_clv", "retention_rate", "btyd_clv", "margin_rates", "value_tiers",
           "VALUE_TIERS"]

# value tiers (价值层级), the one definition (docs/GLOSSARY.md): (name, share of customers by value rank, from the
# top). The clv table's value_tier (chapter 23) and the loyalty programme's tiers (campaign.loyalty_tiers, chapter 30)
# both use it.
VALUE_TIERS = (("platinum", 0.02), ("gold", 0.08), ("silver", 0.20), ("bronze", 0.70))
CUSTOMER_COLUMNS = frozenset(c.name for c in TABLES["customers"])     # what retention_rate(by=...) may group by

# --------------------------------------------------------------------------------------------- simple CLV
def historical_clv(summary: pd.DataFrame, margin_col: str = "margin_total",
                   acquisition_cost_col: str | None = None) -> pd.DataFrame:
    """Historical CLV: the margin each customer has brought so far (optionally minus what acquiring them cost).

    >>> s = pd.DataFrame({"customer_id": ["a", "b"], "margin_total": [120.0, 15.0], "acquisition_cost": [20.0, 30.0]})
    >>> historical_clv(s, acquisition_cost_col="acquisition_cost")["historical_clv"].tolist()
    [100.0, -15.0]
    """
    need = ["customer_id", margin_col] + ([acquisition_cost_col] if acquisition_cost_col else [])
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise KeyError(f"historical_clv needs column(s) {missing}; the customer summary has {list(summary.columns)}")
    out = summary[["customer_id"]].copy()
    value = summary[margin_col].astype(float).fillna(0.0)
    if acquisition_cost_col:
        value = value - summary[acquisition_cost_col].astype(float).fillna(0.0)
    out["historical_clv"] = value.to_numpy()
    return out


def retention_clv(margin, retention, discount_rate: float = 0.10, periods: int | None = None):
    """Retention-formula CLV: the present value of a customer who brings ``margin`` per period and stays each
    period with probability ``r`` (``d`` = discount rate per period, each period's margin discounted at its end).

    * ``periods=None`` — **no horizon** (forever): margin × r / (1 + d − r);
    * ``periods=n`` — the next ``n`` periods only: margin × Σₜ₌₁..ₙ (r / (1 + d))ᵗ — e.g. ``periods=1`` for
      the 12-month value with yearly retention, comparable with a 12-month model CLV.

    Works on numbers, arrays or Series.

    >>> round(retention_clv(100.0, 0.8, 0.10), 2)                 # forever
    266.67
    >>> round(retention_clv(100.0, 0.8, 0.10, periods=1), 2)      # next year only: 100 × 0.8 / 1.1
    72.73
    >>> round(retention_clv(100.0, 0.8, 0.10, periods=200), 2)    # a long horizon approaches "forever"
    266.67
    """
    r = np.asarray(retention, float)
    known = np.isfinite(r)       # unknown retention (no history to measure it) gives an unknown value
    if np.any((r[known] < 0) | (r[known] > 1)) or np.any(np.isinf(r)):
        raise ValueError("retention must be a probability between 0 and 1 (e.g. 0.8 for 80 % of customers staying)")
    if not 0 <= discount_rate < 1:
        raise ValueError("discount_rate is a rate per period between 0 and 1, e.g. 0.10")
    if periods is None:
        value = np.asarray(margin, float) * r / (1.0 + discount_rate - r)
    else:
        if int(periods) != periods or periods < 1:
            raise ValueError(f"periods must be a whole number of periods ≥ 1 (or None for no horizon), got {periods!r}")
        n, q = int(periods), r / (1.0 + discount_rate)
        with np.errstate(divide="ignore", invalid="ignore"):       # q = 1 (r = 1, d = 0): n periods in full
            factor = np.where(np.isclose(q, 1.0), float(n), q * (1.0 - q ** n) / (1.0 - q))
        value = np.asarray(margin, float) * factor
    if isinstance(margin, pd.Series):
        return pd.Series(value, index=margin.index, name="retention_clv")
    return float(value) if np.ndim(value) == 0 else value


def retention_rate(ws, by: str | None = None) -> pd.DataFrame:
    """Year-on-year retention rate (留存率): of the customers who bought in the year before last, the share who bought
    again in the last year, and their average margin in the last year (overall, or per value of a ``customers``
    column such as ``acquisition_channel``). With less than two years of history the rates are unknown (NaN)."""
    if by and by != "all" and by not in CUSTOMER_COLUMNS:
        raise ValueError(f"retention_rate(by={by!r}): use a column of customers, e.g. 'acquisition_channel'")
    df = _sql.run(ws, "yearly_retention", {"as_of": ws.as_of.date()})
    if by:
        cust = ws.sql(f'SELECT customer_id, "{by}" AS grp FROM customers') if by != "all" else None
        df = df.merge(cust, on="customer_id", how="left") if cust is not None else df.assign(grp="all")
    else:
        df = df.assign(grp="all")
    if df.empty:        # less than two years of history: nothing to measure
        return pd.DataFrame({by or "group": ["all"], "customers": [0], "retained": [0],
                             "margin_per_customer": [np.nan], "retention_rate": [np.nan],
                             "margin_per_retained": [np.nan]})
    g = df.groupby("grp", dropna=False)
    out = pd.DataFrame({"customers": g.size(), "retained": g["retained"].sum(),
                        "margin_per_customer": g["margin_prev"].mean()})
    out["retention_rate"] = out["retained"] / out["customers"]
    kept = df[df["retained"]].groupby("grp", dropna=False)["margin_last"].mean()
    out["margin_per_retained"] = kept.reindex(out.index)
    return out.reset_index(names=by or "group")


# --------------------------------------------------------------------------------------------- BTYD CLV
def btyd_clv(summary: pd.DataFrame, bg: BetaGeo, gg: GammaGamma, horizon_months: int = 12, margin=0.40,
             annual_discount_rate: float = 0.10, days_per_unit: float = 1.0,
             monetary_col: str = "monetary_mean_repeat") -> pd.DataFrame:
    """CLV over a horizon from fitted BG/NBD and Gamma-Gamma models: expected purchases × expected spend × margin,
    discounted month by month.

    ``summary`` holds frequency, recency, T (in the models' time unit, ``days_per_unit`` days each) and the mean
    repeat spend; ``margin`` is a rate (one number or one per customer). Returns customer_id, p_alive,
    expected_purchases (over the horizon), expected_spend, clv_revenue (undiscounted expected revenue) and clv
    (discounted expected margin).
    """
    for c in ("frequency", "recency", "T", monetary_col):
        if c not in summary.columns:
            raise KeyError(f"btyd_clv needs column {c!r} (from dbmkit.rfm.customer_summary); "
                           f"have {list(summary.columns)}")
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1")
    q = (getattr(gg, "params_", None) or {}).get("q")
    if q is not None and q <= 1:
        raise ValueError(f"Gamma-Gamma q = {q:.3f} ≤ 1: the model's mean spend is infinite (a very heavy "
                         "tail of purchase values). Cap extreme order values or check for data errors before the CLV.")
    month = 365.25 / 12 / days_per_unit
    ts = np.arange(horizon_months + 1) * month
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))

    # expected purchases while alive depend on (frequency, T) only: compute them once per unique pair and month,
    # then multiply by each customer's P(alive)
    xt = pd.DataFrame({"x": x, "T": T})
    key = xt.groupby(["x", "T"], sort=False).ngroup().to_numpy()
    u = xt.drop_duplicates(["x", "T"])
    ux, uT = u["x"].to_numpy(), u["T"].to_numpy()
    alive_cum = np.column_stack([bg.expected_purchases_if_alive(np.full(len(u), t), ux, uT) if t > 0
                                 else np.zeros(len(u)) for t in ts])
    cum_purchases = alive_cum[key] * bg.p_alive(x, tx, T)[:, None]
    step = np.diff(cum_purchases, axis=1)
    disc = (1.0 + annual_discount_rate) ** (-np.arange(1, horizon_months + 1) / 12.0)
    spend = gg.conditional_expected_spend(x, summary[monetary_col].to_numpy(float))
    m = np.broadcast_to(np.asarray(margin, float), x.shape)
    ids = summary["customer_id"].to_numpy() if "customer_id" in summary else summary.index
    out = pd.DataFrame({"customer_id": ids})
    out["p_alive"] = bg.p_alive(x, tx, T)
    out["expected_purchases"] = cum_purchases[:, -1]
    out["expected_spend"] = spend
    out["clv_revenue"] = out["expected_purchases"] * spend
    out["clv"] = (step * disc).sum(axis=1) * spend * m
    return out


# --------------------------------------------------------------------------------------------- margins and tiers
def margin_rates(summary: pd.DataFrame, default_margin: float = 0.40) -> np.ndarray:
    """Each customer's margin rate on purchases (after returns), shrunk towards the base's rate: customers with
    little history get about the average, heavy buyers their own mix (deal seekers and serial returners lower).

    rate = (margin + m̄·K) / (purchases + K), with m̄ the base's margin rate and K the median purchases per customer.
    """
    if "margin_total" not in summary.columns or summary["margin_total"].isna().all():
        return np.full(len(summary), default_margin)
    purchases = (summary["monetary_total"].fillna(0) + summary.get("returns_total", 0)).to_numpy(float)
    margin = summary["margin_total"].fillna(0).to_numpy(float)
    base = margin.sum() / purchases.sum() if purchases.sum() > 0 else default_margin
    k = max(float(np.median(purchases[purchases > 0])) if (purchases > 0).any() else 1.0, 1.0)
    return np.clip((margin + base * k) / (np.clip(purchases, 0, None) + k), -1.0, 1.0)


def value_tiers(values, tiers=VALUE_TIERS) -> np.ndarray:
    """Tier labels by rank of value (default :data:`VALUE_TIERS`: top 2 % platinum, next 8 % gold, next 20 %
    silver, the other 70 % bronze).

    >>> value_tiers([10, 50, 20, 5, 1, 0, 3, 7, 2, 100, 4, 6, 8, 9, 11, 12, 13, 14, 15, 16]).tolist()[:3]
    ['bronze', 'gold', 'silver']
    """
    v = np.asarray(values, float)
    n = len(v)
    order = np.argsort(-v, kind="stable")
    rank_share = np.empty(n)
    rank_share[order] = (np.arange(n) + 0.5) / max(n, 1)
    edges = np.cumsum([s for _, s in tiers])
    idx = np.minimum(np.searchsorted(edges, rank_share, side="right"), len(tiers) - 1)
    return np.array([name for name, _ in tiers], dtype=object)[idx]
