"""Collect the results (销售额, 转化率): which orders did each campaign bring?

The client hands over what was sent (the contact list, with the control group) and what happened afterwards
(orders; sometimes coupon redemptions). **Attribution** (归因) matches each order to the contacts of the same
customer whose *response window* contains it. When a customer was in several campaigns at once the order is
ambiguous; a stated rule decides who gets the credit — ``most_recent`` (the latest contact before the order, the
usual default), ``first``, or ``all`` (every contact keeps it). Crediting with a rule is for reporting revenue per
campaign without double counting; for measuring a campaign against *its own* control group use ``all``, because
any rule that moves orders between campaigns also moves them between treatment and control groups.

All order-level work runs in DuckDB (``dbmkit/sql/attribute_responses.sql``, ``contact_outcomes.sql``).

Example
-------
>>> contacts = pd.DataFrame({"campaign_id": ["A", "B"], "customer_id": ["c1", "c1"], "group": "treatment",
...                          "contact_ts": pd.to_datetime(["2024-01-01", "2024-01-10"])})
>>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": "c1", "status": "completed",
...                        "order_ts": pd.to_datetime(["2024-01-05", "2024-01-12"]),
...                        "net_amount": [50.0, 80.0], "cost": [30.0, 40.0]})
>>> att = attribute_responses(contacts, orders, window_days=30)
>>> att[["order_id", "campaign_id", "n_candidates"]].values.tolist()
[['o1', 'A', 1], ['o2', 'B', 2]]
>>> attribution_summary(att)[["campaign_id", "orders", "ambiguous_orders"]].values.tolist()
[['A', 1, 0], ['B', 1, 1]]
"""
from __future__ import annotations

import duckdb
import pandas as pd

from .. import sql as _sql

__all__ = ["attribute_responses", "attribution_summary", "contact_outcomes", "campaign_outcomes", "RULES",
           "campaign_windows", "compare_attribution_rules"]

RULES = ("most_recent", "first", "all")
_ORDER_COLS = ["order_id", "customer_id", "order_ts", "net_amount", "cost", "status"]


def _contacts_frame(contacts: pd.DataFrame, window_days) -> pd.DataFrame:
    need = ["campaign_id", "customer_id", "contact_ts"]
    missing = [c for c in need if c not in contacts.columns]
    if missing:
        raise KeyError(f"contacts has no column(s) {missing}; it has {list(contacts.columns)}")
    c = contacts.copy()
    if "group" not in c:
        c["group"] = "treatment"
    c["contact_ts"] = pd.to_datetime(c["contact_ts"])
    if "window_days" not in c:
        if window_days is None:
            raise ValueError("give window_days (the response window in days) or a window_days column in contacts")
        c["window_days"] = float(window_days)
    elif window_days is not None:
        c["window_days"] = c["window_days"].fillna(float(window_days))
    c["window_days"] = pd.to_numeric(c["window_days"], errors="coerce")
    if c["window_days"].isna().any() or (c["window_days"] <= 0).any():
        raise ValueError("every contact needs a positive response window (window_days)")
    if c["contact_ts"].isna().any():
        raise ValueError("contacts.contact_ts has missing values: every contact needs a date")
    return c[["campaign_id", "customer_id", "group", "contact_ts", "window_days"]]


def _check_rule(rule: str) -> str:
    if rule not in RULES:
        raise ValueError(f"attribution rule must be one of {RULES}, not {rule!r} (config: evaluate.attribution)")
    return rule


def _run(contacts: pd.DataFrame, orders, name: str, params: dict) -> pd.DataFrame:
    """Run the attribution query ``name`` with the contacts as ``_att_contacts``; orders is a DataFrame or a
    Workspace (its ``orders`` table; on Spark when the workspace's engine is Spark)."""
    if hasattr(orders, "connect") and hasattr(orders, "cfg"):
        return _sql.run(orders, name, params, frames={"_att_contacts": contacts},
                        **_identifiers(name, "orders"))
    if not isinstance(orders, pd.DataFrame):
        raise TypeError("orders must be a DataFrame (order_id, customer_id, order_ts, net_amount, cost, status) "
                        "or a Workspace")
    o = orders.copy()
    if "status" not in o:
        o["status"] = "completed"
    if "cost" not in o:
        o["cost"] = 0.0
    missing = [c for c in _ORDER_COLS if c not in o.columns]
    if missing:
        raise KeyError(f"orders has no column(s) {missing}; it has {list(orders.columns)}")
    o["order_ts"] = pd.to_datetime(o["order_ts"])
    con = duckdb.connect()
    try:
        return _sql.run(con, name, params, frames={"_att_contacts": contacts, "_att_orders": o[_ORDER_COLS]},
                        **_identifiers(name, "_att_orders"))
    finally:
        con.close()


