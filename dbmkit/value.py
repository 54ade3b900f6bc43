"""Customer value: deciles, the 80/20 rule, Lorenz and Gini, the customer pyramid and profitability.

* **Monetary decile analysis** (货币十分位分析) — :func:`decile_table`: split the customers into 10 equal groups by
  value and show each group's share of sales and profit.
* **Purchase decile analysis** (选购十分位分析) — :func:`purchase_deciles`: split total sales (or profit) into 10
  equal parts and count the customers who make each part (the first 10 % of sales often comes from ~1 % of them).
* **Pareto / 80-20** (帕累托定律) — :func:`pareto`, :func:`share_of_customers_for`; **Lorenz curve and Gini**
  — :func:`lorenz`, :func:`gini`.
* **ABC classes / customer pyramid** (顾客金字塔) — :func:`abc_classes`: A = VIP, B = major, C = ordinary, D = small.
* **Profitability** (收益分析) — :func:`profitability`: contribution after discounts, returns, product and
  contact costs; price-only buyers vs relationship customers by discount share; unprofitable customers; the
  cumulative-contribution ("whale") curve; and the **three most profitable groups** of the seeds
  (:func:`profitable_groups`).

Everything that reads transactions runs in DuckDB (``dbmkit/sql/customer_profitability.sql``); the functions here
work on customer-level tables (one row per customer), such as the ``customer_summary`` table.

Example
-------
>>> s = pd.DataFrame({"customer_id": list("abcdefghij"),
...                   "monetary_total": [500.0, 200, 100, 80, 50, 30, 20, 10, 5, 5]})
>>> round(gini(s["monetary_total"]), 3)
0.647
>>> decile_table(s, value="monetary_total", profit=None)["value_share"].round(2).tolist()[:3]
[0.5, 0.2, 0.1]
>>> purchase_deciles(s, value="monetary_total")["customers"].tolist()[:5]
[1, 0, 0, 0, 0]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import sql as _sql

__all__ = ["decile_table", "purchase_deciles", "pareto", "share_of_customers_for", "lorenz", "gini",
           "abc_classes", "abc_table", "ABC_NAMES", "customer_profitability", "profitability",
           "profitability_summary", "whale_curve", "profitable_groups", "profitable_groups_table"]

ABC_NAMES = {"A": ("VIP", "VIP顾客"), "B": ("Major", "主要顾客"),
             "C": ("Ordinary", "普通顾客"), "D": ("Small", "小顾客")}


def _values(df: pd.DataFrame, col: str, what: str) -> np.ndarray:
    if col not in df.columns:
        raise KeyError(f"{what} needs the value column {col!r}; the table has {list(df.columns)}")
    return df[col].astype(float).fillna(0.0).to_numpy()


def _ranked(df: pd.DataFrame, value: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Order of customers from the most to the least valuable (ties broken by customer_id, for repeatability)."""
    v = _values(df, value, what)
    tie = df["customer_id"].astype(str).to_numpy() if "customer_id" in df.columns else np.arange(len(df))
    order = np.lexsort((tie, -v))
    return v, order


# ------------------------------------------------------------------------------------------------ deciles
def decile_table(summary: pd.DataFrame, value: str = "monetary_total", profit: str | None = "margin_total",
                 n: int = 10) -> pd.DataFrame:
    """Monetary decile analysis (货币十分位): customers sorted by ``value`` and cut into ``n`` equal groups
    (decile 1 = the top 10 %); each group's customers, value, share of total value and cumulative share, mean and
    range of value, and — with ``profit`` — its profit and share of total profit.

    >>> s = pd.DataFrame({"customer_id": list("abcd"), "monetary_total": [40.0, 30, 20, 10],
    ...                   "margin_total": [10.0, 8, 2, -1]})
    >>> d = decile_table(s, n=2)
    >>> d["customers"].tolist(), d["value_share"].round(2).tolist(), d["profit_share"].round(3).tolist()
    ([2, 2], [0.7, 0.3], [0.947, 0.053])
    """
    if not 2 <= n <= 100:
        raise ValueError(f"n (number of groups) must be between 2 and 100, not {n}")
    v, order = _ranked(summary, value, "decile_table")
    if len(v) < n:
        raise ValueError(f"decile_table needs at least {n} customers, has {len(v)}")
    group = np.empty(len(v), np.int64)
    group[order] = np.arange(len(v)) * n // len(v) + 1
    df = pd.DataFrame({"decile": group, "value": v})
    if profit:
        df["profit"] = _values(summary, profit, "decile_table")
    g = df.groupby("decile")
    out = pd.DataFrame({"customers": g.size(), "value": g["value"].sum(), "mean_value": g["value"].mean(),
                        "min_value": g["value"].min(), "max_value": g["value"].max()})
    total = out["value"].sum()
    out["value_share"] = out["value"] / total
    out["cum_value_share"] = out["value_share"].cumsum()
    out["cum_customer_share"] = out["customers"].cumsum() / out["customers"].sum()
    if profit:
        out["profit"] = g["profit"].sum()
        out["profit_share"] = out["profit"] / out["profit"].sum()
        out["cum_profit_share"] = out["profit_share"].cumsum()
    return out.reset_index()


