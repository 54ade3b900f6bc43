"""Baskets and sequences: association rules (关联分析, market-basket analysis 一揽子分析) and sequence discovery
(序列发现).

* :func:`association_rules` — "customers who buy A in a basket also buy C": support, confidence, lift, leverage
  and conviction for every pair of categories, subcategories or products, counted in DuckDB SQL (co-occurrence by a
  self-join of the baskets), so millions of order lines take seconds.
* :func:`sequence_rules` — "a buyer of A buys C within N days": probability, base rate, lift and median lag;
  :func:`sequence_rules_by_window` the same for several windows with one scan of the orders.
* :func:`rules_from_baskets` — the same pair rules for any (basket, item) DataFrame, e.g. a small hand-made example.
* :func:`compare_with_planted` — for the synthetic client, where the planted rules of the truth rank among the rules
  found.

Example
-------
>>> tx = pd.DataFrame({"basket": [1, 1, 2, 2, 3, 4], "item": ["tent", "bag", "tent", "bag", "tent", "stove"]})
>>> r = rules_from_baskets(tx, "basket", "item")
>>> r.loc[(r.antecedent == "tent") & (r.consequent == "bag"),
...       ["support", "confidence", "lift"]].round(3).values.tolist()
[[0.5, 0.667, 1.333]]
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from . import sql as _sql
from .i18n import add as _add_labels

__all__ = ["association_rules", "sequence_rules", "sequence_rules_by_window", "rules_from_baskets",
           "compare_with_planted", "pair_key", "LEVELS", "MAX_ANCHORS_PER_CUSTOMER"]

LEVELS = {"category": "p.category", "subcategory": "p.subcategory", "product": "coalesce(p.name, i.product_id)",
          "product_id": "i.product_id"}

_add_labels({"support": ("Support", "支持度"), "confidence": ("Confidence", "置信度"),
             "probability": ("Probability", "概率"), "base_rate": ("Base rate", "基准概率"),
             "median_lag_days": ("Median days until the next purchase", "间隔天数中位数"),
             "antecedent": ("If bought", "前项"), "consequent": ("Then also", "后项"),
             "category": ("category", "品类"), "subcategory": ("subcategory", "子品类"),
             "product": ("product", "商品")})


def _level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}, not {level!r}")
    return LEVELS[level]


def _strip_comments(sql: str) -> str:
    return "\n".join(ln for ln in sql.splitlines() if not ln.lstrip().startswith("--"))


def pair_key(rules: pd.DataFrame) -> pd.Series:
    """The unordered pair of each rule, (smaller item, larger item), so that A → C and C → A share one key
    (vectorised: fast on tens of thousands of product rules).

    >>> pair_key(pd.DataFrame({"antecedent": ["tent", "bag"], "consequent": ["bag", "tent"]})).tolist()
    [('bag', 'tent'), ('bag', 'tent')]
    """
    a = rules["antecedent"].astype(str).to_numpy(dtype=object)
    c = rules["consequent"].astype(str).to_numpy(dtype=object)
    first = a <= c
    return pd.Series(list(zip(np.where(first, a, c), np.where(first, c, a))), index=rules.index, dtype=object)


def _finish(df: pd.DataFrame, min_support: float, min_confidence: float, min_lift: float) -> pd.DataFrame:
    for c in ("support", "antecedent_support", "consequent_support", "confidence", "lift", "leverage", "conviction"):
        if c in df.columns:
            df[c] = df[c].astype(float)
    keep = (df["support"] >= min_support) & (df["confidence"] >= min_confidence) & (df["lift"] >= min_lift)
    return df[keep].sort_values(["lift", "baskets"], ascending=[False, False]).reset_index(drop=True)


def association_rules(ws, level: str = "subcategory", min_support: float | None = None, min_confidence: float = 0.0,
                      min_lift: float = 0.0, basket: str = "order", since=None, min_count: int = 5) -> pd.DataFrame:
    """Association rules between pairs of items bought together (关联分析).

    ``level``: 'category', 'subcategory', 'product' (name) or 'product_id'. ``basket``: 'order' (items in the same
    order) or 'customer' (items the same customer ever bought). Only completed orders count; ``since`` limits the
    orders to a recent period. ``min_support`` defaults to the config's ``analysis.min_support``; pairs seen in fewer
    than ``min_count`` baskets are dropped before anything else.

    Returns antecedent, consequent, baskets (holding both), support, antecedent_support, consequent_support,
    confidence (P(consequent | antecedent)), lift (confidence / P(consequent); 1 = no affinity), leverage,
    conviction and n_baskets — strongest lift first. Both directions of a pair are listed (their lift is equal,
    their confidence is not).

    Example::

        rules = association_rules(ws, level="subcategory")
        rules[rules["support"] > 0.01].head()               # strong and common pairs
    """
    if basket not in ("order", "customer"):
        raise ValueError("basket must be 'order' or 'customer'")
    ms = float(ws.cfg.analysis.min_support if min_support is None else min_support)
    start = pd.Timestamp(since).date() if since is not None else pd.Timestamp("1900-01-01").date()
    baskets = _sql.render("basket_items", item=_sql.Raw(_level(level)),
                          basket=_sql.Raw("o.order_id" if basket == "order" else "o.customer_id"))
    df = _sql.run(ws, "association_pairs", {"start": start, "as_of": ws.as_of.date(), "min_count": int(min_count)},
                  baskets=_sql.Raw(_strip_comments(baskets)))
    return _finish(df, ms, min_confidence, min_lift)


def rules_from_baskets(transactions: pd.DataFrame, basket_col: str = "basket", item_col: str = "item",
                       min_support: float = 0.0, min_confidence: float = 0.0, min_lift: float = 0.0,
                       min_count: int = 1) -> pd.DataFrame:
    """Pair rules from any table of (basket, item) rows — the same SQL as :func:`association_rules`, for your own
    data or a small example (duplicates of an item within a basket count once)."""
    missing = [c for c in (basket_col, item_col) if c not in transactions.columns]
    if missing:
        raise KeyError(f"transactions has no column(s) {missing}; it has {list(transactions.columns)}")
    con = duckdb.connect()
    try:
        con.register("_tx", transactions[[basket_col, item_col]].rename(columns={basket_col: "b", item_col: "it"}))
        baskets = ("SELECT DISTINCT CAST(b AS VARCHAR) AS basket, CAST(it AS VARCHAR) AS item "
                   "FROM _tx WHERE it IS NOT NULL")
        df = _sql.run(con, "association_pairs", {"min_count": int(min_count)}, baskets=_sql.Raw(baskets))
    finally:
        con.close()
    return _finish(df, min_support, min_confidence, min_lift)


MAX_ANCHORS_PER_CUSTOMER = 500
"""At most this many of one customer's repeat orders serve as anchors of sequence rules (a fixed pseudo-random
choice), so a wholesale buyer with thousands of orders neither dominates the rules nor the run time."""


def sequence_rules_by_window(ws, windows, level: str = "subcategory", min_count: int = 10, min_lift: float = 0.0,
                             max_anchors: int = MAX_ANCHORS_PER_CUSTOMER) -> dict[int, pd.DataFrame]:
    """Sequence rules for several windows with one scan of the orders: ``{within_days: rules}``, each table the same
    as :func:`sequence_rules` with that window (the orders are paired once for the largest window and every window
    is derived from the days between them).

    Example::

        seqs = sequence_rules_by_window(ws, [30, 60, 90])
        seqs[60].head()                                     # == sequence_rules(ws, within_days=60).head()
    """
    try:
        ws_list = sorted({int(w) for w in (windows if np.ndim(windows) else [windows])})
    except (TypeError, ValueError):
        raise ValueError(f"windows must be whole numbers of days, e.g. [30, 90]; got {windows!r}") from None
    if not ws_list or ws_list[0] < 1:
        raise ValueError(f"every window must be at least 1 day; got {windows!r}")
    if int(max_anchors) < 1:
        raise ValueError("max_anchors must be at least 1")
    df = _sql.run(ws, "sequence_pairs", {"as_of": ws.as_of.date(), "windows": ws_list, "min_count": int(min_count),
                                         "max_anchors": int(max_anchors)},
                  item=_sql.Raw(_level(level)))
    for c in ("probability", "before_rate", "base_rate", "lift", "excess", "median_lag_days"):
        df[c] = df[c].astype(float)
    df = df[df["lift"] >= min_lift]
    out = {}
    for w in ws_list:
        part = df[df["within_days"] == w].drop(columns="within_days").reset_index(drop=True)
        part.attrs["within_days"] = w
        out[w] = part
    return out


def sequence_rules(ws, within_days: int | None = None, level: str = "subcategory", min_count: int = 10,
                   min_lift: float = 0.0, max_anchors: int = MAX_ANCHORS_PER_CUSTOMER) -> pd.DataFrame:
    """Sequence rules (序列发现): "a customer who buys A buys C within ``within_days`` days" (default: the config's
    ``analysis.sequence_days``).

    An *anchor* is a completed order that is not the customer's first purchase and whose windows of
    ``within_days`` before and after lie inside the history (a customer contributes at most ``max_anchors``
    anchors, a fixed pseudo-random choice, so a wholesale buyer cannot dominate). For each item A in an anchor order:

    * ``probability`` — share of those anchors followed by C in another order within the window;
    * ``before_rate`` — share with C in the same number of days *before* (the same customers' usual appetite for C);
    * ``excess`` — (probability − before_rate) / (1 − before_rate): how much more often C follows A than it came
      before it, as a share of the room left — an observed difference, not proof that A causes C (only a test
      can show that). Items that are merely bought together (an affinity, not a sequence) have an excess near 0;
    * ``base_rate`` — how often C follows any anchor order, and ``lift`` = probability / base_rate;
    * ``median_lag_days`` — median days until the first C.

    Returns antecedent, consequent, anchors, hits, probability, before_rate, base_rate, lift, excess,
    median_lag_days, n_anchors — strongest excess first. Several windows at once: :func:`sequence_rules_by_window`.

    Example::

        seq = sequence_rules(ws, within_days=90)
        seq[seq["excess"] > 0.1]                            # real sequences, not just affinities
    """
    within = int(ws.cfg.analysis.sequence_days if within_days is None else within_days)
    if within < 1:
        raise ValueError("within_days must be at least 1")
    return sequence_rules_by_window(ws, [within], level=level, min_count=min_count, min_lift=min_lift,
                                    max_anchors=max_anchors)[within]


def compare_with_planted(rules: pd.DataFrame, planted: pd.DataFrame, products: pd.DataFrame | None = None,
                         kind: str = "basket") -> pd.DataFrame:
    """Where the synthetic client's planted rules (``ws.truth["planted_rules"]``) show up among the rules found.

    ``rules``: output of :func:`association_rules` (kind 'basket') or :func:`sequence_rules` (kind 'sequence') at
    subcategory level. ``products``: ``ws.truth["products"]`` to translate the planted subcategory keys into the
    names used in the database (needed for a Chinese client). Returns one row per planted rule with its planted
    probability, the rank of the rule in ``rules`` as sorted (for baskets the rank of the *pair* by lift, since
    both directions share it; for sequences the row by excess), lift, confidence or probability/before_rate/excess,
    and median lag.

    Example::

        compare_with_planted(association_rules(ws), ws.truth["planted_rules"], ws.truth["products"])
    """
    p = planted[planted["kind"] == kind].copy()
    if products is not None and {"subcategory_key", "subcategory"} <= set(products.columns):
        names = dict(zip(products["subcategory_key"], products["subcategory"]))
        p["antecedent"] = p["antecedent"].map(lambda x: names.get(x, x))
        p["consequent"] = p["consequent"].map(lambda x: names.get(x, x))
    r = rules.reset_index(drop=True).copy()
    if kind == "basket":
        # both directions of a pair have the same lift: rank the pairs, not the rows
        pair = pair_key(r)
        first = ~pair.duplicated()
        pair_rank = pd.Series(np.arange(1, int(first.sum()) + 1), index=pair[first].to_numpy())
        r["rank"] = pair.map(pair_rank).to_numpy()
    else:
        r["rank"] = np.arange(1, len(r) + 1)
    cols = ["antecedent", "consequent", "rank", "lift"] + [c for c in ("confidence", "support", "probability",
                                                                         "before_rate", "excess", "median_lag_days")
                                                           if c in r.columns]
    out = p.rename(columns={"probability": "planted_probability"}).merge(r[cols], on=["antecedent", "consequent"],
                                                                           how="left")
    out["found"] = out["rank"].notna()
    return out.drop(columns=["kind"])