def _identifiers(name: str, orders: str) -> dict:
    """The placeholders of the attribution query ``name``: the contacts, and the orders table (attribute_responses)
    or the attribute_responses query over it (contact_outcomes)."""
    ids = {"contacts": _sql.Raw("_att_contacts"), "orders": _sql.Raw(orders)}
    if name == "contact_outcomes":
        return {"contacts": ids["contacts"], "attributed": _sql.Raw(_sql.render("attribute_responses", **ids))}
    return ids


def attribute_responses(contacts: pd.DataFrame, orders, window_days: float | None = 30,
                        rule: str = "most_recent") -> pd.DataFrame:
    """Match orders to campaign contacts within the response window; resolve overlaps by ``rule``.

    Parameters
    ----------
    contacts : campaign_id, customer_id, contact_ts, optional group and window_days (per contact).
    orders : a DataFrame (order_id, customer_id, order_ts, net_amount, cost, status) or the Workspace (its
        ``orders`` table, queried in DuckDB). Only completed orders count.
    window_days : the response window for contacts without their own ``window_days``.
    rule : ``most_recent`` (default, ``cfg.evaluate.attribution``), ``first`` or ``all``.

    Returns
    -------
    One row per (order, credited contact): order_id, customer_id, order_ts, revenue, margin, campaign_id, group,
    contact_ts, days_after_contact, n_candidates (contacts whose window held the order), ambiguous (> 1).
    """
    rule = _check_rule(rule)
    c = _contacts_frame(contacts, window_days)
    out = _run(c, orders, "attribute_responses", {"rule": rule})
    out["n_candidates"] = out["n_candidates"].astype(int)
    out["ambiguous"] = out["ambiguous"].astype(bool)
    out.attrs["rule"] = rule
    return out


def attribution_summary(attributed: pd.DataFrame) -> pd.DataFrame:
    """Per campaign (and group): orders credited, revenue, and how many of them were ambiguous (overlaps).

    >>> att = pd.DataFrame({"campaign_id": ["A", "A", "B"], "group": "treatment", "order_id": ["1", "2", "2"],
    ...                     "revenue": [10.0, 5.0, 5.0], "ambiguous": [False, True, True]})
    >>> attribution_summary(att)[["campaign_id", "orders", "ambiguous_orders", "ambiguous_share"]].values.tolist()
    [['A', 2, 1, 0.5], ['B', 1, 1, 1.0]]
    """
    need = ["campaign_id", "order_id", "revenue", "ambiguous"]
    missing = [c for c in need if c not in attributed.columns]
    if missing:
        raise KeyError(f"attributed has no column(s) {missing}; pass the result of attribute_responses")
    keys = ["campaign_id"] + (["group"] if "group" in attributed.columns else [])
    g = attributed.groupby(keys, sort=True)
    out = g.agg(orders=("order_id", "nunique"), revenue=("revenue", "sum"),
                ambiguous_orders=("ambiguous", "sum")).reset_index()
    out["ambiguous_orders"] = out["ambiguous_orders"].astype(int)
    out["ambiguous_share"] = out["ambiguous_orders"] / out["orders"].where(out["orders"] > 0)
    return out


def contact_outcomes(contacts: pd.DataFrame, orders, window_days: float | None = 30,
                     rule: str = "all") -> pd.DataFrame:
    """One row per contact: responded (0/1), response_ts, order_id (first order), revenue, margin, n_orders,
    ambiguous — the contact list with its results, ready for ``compare_groups``.

    Other columns of ``contacts`` (group, cell, channel, offer …) are kept.
    """
    rule = _check_rule(rule)
    c = _contacts_frame(contacts, window_days)
    res = _run(c, orders, "contact_outcomes", {"rule": rule})
    keep = contacts.drop(columns=[x for x in ("responded", "response_ts", "order_id", "revenue", "margin",
                                               "n_orders", "ambiguous") if x in contacts.columns])
    out = keep.merge(res, on=["campaign_id", "customer_id"], how="left", validate="one_to_one")
    out["responded"] = out["responded"].fillna(0).astype(int)
    out["n_orders"] = out["n_orders"].fillna(0).astype(int)
    return out