def purchase_deciles(summary: pd.DataFrame, value: str = "monetary_total", n: int = 10) -> pd.DataFrame:
    """Purchase decile analysis (选购十分位): the total of ``value`` cut into ``n`` equal parts, starting with the
    best customers; for each part, the number of customers who make it, their share of all customers and the
    cumulative numbers. A customer belongs to the part in which their first dollar falls (customers with no
    positive value are left out).

    >>> s = pd.DataFrame({"customer_id": list("abcdef"), "monetary_total": [50.0, 20, 10, 10, 5, 5]})
    >>> purchase_deciles(s, n=5)[["part", "customers", "cum_customers"]].values.tolist()
    [[1, 1, 1], [2, 0, 1], [3, 1, 2], [4, 1, 3], [5, 3, 6]]
    """
    v, order = _ranked(summary, value, "purchase_deciles")
    pos = v[order] > 0
    sv = v[order][pos]
    total = sv.sum()
    if total <= 0:
        raise ValueError(f"purchase_deciles: no customer has a positive {value}")
    before = np.concatenate([[0.0], np.cumsum(sv)[:-1]]) / total
    part = np.minimum((before * n + 1e-12).astype(np.int64) + 1, n)
    counts = np.bincount(part, minlength=n + 1)[1:]
    vals = np.bincount(part, weights=sv, minlength=n + 1)[1:]
    out = pd.DataFrame({"part": np.arange(1, n + 1), "from_share": np.arange(n) / n,
                        "to_share": np.arange(1, n + 1) / n, "customers": counts, "value": vals})
    out["share_customers"] = out["customers"] / len(v)
    out["cum_customers"] = out["customers"].cumsum()
    out["cum_share_customers"] = out["cum_customers"] / len(v)
    return out


# ------------------------------------------------------------------------------------------------ Pareto, Lorenz, Gini
def pareto(summary: pd.DataFrame, value: str = "monetary_total",
           top_shares=(0.01, 0.05, 0.10, 0.20, 0.50)) -> pd.DataFrame:
    """The 80/20 rule (帕累托定律): the share of total value made by the top 1 %, 5 %, 10 %, 20 %, 50 % of customers.

    >>> s = pd.DataFrame({"customer_id": list("abcde"), "monetary_total": [80.0, 10, 5, 3, 2]})
    >>> pareto(s, top_shares=(0.2,))["value_share"].tolist()
    [0.8]
    """
    v, order = _ranked(summary, value, "pareto")
    cum = np.cumsum(np.clip(v[order], 0, None))
    total = cum[-1] if len(cum) else 0.0
    rows = []
    for s in top_shares:
        k = int(round(s * len(v)))
        share = (cum[k - 1] / total) if k > 0 and total > 0 else 0.0
        rows.append({"top_share": s, "customers": k, "value_share": share})
    return pd.DataFrame(rows)


def share_of_customers_for(summary: pd.DataFrame, value: str = "monetary_total", value_share: float = 0.8) -> float:
    """The smallest share of customers (best first) who together make ``value_share`` of the total (e.g. 0.8).

    >>> s = pd.DataFrame({"customer_id": list("abcde"), "monetary_total": [80.0, 10, 5, 3, 2]})
    >>> share_of_customers_for(s, value_share=0.8)
    0.2
    """
    v, order = _ranked(summary, value, "share_of_customers_for")
    cum = np.cumsum(np.clip(v[order], 0, None))
    if not len(cum) or cum[-1] <= 0:
        return float("nan")
    k = int(np.searchsorted(cum / cum[-1], value_share - 1e-12)) + 1
    return k / len(v)


