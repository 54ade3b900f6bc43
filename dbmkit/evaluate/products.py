"""Evaluation by product (商品): which product categories did the campaign really sell more of?

For every contact of a past campaign, the categories bought within the response window
(``dbmkit/sql/contact_categories.sql``); then, per category, the share of treated vs control contacts who bought
it, with the lift, its interval and a Holm-adjusted p-value (many categories = many comparisons). A category with a
poor response may need a different offer or a bundle with a category that does respond.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import sql as _sql
from .attribution import campaign_outcomes
from .stats import compare_groups, holm_adjust

__all__ = ["category_outcomes", "category_lift"]


def category_outcomes(ws, campaign_id: str) -> pd.DataFrame:
    """One row per contact of ``campaign_id`` with its group and one 0/1 column per product category bought in
    the response window."""
    out = campaign_outcomes(ws, campaign_id, rule="all")
    c = out[["campaign_id", "customer_id", "contact_ts", "window_days"]].copy()
    cats = _sql.run(ws, "contact_categories", frames={"_cat_contacts": c})
    wide = pd.crosstab([cats["campaign_id"], cats["customer_id"]], cats["category"]).clip(upper=1)
    wide.columns = [str(x) for x in wide.columns]
    res = out[["campaign_id", "customer_id", "group", "cell", "channel", "responded"]].merge(
        wide.reset_index(), on=["campaign_id", "customer_id"], how="left")
    for col in wide.columns:
        res[col] = res[col].fillna(0).astype(int)
    res.attrs["categories"] = list(wide.columns)
    return res


def category_lift(ws, campaign_id: str, alpha: float = 0.05, min_buyers: int = 5) -> pd.DataFrame:
    """Per product category: share of treated and control contacts who bought it in the window, lift (points),
    relative lift, interval, p-value and Holm-adjusted p-value; categories with fewer than ``min_buyers`` buyers
    are left out (nothing to learn from them). Sorted by lift."""
    co = category_outcomes(ws, campaign_id)
    cats = [c for c in co.attrs["categories"] if co[c].sum() >= min_buyers]
    if not cats:     # no category with enough buyers (or no categories at all): the same columns, no rows
        empty = pd.DataFrame(columns=["category", "n", "control_n", "value", "control_value", "abs_lift", "rel_lift",
                                      "ci_low", "ci_high", "p_value", "incremental", "p_adjusted", "buyers"])
        empty.attrs.update(min_buyers=min_buyers, contacts=len(co), categories=len(co.attrs["categories"]))
        return empty
    r = compare_groups(co, "group", cats, "control", alpha=alpha, groups=["treatment"],
                       kinds={c: "proportion" for c in cats})
    r = r.rename(columns={"outcome": "category"}).drop(columns=["group", "kind"])
    r["p_adjusted"] = holm_adjust(r["p_value"].to_numpy())
    r["buyers"] = [int(co[c].sum()) for c in r["category"]]
    r = r.sort_values("abs_lift", ascending=False, key=lambda s: s.fillna(-np.inf)).reset_index(drop=True)
    r.attrs.update(min_buyers=min_buyers, contacts=len(co), categories=len(co.attrs["categories"]))
    return r