def campaign_windows(ws, window_days: float | None = None) -> pd.DataFrame:
    """Each past campaign's response window in days: from its start to its end date (or ``window_days``)."""
    camp = ws.sql("""SELECT campaign_id, name, channel, offer, start_date, end_date, cost_per_contact, fixed_cost,
                            segment FROM campaigns ORDER BY start_date, campaign_id""")
    days = (pd.to_datetime(camp["end_date"]) - pd.to_datetime(camp["start_date"])).dt.days
    fallback = window_days or ws.cfg.evaluate.response_window_days or ws.cfg.campaign.response_window_days
    camp["window_days"] = float(window_days) if window_days else days.where(days > 0).fillna(fallback).astype(float)
    return camp


def campaign_outcomes(ws, campaign_ids=None, window_days: float | None = None, rule: str = "all") -> pd.DataFrame:
    """The past campaigns of the database, one row per contact with its outcome.

    Columns: campaign_id, customer_id, cell, group, contact_ts, channel, window_days, responded, response_ts,
    order_id, revenue, margin, n_orders, ambiguous, redeemed (the client's own response tracking — coupon codes —
    marked this contact as a responder).
    """
    camp = campaign_windows(ws, window_days)
    ct = ws.sql('SELECT campaign_id, customer_id, cell, "group", contact_ts, channel FROM contacts')
    if campaign_ids is not None:
        ids = [campaign_ids] if isinstance(campaign_ids, str) else list(campaign_ids)
        unknown = sorted(set(ids) - set(camp["campaign_id"]))
        if unknown:
            raise ValueError(f"no campaign(s) {unknown} in the database; campaigns: {camp['campaign_id'].tolist()}")
        ct = ct[ct["campaign_id"].isin(ids)]
    ct = ct.merge(camp[["campaign_id", "window_days"]], on="campaign_id", how="left")
    ct["window_days"] = ct["window_days"].fillna(window_days or ws.cfg.campaign.response_window_days)
    out = contact_outcomes(ct, ws, rule=rule)
    red = ws.sql("SELECT DISTINCT campaign_id, customer_id, 1 AS redeemed FROM responses")
    out = out.merge(red, on=["campaign_id", "customer_id"], how="left")
    out["redeemed"] = out["redeemed"].fillna(0).astype(int)
    return out.sort_values(["campaign_id", "customer_id"]).reset_index(drop=True)


def compare_attribution_rules(contacts: pd.DataFrame, orders, window_days: float | None = None) -> pd.DataFrame:
    """Orders and revenue credited to each campaign's treated contacts under every rule, with the ambiguous
    orders (inside the windows of several campaigns). Control contacts compete for orders like everyone else.

    >>> contacts = pd.DataFrame({"campaign_id": ["A", "B"], "customer_id": "c1", "group": "treatment",
    ...                          "contact_ts": pd.to_datetime(["2024-01-01", "2024-01-10"])})
    >>> orders = pd.DataFrame({"order_id": ["o1", "o2"], "customer_id": "c1", "order_ts":
    ...                        pd.to_datetime(["2024-01-05", "2024-01-12"]), "net_amount": [50.0, 80.0]})
    >>> compare_attribution_rules(contacts, orders, 30)[["campaign_id", "ambiguous_orders", "orders_most_recent",
    ...                                                  "orders_first", "orders_all"]].values.tolist()
    [['A', 1, 1, 2, 2], ['B', 1, 1, 0, 1]]
    """
    parts = []
    for rule in RULES:
        s = attribution_summary(attribute_responses(contacts, orders, window_days, rule))
        s = s[s["group"] == "treatment"] if "group" in s else s
        s = s.set_index("campaign_id")
        parts.append(s[["orders", "revenue"]].add_suffix(f"_{rule}"))
        if rule == "all":
            parts.append(s[["ambiguous_orders"]])
    out = pd.concat(parts, axis=1)
    ids = pd.Index(sorted(set(contacts.loc[contacts.get("group", pd.Series("treatment", index=contacts.index))
                                          == "treatment", "campaign_id"])), name="campaign_id")
    out = out.reindex(ids).fillna(0)
    for c in out.columns:
        if c.startswith("orders") or c == "ambiguous_orders":
            out[c] = out[c].astype(int)
    cols = ["ambiguous_orders"] + [f"{k}_{r}" for k in ("orders", "revenue") for r in RULES]
    return out[cols].reset_index()
