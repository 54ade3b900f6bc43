"""Interest and purchase-intent segments (兴趣 · 购买意向细分) from what customers buy, category by category.

* :func:`category_purchases` — spend, purchase days, first and last day of every customer in every category
  (``sql/category_purchases.sql``; needs order lines and a product master with categories).
* :func:`interest_segments` — each customer's share of spend per category and the *dominant interest*: the
  category with the largest share when it holds at least ``min_share`` of the customer's spend, else "mixed".
* :func:`category_cycles` — the repurchase cycle of each category: the median days between purchase days of the
  customers who bought it on two days or more.
* :func:`in_market` — who is *in market* for a category now (购买意向): a customer who has bought the category and
  whose days since that purchase have reached ``due_from`` × the category's cycle but not ``due_until`` × it — due
  for the next purchase, not yet gone.

Example
-------
>>> cp = pd.DataFrame({"customer_id": ["a", "a", "b"], "category": ["Shoes", "Books", "Books"],
...                    "spend": [80.0, 20.0, 50.0], "purchase_days": [1, 1, 3],
...                    "first_day": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-01-01"]),
...                    "last_day": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-02"])})
>>> interest_segments(cp)[["customer_id", "interest", "interest_share"]].values.tolist()
[['a', 'Shoes', 0.8], ['b', 'Books', 1.0]]
>>> category_cycles(cp, min_buyers=1)[["category", "cycle_days"]].values.tolist()
[['Books', 30.0]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import sql as _sql
from .i18n import add as _add_labels

__all__ = ["category_purchases", "interest_segments", "category_cycles", "in_market", "MIXED"]

MIXED = "mixed"

_add_labels({"interest": ("Dominant interest", "主要兴趣"), "mixed": ("Mixed interests", "兴趣分散"),
             "in_market": ("In market now", "当前有购买意向"), "cycle_days": ("Repurchase cycle (days)",
                                                                         "复购周期（天）")})


def category_purchases(ws, as_of=None) -> pd.DataFrame:
    """customer_id, category, spend, purchase_days, first_day, last_day (completed orders up to ``as_of``)."""
    as_of = pd.Timestamp(as_of if as_of is not None else ws.as_of)
    out = _sql.run(ws, "category_purchases", {"as_of": as_of.date()})
    for c in ("first_day", "last_day"):
        out[c] = pd.to_datetime(out[c])
    return out


def interest_segments(cp: pd.DataFrame, min_share: float = 0.4) -> pd.DataFrame:
    """One row per customer: interest (the dominant category, or :data:`MIXED`), interest_share (its share of the
    customer's spend), categories (bought) and spend; plus one ``share:<category>`` column per category."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], not {min_share}")
    pos = cp.assign(spend=cp["spend"].clip(lower=0))
    wide = pos.pivot_table(index="customer_id", columns="category", values="spend", aggfunc="sum", fill_value=0.0)
    total = wide.sum(axis=1)
    shares = wide.div(total.where(total > 0), axis=0).fillna(0.0)
    top = shares.idxmax(axis=1)
    top_share = shares.max(axis=1)
    out = pd.DataFrame({"customer_id": shares.index.astype(str),
                        "interest": np.where(top_share >= min_share, top.astype(str), MIXED),
                        "interest_share": top_share.round(6).to_numpy(),
                        "categories": (wide > 0).sum(axis=1).to_numpy(), "spend": total.to_numpy()})
    shares.columns = [f"share:{c}" for c in shares.columns]
    return pd.concat([out.reset_index(drop=True), shares.reset_index(drop=True)], axis=1)


def category_cycles(cp: pd.DataFrame, min_buyers: int = 20) -> pd.DataFrame:
    """Per category: buyers, repeat_buyers (two purchase days or more) and cycle_days — the median over repeat
    buyers of (last day − first day) ÷ (purchase days − 1). Categories with fewer than ``min_buyers`` repeat buyers
    get no cycle (too few to say)."""
    rep = cp[cp["purchase_days"] >= 2]
    gap = (rep["last_day"] - rep["first_day"]).dt.days / (rep["purchase_days"] - 1)
    cyc = gap.groupby(rep["category"]).agg(["median", "size"])
    buyers = cp.groupby("category")["customer_id"].nunique()
    out = pd.DataFrame({"category": buyers.index, "buyers": buyers.to_numpy()})
    out["repeat_buyers"] = out["category"].map(cyc["size"]).fillna(0).astype(int)
    out["cycle_days"] = out["category"].map(cyc["median"]).where(out["repeat_buyers"] >= min_buyers)
    return out.dropna(subset=["cycle_days"]).sort_values("cycle_days").reset_index(drop=True)


def in_market(cp: pd.DataFrame, cycles: pd.DataFrame, as_of, due_from: float = 0.8, due_until: float = 1.5,
              horizon_days: int = 0) -> pd.DataFrame:
    """The customer × category pairs in market at ``as_of`` + ``horizon_days``: days since the customer's last
    purchase in the category between ``due_from`` and ``due_until`` times the category's cycle. Returns
    customer_id, category, days_since, cycle_days, due_ratio."""
    if not 0 < due_from < due_until:
        raise ValueError("need 0 < due_from < due_until (in repurchase cycles), e.g. 0.8 and 1.5")
    at = pd.Timestamp(as_of) + pd.Timedelta(days=int(horizon_days))
    d = cp.merge(cycles[["category", "cycle_days"]], on="category")
    d = d.assign(days_since=(at - d["last_day"]).dt.days)
    d["due_ratio"] = d["days_since"] / d["cycle_days"]
    hit = d[(d["due_ratio"] >= due_from) & (d["due_ratio"] < due_until)]
    return hit[["customer_id", "category", "days_since", "cycle_days", "due_ratio"]].reset_index(drop=True)
