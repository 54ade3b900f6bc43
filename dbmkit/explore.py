"""Exploratory analysis (数据探索性分析): customers and revenue over time, churn, revenue decomposition (收益的分解).

Everything that grows with the number of orders runs in DuckDB (``dbmkit/sql``); what comes back is small
(one row per month, channel or category), so the rest is plain pandas.

* :func:`customers_over_time` — new, reactivated, newly inactive and newly long-inactive customers per month and the
  stocks of active / inactive / long-inactive customers at each month end (客户数量的变化; the activity status of
  docs/GLOSSARY.md, fixed windows — not the lifecycle stages of :mod:`dbmkit.segments`).
* :func:`churn_by_channel` — of the customers active a year ago, the share who did not buy again (客户流失率), per
  acquisition channel or another customer property.
* :func:`revenue_by_period`, :func:`revenue_bridge`, :func:`revenue_by` — revenue per period split into customers ×
  orders per customer × average order value, and per channel, category, product or segment.
* :func:`multichannel_spend` — multi-channel vs single-channel customers (多渠道营销).

The cohort heatmap's data comes from :func:`dbmkit.segments.cohort_retention`.

Example (``ws`` is a workspace, e.g. ``dbm.workspace("../clients/demo.yaml")``)::

    flows = customers_over_time(ws)          # new / reactivated / inactive / long inactive per month
    by_channel = churn_by_channel(ws)        # churn rate per acquisition channel
    revenue_by(ws, "category", period="year")
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import schema as _schema
from . import sql as _sql
from .datasets.truth import truth_people  # (lives in dbmkit.datasets.truth; re-exported as before)
from .i18n import add as _add_labels

__all__ = ["monthly_revenue", "customers_over_time", "customers_active", "churn_by_channel", "revenue_by_period",
           "revenue_bridge", "revenue_by", "multichannel_spend", "truth_people",
           "REVENUE_DIMENSIONS"]

_add_labels({
    "new_customers": ("New this month", "本月新增客户"), "reactivated": ("Reactivated", "重新激活"),
    "newly_inactive": ("Became inactive this month", "本月转为不活跃"),
    "newly_long_inactive": ("Became long inactive this month", "本月转为长期不活跃"),
    "inactive": ("Inactive", "不活跃客户"), "long_inactive": ("Long inactive", "长期不活跃客户"),
    "active_customers": ("Active", "活跃客户"),
    "churn_rate": ("Churn rate", "流失率"), "acquisition_channel": ("Acquisition channel", "获客渠道"),
    "web_search": ("Web search", "搜索引擎"), "social": ("Social media", "社交媒体"), "referral": ("Referral", "推荐"),
    "affiliate": ("Affiliate", "联盟营销"), "revenue_new": ("From new customers", "来自新客户"),
    "revenue_returning": ("From returning customers", "来自老客户"), "single_channel": ("Single-channel", "单渠道"),
    "multi_channel": ("Multi-channel", "多渠道"), "revenue_per_customer": ("Revenue per customer", "客均收入"),
    "orders_per_customer": ("Orders per customer", "客均订单"), "avg_order_value": ("Average order value", "客单价"),
})

# revenue_by(by=...): the dimension → (SQL expression, query) — order/customer dimensions run on orders,
# product dimensions on order lines
REVENUE_DIMENSIONS: dict[str, tuple[str, str]] = {
    "channel": ("o.channel", "revenue_by_order"),
    "store": ("o.store_id", "revenue_by_order"),
    "acquisition_channel": ("c.acquisition_channel", "revenue_by_order"),
    "city": ("c.city", "revenue_by_order"),
    "postal_code": ("c.postal_code", "revenue_by_order"),
    "gender": ("c.gender", "revenue_by_order"),
    "category": ("p.category", "revenue_by_product"),
    "subcategory": ("p.subcategory", "revenue_by_product"),
    "product": ("coalesce(p.name, l.product_id)", "revenue_by_product"),
    "segment": ("s.segment", "revenue_by_order"),
}
_PERIODS = ("day", "week", "month", "quarter", "year")


def _cfg_active_days(ws) -> int:
    return int(ws.cfg.analysis.active_days)


def monthly_revenue(ws, by: str | None = None) -> pd.DataFrame:
    """Net revenue, completed orders and buying customers per month, optionally per value of an ``orders`` column.

    Returns columns month, group, revenue, orders, customers; without ``by`` the group is 'all', and orders without
    a value of ``by`` (a sales file without a channel) are '(unknown)', so the groups add up to the total.
    """
    return _sql.run(ws, "monthly_revenue", by=by if by else _sql.Raw("'all'"))


def customers_over_time(ws, active_days: int | None = None, long_inactive_days: int | None = None) -> pd.DataFrame:
    """Customers over time (客户数量的变化): flows per month and stocks at each month end.

    The activity status of docs/GLOSSARY.md (fixed windows, the same for every customer): a customer is **active**
    (活跃客户) while the last completed purchase is at most ``active_days`` old (default: the config's
    ``analysis.active_days``), **inactive** (不活跃客户) up to ``long_inactive_days`` (default twice ``active_days``),
    **long inactive** (长期不活跃客户) after that. (The lifecycle stages of :func:`dbmkit.segments.lifecycle_stage`
    — new, active, at risk, lapsed, lost — judge each customer against their own rhythm instead.) Returns one row
    per month with the flows ``new_customers``, ``reactivated``, ``newly_inactive``, ``newly_long_inactive``, the
    stocks ``active``, ``inactive``, ``long_inactive`` (at month end, or at the analysis date for the last month),
    ``ever_bought`` and ``churn_rate`` (newly inactive / active at the start of the month).

    Stocks always add up: active + inactive + long_inactive = everybody who has bought so far.

    Example (``ws = dbm.workspace("../clients/demo.yaml")``)::

        flows = customers_over_time(ws, active_days=365)
        flows[["month", "new_customers", "newly_inactive", "active", "inactive", "long_inactive"]].tail()
    """
    a = int(active_days if active_days is not None else _cfg_active_days(ws))
    b = int(long_inactive_days if long_inactive_days is not None else 2 * a)
    if a < 1 or b <= a:
        raise ValueError(f"need 1 <= active_days < long_inactive_days, got active_days={a}, long_inactive_days={b}")
    df = _sql.run(ws, "customer_states", {"as_of": ws.as_of.date(), "active_days": a, "long_inactive_days": b})
    df["month"] = pd.to_datetime(df["month"])
    for c in ("new_customers", "reactivated", "newly_inactive", "newly_long_inactive", "active", "inactive",
              "long_inactive"):
        df[c] = df[c].astype("int64")
    df["ever_bought"] = df["active"] + df["inactive"] + df["long_inactive"]
    start_active = df["active"].shift(1)
    df["churn_rate"] = (df["newly_inactive"] / start_active.where(start_active > 0)).astype(float)
    return df


def customers_active(ws, active_days: int | None = None) -> int:
    """Customers with a completed purchase in the last ``active_days`` days (default from the config) at the
    analysis date — the key number ``customers_active``.

    Example::

        customers_active(ws)            # e.g. 12977 on the demo client
    """
    a = int(active_days if active_days is not None else _cfg_active_days(ws))
    q = """SELECT count(DISTINCT o.customer_id) AS n FROM orders o JOIN customers c USING (customer_id)
           WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= ? AND CAST(o.order_ts AS DATE) >= ?
             AND NOT coalesce(c.is_test, false)"""
    d = ws.as_of.date()
    return int(ws.sql(q, [d, d - pd.Timedelta(days=a)])["n"].iloc[0])


def churn_by_channel(ws, by: str = "acquisition_channel", period_days: int | None = 365,
                     active_days: int | None = None) -> pd.DataFrame:
    """Churn by group (客户流失率): of the customers who were active ``period_days`` before the analysis date, the
    share who did not buy again since then.

    ``by`` is a column of ``customers`` (``acquisition_channel``, ``gender``, ``city`` …) or ``first_channel`` (the
    sales channel of the first purchase). ``period_days=None`` takes a year when the history allows it, otherwise
    what the history allows (and a shorter activity window if needed). Returns group, active_at_start, retained,
    churned, churn_rate and ``index`` (churn rate / overall churn rate × 100), worst group first, plus a row
    ``(all)``; ``attrs`` hold the period_days and active_days used.

    Example::

        churn_by_channel(ws, by="acquisition_channel", period_days=365)[["group", "churn_rate", "index"]]
    """
    allowed = {c.name for c in _schema.TABLES["customers"]} | {"first_channel"}
    if by not in allowed:
        raise ValueError(f"churn_by_channel(by={by!r}): use a column of customers or 'first_channel', e.g. "
                         f"'acquisition_channel'")
    a = int(active_days if active_days is not None else _cfg_active_days(ws))
    if period_days is None:
        first = ws.sql("SELECT min(CAST(order_ts AS DATE)) AS d FROM orders WHERE status = 'completed'")["d"].iloc[0]
        if pd.isna(first):
            raise ValueError("no completed purchases: churn needs purchase history")
        hist = (ws.as_of - pd.Timestamp(first)).days
        period_days = 365 if hist >= 365 + a else max(hist - a, hist // 2, 1)
        a = min(a, max(hist - period_days, 1))
    start = (ws.as_of - pd.Timedelta(days=int(period_days))).date()
    col = _sql.Raw("p.first_channel") if by == "first_channel" else _sql.Raw(f'c."{by}"')
    df = _sql.run(ws, "churn_by_group", {"as_of": ws.as_of.date(), "start": start, "active_days": a}, by=col)
    if df.empty:
        raise ValueError(f"no customers were active on {start} (a completed purchase in the {a} days before it): "
                         f"the history is too short for period_days={period_days}; choose a shorter period "
                         "(or period_days=None)")
    tot = pd.DataFrame([{"group": "(all)", "active_at_start": df["active_at_start"].sum(),
                         "retained": df["retained"].sum(), "churned": df["churned"].sum()}])
    tot["churn_rate"] = tot["churned"] / tot["active_at_start"]
    out = pd.concat([df, tot], ignore_index=True)
    out["churn_rate"] = out["churn_rate"].astype(float)
    out["index"] = 100 * out["churn_rate"] / float(tot["churn_rate"].iloc[0])
    for c in ("active_at_start", "retained", "churned"):
        out[c] = out[c].astype("int64")
    out.attrs.update(period_days=int(period_days), active_days=int(a))
    return out


def revenue_by_period(ws, period: str = "month") -> pd.DataFrame:
    """Revenue per period split into its drivers (收益的分解): revenue = customers × orders per customer × average
    order value.

    Returns period, customers (buying), orders, revenue, margin, new_customers, revenue_new, revenue_returning,
    orders_per_customer, avg_order_value, revenue_per_customer and ``complete`` (False for a period cut by the
    start of the history or by the analysis date — do not compare those with full periods). Revenue is net of
    discounts and returns.

    Example::

        p = revenue_by_period(ws, "year")
        revenue_bridge(p)               # why revenue changed between complete years
    """
    if period not in _PERIODS:
        raise ValueError(f"period must be one of {_PERIODS}, not {period!r}")
    df = _sql.run(ws, "revenue_by_period", {"as_of": ws.as_of.date()}, period=_sql.Raw(f"'{period}'"))
    df["period"] = pd.to_datetime(df["period"])
    df["orders_per_customer"] = df["orders"] / df["customers"].where(df["customers"] > 0)
    df["avg_order_value"] = df["revenue"] / df["orders"].where(df["orders"] > 0)
    df["revenue_per_customer"] = df["revenue"] / df["customers"].where(df["customers"] > 0)
    first = pd.Timestamp(ws.sql("SELECT min(order_ts) AS t FROM orders")["t"].iloc[0]).normalize()
    offset = {"day": pd.DateOffset(days=1), "week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1),
              "quarter": pd.DateOffset(months=3), "year": pd.DateOffset(years=1)}[period]
    ends = df["period"] + offset - pd.Timedelta(days=1)
    df["complete"] = (df["period"] >= first) & (ends <= ws.as_of)
    return df


def revenue_bridge(by_period: pd.DataFrame, complete_only: bool = True) -> pd.DataFrame:
    """Why revenue changed from one period to the next: the change split into the effect of more (or fewer)
    buying customers, more orders per customer and a higher average order value.

    Uses the log decomposition Δln R = Δln C + Δln F + Δln AOV, so the three effects add up to the change exactly.
    Takes the output of :func:`revenue_by_period`; periods flagged ``complete == False`` (cut by the start of the
    history or the analysis date) are left out unless ``complete_only=False``.

    >>> t = pd.DataFrame({"period": [1, 2], "customers": [100, 110], "orders": [150, 176], "revenue": [7500.0, 8800.0]})
    >>> b = revenue_bridge(t)
    >>> round(float(b[["customers_effect", "frequency_effect", "order_value_effect"]].sum(axis=1).iloc[0]), 6)
    1300.0
    """
    need = {"period", "customers", "orders", "revenue"}
    if not need <= set(by_period.columns):
        raise KeyError(f"revenue_bridge needs columns {sorted(need)}; pass the output of revenue_by_period")
    d = by_period
    if complete_only and "complete" in d.columns:
        d = d[d["complete"].astype(bool)]
    d = d.sort_values("period").reset_index(drop=True)
    c, o, r = (d[k].astype(float).to_numpy() for k in ("customers", "orders", "revenue"))
    with np.errstate(divide="ignore", invalid="ignore"):
        lc, lf, la = np.log(c), np.log(o / c), np.log(r / o)
    rows = []
    for i in range(1, len(d)):
        dr = r[i] - r[i - 1]
        parts = np.array([lc[i] - lc[i - 1], lf[i] - lf[i - 1], la[i] - la[i - 1]])
        total = parts.sum()
        if not np.isfinite(total) or abs(total) < 1e-12:
            shares = np.full(3, np.nan) if dr else np.zeros(3)
        else:
            shares = parts / total
        rows.append({"period": d["period"].iloc[i], "previous": d["period"].iloc[i - 1], "revenue_before": r[i - 1],
                     "revenue": r[i], "change": dr, "customers_effect": dr * shares[0],
                     "frequency_effect": dr * shares[1], "order_value_effect": dr * shares[2]})
    return pd.DataFrame(rows)


def revenue_by(ws, by: str = "channel", period: str | None = None, segments: pd.DataFrame | None = None,
               segment_col: str = "segment", since=None) -> pd.DataFrame:
    """Revenue decomposition (收益的分解) by channel, store, acquisition channel, city, category, subcategory,
    product or customer segment; per period when ``period`` is given ('month', 'quarter', 'year').

    For ``by="segment"`` pass ``segments``: a customer-level DataFrame with ``customer_id`` and ``segment_col``
    (e.g. ``ws.table("segments")`` with ``segment_col="lifecycle_stage"``). Returns period, group, revenue, margin,
    orders, customers, revenue_share (within the period), margin_rate and revenue_per_customer.

    Example::

        revenue_by(ws, "category")                          # per product category, all history
        revenue_by(ws, "channel", period="quarter")         # per sales channel and quarter
        stages = dbm.segments.lifecycle_stage(ws.table("customer_summary"))
        revenue_by(ws, "segment", segments=stages, segment_col="lifecycle_stage")
    """
    if by not in REVENUE_DIMENSIONS:
        raise ValueError(f"revenue_by(by={by!r}): choose one of {sorted(REVENUE_DIMENSIONS)}")
    if period is not None and period not in _PERIODS:
        raise ValueError(f"period must be None or one of {_PERIODS}, not {period!r}")
    expr, query = REVENUE_DIMENSIONS[by]
    alias = "l" if query == "revenue_by_product" else "o"
    period_expr = f"CAST(date_trunc('{period}', {alias}.order_ts) AS DATE)" if period else "CAST(NULL AS DATE)"
    start = pd.Timestamp(since).date() if since is not None else pd.Timestamp("1900-01-01").date()
    params = {"as_of": ws.as_of.date(), "start": start}
    idents = dict(dim=_sql.Raw(expr), period_expr=_sql.Raw(period_expr))
    if query == "revenue_by_order":
        idents["segment_join"] = _sql.Raw("")
    if by == "segment":
        if segments is None or "customer_id" not in segments.columns or segment_col not in segments.columns:
            raise ValueError("revenue_by(by='segment') needs "
                             f"segments=<DataFrame with customer_id and {segment_col!r}>, "
                             "e.g. ws.table('segments') with segment_col='lifecycle_stage'")
        seg = segments[["customer_id", segment_col]].rename(columns={segment_col: "segment"})
        seg = seg.drop_duplicates("customer_id").astype({"customer_id": str})
        idents["segment_join"] = _sql.Raw("LEFT JOIN _segments s USING (customer_id)")
        df = _sql.run(ws, query, params, frames={"_segments": seg}, **idents)     # on the workspace's engine
    else:
        df = _sql.run(ws, query, params, **idents)
    if period is None:
        df = df.drop(columns="period")
        keys: list[str] = []
    else:
        df["period"] = pd.to_datetime(df["period"])
        keys = ["period"]
    tot = df.groupby(keys)["revenue"].transform("sum") if keys else df["revenue"].sum()
    df["revenue_share"] = (df["revenue"] / tot).astype(float)
    df["margin_rate"] = (df["margin"] / df["revenue"].where(df["revenue"] != 0)).astype(float)
    df["revenue_per_customer"] = (df["revenue"] / df["customers"].where(df["customers"] > 0)).astype(float)
    return df.sort_values(keys + ["revenue"], ascending=[True] * len(keys) + [False]).reset_index(drop=True)


def multichannel_spend(summary: pd.DataFrame) -> pd.DataFrame:
    """Multi-channel vs single-channel customers (多渠道营销): customers, share, mean revenue, orders, margin,
    revenue per order and revenue in the last 12 months, by number of sales channels used.

    ``summary`` is the ``customer_summary`` table (``ws.table("customer_summary")``). Multi-channel customers buy
    more often, but part of that is selection: the more often someone buys, the more chances to try a second
    channel — compare revenue per order as well as revenue per customer.

    >>> s = pd.DataFrame({"channels_used": [1, 1, 2], "monetary_total": [100.0, 50.0, 400.0], "n_orders": [2, 1, 4],
    ...                   "margin_total": [40.0, 20.0, 160.0], "revenue_12m": [10.0, 0.0, 90.0]})
    >>> multichannel_spend(s)[["channels", "customers", "revenue_per_customer"]].values.tolist()
    [['1', 2, 75.0], ['2', 1, 400.0], ['single', 2, 75.0], ['multi', 1, 400.0]]
    """
    need = {"channels_used", "monetary_total", "n_orders", "margin_total", "revenue_12m"}
    if not need <= set(summary.columns):
        raise KeyError(f"multichannel_spend needs the customer_summary columns {sorted(need - set(summary.columns))}")
    s = summary[summary["channels_used"].fillna(0) > 0]
    n_all = len(s)

    def agg(g: pd.DataFrame, label: str) -> dict:
        return {"channels": label, "customers": len(g), "share": len(g) / n_all if n_all else np.nan,
                "revenue_per_customer": g["monetary_total"].mean(), "orders_per_customer": g["n_orders"].mean(),
                "margin_per_customer": g["margin_total"].mean(),
                "revenue_per_order": g["monetary_total"].sum() / max(g["n_orders"].sum(), 1),
                "revenue_12m_per_customer": g["revenue_12m"].mean()}
    rows = [agg(g, str(int(k))) for k, g in s.groupby("channels_used")]
    rows.append(agg(s[s["channels_used"] == 1], "single"))
    rows.append(agg(s[s["channels_used"] > 1], "multi"))
    return pd.DataFrame(rows)