def gini(values) -> float:
    """Gini coefficient of customer value (0 = everyone worth the same, → 1 = one customer has it all).
    Negative values (net losses) count as zero.

    >>> gini([1, 1, 1, 1]), round(gini([0, 0, 0, 10]), 2)
    (0.0, 0.75)
    """
    x = np.sort(np.clip(np.asarray(values, float), 0, None))
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * x) / (n * x.sum()) - (n + 1) / n)


def lorenz(summary: pd.DataFrame, value: str = "monetary_total", points: int = 201) -> pd.DataFrame:
    """The Lorenz curve: cumulative share of value held by the poorest x % of customers (``points`` points from 0
    to 1, enough for a chart). The Gini coefficient is twice the area between it and the diagonal."""
    v = np.sort(np.clip(_values(summary, value, "lorenz"), 0, None))
    n = len(v)
    cum = np.concatenate([[0.0], np.cumsum(v)])
    cum = cum / cum[-1] if cum[-1] > 0 else cum
    xs = np.linspace(0, 1, points)
    return pd.DataFrame({"cum_share_customers": xs, "cum_share_value": np.interp(xs * n, np.arange(n + 1), cum)})


# ------------------------------------------------------------------------------------------------ ABC / pyramid
def abc_classes(summary: pd.DataFrame, value: str = "margin_total", cuts=(0.5, 0.8, 0.95),
                by: str = "value") -> pd.DataFrame:
    """ABC classes (顾客金字塔): A = VIP, B = major, C = ordinary, D = small customers.

    ``by="value"`` (the ABC method): customers sorted by ``value``; those making the first 50 % of the total are A,
    up to 80 % B, up to 95 % C, the rest D (``cuts`` are cumulative value shares). ``by="customers"`` (the classic
    pyramid): the top ``cuts`` shares of customers, e.g. (0.01, 0.05, 0.20) → top 1 % A, next 4 % B, next 15 % C,
    the other 80 % D. Customers with no positive value are always D.

    Returns customer_id, value, abc_class, abc_name (VIP / Major / Ordinary / Small) and abc_name_zh.

    >>> s = pd.DataFrame({"customer_id": list("abcde"), "margin_total": [60.0, 25.0, 10.0, 5.0, -3.0]})
    >>> abc_classes(s)["abc_class"].tolist()
    ['A', 'B', 'C', 'D', 'D']
    """
    if by not in ("value", "customers"):
        raise ValueError("by must be 'value' (cumulative value shares) or 'customers' (shares of customers), "
                         f"not {by!r}")
    c = np.asarray(cuts, float)
    if len(c) != 3 or not (np.all(np.diff(c) > 0) and c[0] > 0 and c[-1] < 1):
        raise ValueError(f"cuts are three increasing shares between 0 and 1, e.g. (0.5, 0.8, 0.95); got {cuts!r}")
    v, order = _ranked(summary, value, "abc_classes")
    n = len(v)
    if by == "value":
        pos = np.clip(v[order], 0, None)
        total = pos.sum()
        position = (np.concatenate([[0.0], np.cumsum(pos)[:-1]]) / total) if total > 0 else np.ones(n)
    else:
        position = np.arange(n) / max(n, 1)
    cls_sorted = np.select([position < c[0], position < c[1], position < c[2]], ["A", "B", "C"], default="D")
    cls = np.empty(n, dtype=object)
    cls[order] = cls_sorted
    cls[v <= 0] = "D"
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy() if "customer_id" in summary else np.arange(n),
                        "value": v, "abc_class": cls})
    out["abc_name"] = out["abc_class"].map({k: e for k, (e, _) in ABC_NAMES.items()})
    out["abc_name_zh"] = out["abc_class"].map({k: z for k, (_, z) in ABC_NAMES.items()})
    return out


