"""The synthetic client's ground truth joined to its marketing database: which database customer is which true
person, each customer's true latent facts and what each customer really does after the analysis date.

Merge/purge is not perfect: a golden record may hold the source records of several persons (over-merge), and a
person's records may be split over several customers (under-merge). :func:`truth_person_map` resolves both by
majority through ``customer_records.record_id`` → truth ``records.person_id``, in the direction the caller needs:

* ``one_per="person"`` — each true person's database customer (the customer holding most of the person's records):
  for what a person does, counted once (:func:`truth_future`, ``rfm.segment_truth``);
* ``one_per="customer"`` — each database customer's true person (the person most of its records belong to): for
  facts about a customer (:func:`truth_people`, :func:`person_map`, the campaign simulation).

Every function returns None for a real client (``ws.truth`` is None), except :func:`person_map`, which is only
called where the truth is required and says so.

Example (``ws`` is the synthetic client's workspace)::

    truth_people(ws).groupby("acquisition_channel")["p_drop"].mean()   # true drop-out probability per channel
    truth_future(ws)["future_margin"].sum()                            # next year's real margin
"""
from __future__ import annotations

import pandas as pd

__all__ = ["truth_person_map", "person_map", "truth_people", "truth_future"]

_ONE_PER = {"person": ("person_id", "customer_id"), "customer": ("customer_id", "person_id")}


def truth_person_map(ws, one_per: str = "person") -> pd.DataFrame | None:
    """Database customers and true persons through the source records: one row per true person (``one_per="person"``,
    the default: the customer holding most of the person's records), or per database customer
    (``one_per="customer"``: the person most of the customer's records belong to); ties go to the smaller id.

    Columns: the ``one_per`` key first (person_id, customer_id or customer_id, person_id), sorted by it. Customers
    without a true person (test accounts planted in the raw exports) are absent. None for a real client."""
    if one_per not in _ONE_PER:
        raise ValueError(f"one_per must be 'person' or 'customer', not {one_per!r}")
    if ws.truth is None or "records" not in ws.truth:
        return None
    key, other = _ONE_PER[one_per]
    recs = ws.sql("SELECT record_id, customer_id FROM customer_records")
    m = recs.merge(ws.truth["records"][["record_id", "person_id"]], on="record_id", how="inner")
    n = m.groupby([key, other]).size().rename("n").reset_index()
    n = n.sort_values([key, "n", other], ascending=[True, False, True]).drop_duplicates(key)
    return n[[key, other]].reset_index(drop=True)


def person_map(ws) -> pd.Series:
    """Database customer id → true person id (synthetic client), as a Series indexed by customer_id: the map of
    :func:`truth_person_map` with ``one_per="customer"``. A ValueError for a real client."""
    m = truth_person_map(ws, one_per="customer") if ws.truth is not None else None
    if m is None:
        raise ValueError("person_map needs the synthetic client's truth; this workspace is a real client")
    return pd.Series(m["person_id"].to_numpy(), index=pd.Index(m["customer_id"].to_numpy(), name="customer_id"),
                     name="person_id")


def truth_people(ws) -> pd.DataFrame | None:
    """The synthetic client's truth per customer of the database: ``customer_id`` (after merge/purge) joined to the
    true person's latent facts (``lam_per_day``, ``p_drop``, ``alive_at_end``, ``future_orders`` …).

    A customer is mapped to the person most of its source records belong to (see :func:`truth_person_map`).
    Returns None for a real client (no truth).

    Example::

        t = truth_people(ws)
        t.groupby("acquisition_channel")["p_drop"].mean()   # the true drop-out probability per channel
    """
    if ws.truth is None or "people" not in ws.truth:
        return None
    pmap = truth_person_map(ws, one_per="customer")
    if pmap is None:
        return None
    return pmap.merge(ws.truth["people"], on="person_id", how="left")


def truth_future(ws) -> pd.DataFrame | None:
    """For the synthetic client: what each database customer really does in the year after the analysis date —
    future_purchases (purchase days of completed orders), future_sales (their net amount, before returns),
    future_revenue and future_margin (net of returns). A person's orders count once, for the customer holding most
    of the person's records (see :func:`truth_person_map`). None for a real client."""
    pmap = truth_person_map(ws, one_per="person")
    if pmap is None or "future_orders" not in ws.truth:
        return None
    fut = ws.truth["future_orders"]
    fut = fut[fut["status"] != "cancelled"].merge(pmap, left_on="customer_id", right_on="person_id",
                                                  suffixes=("_person", ""))
    fut = fut.assign(day=fut["order_ts"].dt.normalize(), margin=fut["net_amount"] - fut["cost"])
    done = fut[fut["status"] == "completed"]
    days = done.groupby("customer_id")["day"].nunique().rename("future_purchases")
    sales = done.groupby("customer_id")["net_amount"].sum().rename("future_sales")
    money = fut.groupby("customer_id")[["net_amount", "margin"]].sum().rename(
        columns={"net_amount": "future_revenue", "margin": "future_margin"})
    return pd.concat([days, sales, money], axis=1).fillna(0).reset_index()
