"""Customer description and defector profiling (顾客描述 · 流失客户画像): what marks the best customers and those who
left, attribute by attribute, as an index vs the whole base.

* :func:`profile_groups` — each buying customer in one of three groups: **top value** (the top ``top_share`` of
  current customers by spend to date), **other current** customers and **defectors** — the customers in the last
  lifecycle stage of :func:`dbmkit.segments.lifecycle_stage` (lost: no purchase for more than the config's
  ``analysis.active_days``; the one definition of the glossary, taken from the function, not re-typed here).
* :func:`customer_attributes` — the attributes to compare (first-order channel and value, discount use, main
  channel, main category, number of categories, city, acquisition channel, tenure band), from
  ``sql/profile_attributes.sql``.
* :func:`index_table` — for one attribute: each group's share of customers with each value, the share in the whole
  base, the index (share in group ÷ share overall × 100) and a 95 % interval of the index (Wilson interval of the
  group's share; the base share is treated as known).

Example
-------
>>> d = pd.DataFrame({"group": ["top", "top", "top", "top", "lost", "lost", "lost", "lost"],
...                   "channel": ["web", "web", "web", "store", "store", "store", "store", "web"]})
>>> t = index_table(d, "channel")
>>> t.loc[(t["group"] == "top") & (t["value"] == "web"), ["share", "base_share", "index"]].round(2).values.tolist()
[[0.75, 0.5, 150.0]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import sql as _sql
from .i18n import add as _add_labels
from .segments import LIFECYCLE_STAGES, lifecycle_stage

__all__ = ["PROFILE_GROUPS", "profile_groups", "customer_attributes", "index_table", "profile_summary",
           "distinctive_traits", "ATTRIBUTES"]

# the three groups compared, in display order (keys; labels through dbmkit.i18n)
PROFILE_GROUPS = ["top_value", "other_current", "defector"]

# attribute → what it is (English, 中文); binned numeric attributes are made by customer_attributes
ATTRIBUTES: dict[str, tuple[str, str]] = {
    "first_channel": ("Channel of the first order", "首单渠道"),
    "first_order_band": ("Value of the first order (quartile)", "首单金额（四分位）"),
    "first_order_discounted": ("First order with a discount", "首单使用折扣"),
    "main_channel": ("Main channel (most revenue)", "主要渠道（消费最多）"),
    "top_category": ("Main category (most spend)", "主要品类（消费最多）"),
    "category_breadth": ("Categories bought", "购买品类数"),
    "discount_band": ("Discount share of spend", "折扣占消费比例"),
    "city": ("City", "城市"),
    "acquisition_channel": ("Acquisition channel", "获客渠道"),
    "tenure_band": ("Years since first purchase", "首购至今年数"),
}

_add_labels({"top_value": ("Top value", "高价值客户"), "other_current": ("Other current", "其他现有客户"),
             "defector": ("Defectors (lost)", "流失客户"), "index_vs_base": ("Index vs base (100 = base)",
                                                                           "相对全体的指数（全体=100）"),
             **ATTRIBUTES})

UNKNOWN = "(unknown)"


def profile_groups(summary: pd.DataFrame, top_share: float = 0.10, lost_days: int = 365, **stage_kw) -> pd.DataFrame:
    """The group of each customer of ``summary`` (the ``customer_summary`` table): customer_id, lifecycle_stage,
    group (one of :data:`PROFILE_GROUPS`).

    Defectors are the customers in the last stage of :data:`dbmkit.segments.LIFECYCLE_STAGES` as
    :func:`dbmkit.segments.lifecycle_stage` assigns it (``lost_days`` and ``stage_kw`` are its knobs); the top value
    group is the ``top_share`` of the *other* customers with the highest ``monetary_total``.

    >>> s = pd.DataFrame({"customer_id": list("abcd"), "frequency": [5, 4, 0, 3], "recency": [200, 300, 0, 90],
    ...                   "T": [230, 700, 30, 800], "days_since_last": [30, 20, 30, 710],
    ...                   "monetary_total": [900.0, 50.0, 20.0, 400.0]})
    >>> profile_groups(s, top_share=0.3)["group"].tolist()
    ['top_value', 'other_current', 'other_current', 'defector']
    """
    if not 0 < top_share < 1:
        raise ValueError(f"top_share must be between 0 and 1 (e.g. 0.1 for the top 10 %), not {top_share}")
    if "monetary_total" not in summary.columns:
        raise KeyError("profile_groups needs the customer_summary column monetary_total (ws.table('customer_summary'))")
    life = lifecycle_stage(summary, lost_days=lost_days, **stage_kw)
    lost = LIFECYCLE_STAGES[-1]
    stage = life["lifecycle_stage"].astype(str).to_numpy()
    spend = summary["monetary_total"].astype(float).to_numpy()
    current = stage != lost
    group = np.where(current, "other_current", "defector").astype(object)
    n_top = int(np.ceil(top_share * current.sum())) if current.any() else 0
    if n_top:
        idx = np.flatnonzero(current)
        top = idx[np.argsort(-spend[idx], kind="stable")[:n_top]]
        group[top] = "top_value"
    return pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(), "lifecycle_stage": stage,
                         "group": pd.Categorical(group, categories=PROFILE_GROUPS)})


def _quartile_labels(x: pd.Series, prefix: str = "Q") -> pd.Series:
    """Quartile labels Q1 (lowest) … Q4 of ``x``; fewer bands when values repeat; missing → UNKNOWN."""
    v = x.astype(float)
    out = pd.Series(UNKNOWN, index=x.index, dtype=object)
    ok = v.notna()
    if ok.sum() >= 4:
        q = pd.qcut(v[ok].rank(method="first"), 4, labels=[f"{prefix}{i}" for i in range(1, 5)])
        out[ok] = q.astype(str)
    return out


def customer_attributes(ws, as_of=None) -> pd.DataFrame:
    """The attributes of :data:`ATTRIBUTES` for every customer who bought up to ``as_of`` (default: the analysis
    date), as text values (missing → "(unknown)"), from ``sql/profile_attributes.sql``."""
    as_of = pd.Timestamp(as_of if as_of is not None else ws.as_of)
    a = _sql.run(ws, "profile_attributes", {"as_of": as_of.date()})
    out = pd.DataFrame({"customer_id": a["customer_id"].astype(str)})
    for c in ("first_channel", "main_channel", "top_category", "city", "acquisition_channel"):
        out[c] = a[c].astype(object).where(a[c].notna(), UNKNOWN).astype(str)
    out["first_order_band"] = _quartile_labels(a["first_order_value"])
    out["first_order_discounted"] = np.where(a["first_order_discounted"].fillna(False).astype(bool), "yes", "no")
    cats = a["n_categories"].fillna(0).astype(int)
    out["category_breadth"] = np.select([cats == 0, cats == 1, cats <= 3], [UNKNOWN, "1", "2–3"], default="4+")
    ds = a["discount_share"].astype(float).fillna(0.0)
    out["discount_band"] = np.select([ds <= 0, ds < 0.10, ds < 0.25], ["none", "<10%", "10–25%"], default="25%+")
    years = (as_of - pd.to_datetime(a["first_purchase"])).dt.days / 365.25
    out["tenure_band"] = np.select([years < 1, years < 2, years < 3], ["<1", "1–2", "2–3"], default="3+")
    return out


def index_table(df: pd.DataFrame, attribute: str, group: str = "group", alpha: float = 0.05,
                min_base: int = 1) -> pd.DataFrame:
    """Index vs base of one attribute: for every group × value the customers, the group's share with that value
    (``share``), the share in the whole of ``df`` (``base_share``), ``index`` = share ÷ base_share × 100 and its
    interval (``index_low``, ``index_high``: the Wilson interval of the share ÷ base share × 100). Values held by
    fewer than ``min_base`` customers overall are left out.

    An index of 150 means the value is 1.5 times as common in the group as in the base; an interval that
    includes 100 means the data cannot tell the group from the base on this value.
    """
    from .evaluate.stats import wilson_interval  # the one Wilson interval; deferred: it loads scipy.stats
    for c in (attribute, group):
        if c not in df.columns:
            raise KeyError(f"index_table: no column {c!r}; have {list(df.columns)}")
    d = df[[group, attribute]].astype({attribute: str})
    base = d[attribute].value_counts()
    base = base[base >= min_base]
    n_all = float(len(d))
    counts = d.groupby([group, attribute], observed=True).size().rename("customers").reset_index()
    sizes = d.groupby(group, observed=True).size()
    groups = [g for g in (d[group].cat.categories if hasattr(d[group], "cat") else sorted(d[group].unique()))
              if g in sizes.index and sizes[g] > 0]
    grid = pd.MultiIndex.from_product([groups, base.index], names=[group, attribute]).to_frame(index=False)
    t = grid.merge(counts, on=[group, attribute], how="left").fillna({"customers": 0})
    t["customers"] = t["customers"].astype(int)
    t["group_size"] = t[group].map(sizes).astype(int)
    t["share"] = t["customers"] / t["group_size"]
    t["base_share"] = t[attribute].map(base).astype(float) / n_all
    lo, hi = wilson_interval(t["customers"].to_numpy(), t["group_size"].to_numpy(), alpha)
    t["index"] = 100 * t["share"] / t["base_share"]
    t["index_low"] = 100 * np.asarray(lo) / t["base_share"]
    t["index_high"] = 100 * np.asarray(hi) / t["base_share"]
    t = t.rename(columns={group: "group", attribute: "value"})
    t.insert(1, "attribute", attribute)
    return t[["group", "attribute", "value", "customers", "group_size", "share", "base_share", "index", "index_low",
              "index_high"]]


def profile_summary(groups: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per group: customers, share of customers, share of revenue to date, mean orders, mean spend, mean
    days since the last purchase — the numbers that size each group before its profile is read."""
    d = groups[["customer_id", "group"]].merge(
        summary[["customer_id", "n_orders", "monetary_total", "days_since_last"]], on="customer_id")
    g = d.groupby("group", observed=True)
    out = pd.DataFrame({"customers": g.size(), "mean_orders": g["n_orders"].mean(),
                        "mean_spend": g["monetary_total"].mean(), "mean_days_since_last": g["days_since_last"].mean()})
    out.insert(1, "customer_share", out["customers"] / out["customers"].sum())
    out.insert(2, "revenue_share", g["monetary_total"].sum() / d["monetary_total"].sum())
    return out.reset_index()


def distinctive_traits(groups: pd.DataFrame, attributes: pd.DataFrame, group: str, n: int = 8,
                       min_customers: int = 20, attributes_used: list[str] | None = None) -> pd.DataFrame:
    """The values that most mark ``group`` (highest index whose interval lies above 100 and held by at least
    ``min_customers`` of the group), over every attribute: the customer description (顾客描述) in one table."""
    d = groups[["customer_id", "group"]].merge(attributes, on="customer_id")
    cols = attributes_used or [c for c in ATTRIBUTES if c in d.columns]
    tabs = [index_table(d, c) for c in cols if d[c].nunique() > 1]
    if not tabs:
        return pd.DataFrame(columns=["group", "attribute", "value", "customers", "share", "base_share", "index",
                                     "index_low", "index_high"])
    t = pd.concat(tabs, ignore_index=True)
    t = t[(t["group"] == group) & (t["customers"] >= min_customers) & (t["index_low"] > 100)
          & (t["value"] != UNKNOWN)]
    return t.sort_values("index", ascending=False).head(n).drop(columns="group_size").reset_index(drop=True)