def abc_table(classes: pd.DataFrame) -> pd.DataFrame:
    """Customers and value per ABC class (the pyramid's layers, A on top)."""
    g = classes.groupby("abc_class")
    out = pd.DataFrame({"customers": g.size(), "value": g["value"].sum(), "mean_value": g["value"].mean()})
    out = out.reindex(["A", "B", "C", "D"]).fillna(0)
    out["customers"] = out["customers"].astype(int)
    out["share_customers"] = out["customers"] / out["customers"].sum()
    out["share_value"] = out["value"] / out["value"].sum()
    out.insert(0, "name", [ABC_NAMES[k][0] for k in out.index])
    out.insert(1, "name_zh", [ABC_NAMES[k][1] for k in out.index])
    return out.reset_index()


# ------------------------------------------------------------------------------------------------ profitability
def customer_profitability(ws) -> pd.DataFrame:
    """Per customer who bought (DuckDB, as of the analysis date): gross revenue, discounts, returns, net revenue,
    product cost, gross margin, marketing contacts and their cost, acquisition cost, discount share, and revenue
    and margin in the last 12 months and the 12 months before."""
    return _sql.run(ws, "customer_profitability", {"as_of": ws.as_of.date()})


def profitability(data, price_only_share: float = 0.15, cost_per_return: float = 0.0,
                  include_acquisition: bool = False) -> pd.DataFrame:
    """Contribution per customer (收益分析) and the seeds' two kinds of customers.

    ``data`` is a Workspace (the table comes from :func:`customer_profitability`) or that table.
    contribution = net revenue (after discounts and returns) − product cost − contact cost − ``cost_per_return`` ×
    returns (− acquisition cost with ``include_acquisition``). ``price_only`` marks price-only buyers (只看价格的
    顾客): a discount share of gross revenue of at least ``price_only_share``; the others are relationship
    customers (关系顾客). ``unprofitable`` marks customers whose contribution is negative.

    >>> t = pd.DataFrame({"customer_id": ["a", "b"], "net_revenue": [300.0, 90.0], "product_cost": [180.0, 80.0],
    ...                   "contact_cost": [2.0, 12.0], "n_returns": [0, 1], "acquisition_cost": [10.0, 10.0],
    ...                   "discount_share": [0.02, 0.30]})
    >>> profitability(t, cost_per_return=5.0)[["contribution", "price_only", "unprofitable"]].values.tolist()
    [[118.0, False, False], [-7.0, True, True]]
    """
    df = customer_profitability(data) if hasattr(data, "cfg") else data.copy()
    need = ["customer_id", "net_revenue", "product_cost", "contact_cost", "n_returns", "discount_share"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise KeyError(f"profitability needs column(s) {missing} (from customer_profitability); "
                       f"have {list(df.columns)}")
    if not 0 < price_only_share < 1:
        raise ValueError("price_only_share is a share of gross revenue between 0 and 1, e.g. 0.15")
    df["return_cost"] = df["n_returns"].astype(float) * float(cost_per_return)
    df["contribution"] = df["net_revenue"] - df["product_cost"] - df["contact_cost"] - df["return_cost"]
    if include_acquisition:
        df["contribution"] = df["contribution"] - df["acquisition_cost"].fillna(0)
    df["price_only"] = df["discount_share"] >= price_only_share
    df["unprofitable"] = df["contribution"] < 0
    return df


def profitability_summary(prof: pd.DataFrame, by: str = "price_only") -> pd.DataFrame:
    """Customers, revenue, contribution and shares per group of :func:`profitability` (default: price-only buyers
    vs relationship customers), plus the share of unprofitable customers in each."""
    g = prof.groupby(by)
    out = pd.DataFrame({"customers": g.size(), "net_revenue": g["net_revenue"].sum(),
                        "contribution": g["contribution"].sum(), "discount_share": g["discount_share"].mean(),
                        "unprofitable_share": g["unprofitable"].mean()})
    out["contribution_per_customer"] = out["contribution"] / out["customers"]
    out["share_customers"] = out["customers"] / out["customers"].sum()
    out["share_contribution"] = out["contribution"] / out["contribution"].sum()
    out["margin_rate"] = out["contribution"] / out["net_revenue"]
    out = out.reset_index()
    if by == "price_only":
        out.insert(0, "group", out["price_only"].map({True: "Price-only buyers", False: "Relationship customers"}))
        out.insert(1, "group_zh", out["price_only"].map({True: "只看价格的顾客", False: "关系顾客"}))
    return out


def whale_curve(prof: pd.DataFrame, value: str = "contribution", points: int = 201) -> pd.DataFrame:
    """Cumulative contribution (as a share of the total) against the share of customers, most profitable first:
    it rises above 100 % and falls back as the unprofitable customers eat into the profit (the "whale curve")."""
    v, order = _ranked(prof, value, "whale_curve")
    cum = np.concatenate([[0.0], np.cumsum(v[order])])
    total = cum[-1]
    xs = np.linspace(0, 1, points)
    n = len(v)
    return pd.DataFrame({"cum_share_customers": xs,
                         "cum_share_contribution": np.interp(xs * n, np.arange(n + 1), cum) / total})


def profitable_groups(prof: pd.DataFrame, value: str = "net_revenue", top: float = 0.10, core: float = 0.50,
                      decline: float = 0.5, relationship_only: bool = True) -> pd.DataFrame:
    """The seeds' three most profitable groups (最有营利性的顾客群), after setting aside the price-only buyers:

    1. ``top`` — the best customers who make the first 10 % of sales (few people: the main target of CRM);
    2. ``core`` — the next customers, up to 50 % of sales (they make some 40 % of sales and profit, and are the
       future's biggest source of profit);
    3. ``declining`` — customers who are still profitable but whose value is falling: revenue in the last
       12 months at most ``decline`` × the 12 months before (which was positive).

    Returns the table with boolean columns top, core, declining and ``profit_group`` (the first that applies:
    top, core, declining; None for the rest). Groups 1–2 are ranked on ``value``; 3 may overlap them.
    """
    df = prof.copy()
    pool = ~df["price_only"] if relationship_only and "price_only" in df.columns else np.ones(len(df), bool)
    pool = np.asarray(pool, bool)
    v = df[value].astype(float).fillna(0).to_numpy()
    vv = np.where(pool, np.clip(v, 0, None), 0.0)
    order = np.lexsort((df["customer_id"].astype(str).to_numpy(), -vv))
    total = vv.sum()
    before = np.empty(len(v))
    before[order] = np.concatenate([[0.0], np.cumsum(vv[order])[:-1]]) / (total if total > 0 else 1.0)
    df["top"] = pool & (vv > 0) & (before < top)
    df["core"] = pool & (vv > 0) & (before >= top) & (before < core)
    prev, last = df["revenue_prev_12m"].astype(float), df["revenue_12m"].astype(float)
    df["declining"] = pool & (df["contribution"] > 0) & (prev > 0) & (last <= decline * prev)
    df["profit_group"] = np.select([df["top"], df["core"], df["declining"]], ["top", "core", "declining"],
                                   default=None)
    return df


def profitable_groups_table(groups: pd.DataFrame, language: str = "en") -> pd.DataFrame:
    """One row per group of :func:`profitable_groups` (overlaps counted in each): customers, share of customers,
    share of net revenue and contribution, mean revenue last 12 months vs the 12 months before. The groups are
    bands of sales (docs/GLOSSARY.md): the first 10 %, the next 40 % (from the 10 % to the 50 % mark), and the
    declining ones. ``language="zh"``: the ``name`` column in Chinese (the glossary's terms) and no ``group`` /
    ``name_zh`` columns — what a Chinese page shows; in English both names side by side."""
    total_c, total_r = len(groups), groups["net_revenue"].sum()
    total_p = groups["contribution"].sum()
    labels = {"top": ("Top customers: first 10 % of sales", "贡献前10%销售额的顾客"),
              "core": ("Core: the next 40 % of sales (10–50 %)", "其后贡献40%销售额的顾客（累计10%~50%）"),
              "declining": ("Profitable but declining", "有盈利但价值下降的顾客")}
    rows = []
    for key, (en, zh) in labels.items():
        d = groups[groups[key]]
        rows.append({"group": key, "name": en, "name_zh": zh, "customers": len(d), "share_customers": len(d) / total_c,
                     "share_revenue": d["net_revenue"].sum() / total_r,
                     "share_contribution": d["contribution"].sum() / total_p,
                     "revenue_12m": d["revenue_12m"].mean(), "revenue_prev_12m": d["revenue_prev_12m"].mean()})
    out = pd.DataFrame(rows)
    if language == "zh":
        out = out.assign(name=out["name_zh"]).drop(columns=["group", "name_zh"])
    return out
