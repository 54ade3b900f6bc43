"""Channel KPIs (关键绩效指标) from the e-mail and SMS event logs.

Definitions (the usual industry ones; unique per recipient — someone who opens five times counts once):

* delivery rate = delivered / sent;  bounce rate = bounced / sent
* open rate = unique opens / delivered;  click-through rate (CTR) = unique clicks / delivered
* click-to-open rate (CTOR) = unique clicks / unique opens (how good the content is, given it was opened)
* unsubscribe rate = unsubscribes / delivered;  complaint (spam report) rate = complaints / delivered
* conversion rate = delivered recipients who bought in the response window / delivered (needs the outcomes)
* SMS: delivery rate, click rate = unique clicks / delivered, reply rate = replies / delivered

A click proves an open (images are often blocked, so the open pixel never loads) and an open proves delivery.
The counting runs in DuckDB (``dbmkit/sql/message_kpis.sql``): event logs grow with every message.

Example
-------
>>> ev = pd.DataFrame({"campaign_id": "C1", "customer_id": ["a", "a", "a", "a", "b", "b", "c"],
...                    "event": ["sent", "delivered", "opened", "opened", "sent", "delivered", "sent"],
...                    "event_ts": pd.Timestamp("2024-01-01")})
>>> k = email_kpis(ev)
>>> k[["sent", "delivered", "opened"]].values.tolist(), k["open_rate"].tolist()
([[3, 2, 1]], [0.5])
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .. import sql as _sql
from ..uncertainty import wilson_interval

__all__ = ["email_kpis", "sms_kpis", "message_counts", "overall_rates", "rate_table", "EMAIL_RATES", "SMS_RATES"]

EMAIL_RATES = {
    "delivery_rate": ("delivered", "sent"), "bounce_rate": ("bounced", "sent"),
    "open_rate": ("opened", "delivered"), "click_rate": ("clicked", "delivered"),
    "click_to_open_rate": ("clicked", "opened"), "unsubscribe_rate": ("unsubscribed", "delivered"),
    "complaint_rate": ("complained", "delivered"), "conversion_rate": ("converted", "delivered"),
}
SMS_RATES = {
    "delivery_rate": ("delivered", "sent"), "bounce_rate": ("bounced", "sent"),
    "click_rate": ("clicked", "delivered"), "reply_rate": ("replied", "delivered"),
    "unsubscribe_rate": ("unsubscribed", "delivered"), "conversion_rate": ("converted", "delivered"),
}
_COUNTS = ["sent", "delivered", "bounced", "opened", "clicked", "replied", "unsubscribed", "complained", "converted"]


def _frame_or_table(source, table: str):
    if hasattr(source, "connect") and hasattr(source, "cfg"):
        return source, None
    if not isinstance(source, pd.DataFrame):
        raise TypeError(f"give the {table} as a DataFrame (campaign_id, customer_id, event, event_ts) or the Workspace")
    missing = [c for c in ("campaign_id", "customer_id", "event") if c not in source.columns]
    if missing:
        raise KeyError(f"{table} has no column(s) {missing}; it has {list(source.columns)}")
    return None, source


def message_counts(events, table: str = "email_events", by="campaign_id", segments: pd.DataFrame | None = None,
                   outcomes: pd.DataFrame | None = None, campaign_ids=None) -> pd.DataFrame:
    """Unique recipients per event kind, grouped by ``by`` (columns of the events and/or of ``segments``).

    ``events`` is a DataFrame or the Workspace (its ``table``); ``segments`` a customer-level table
    (customer_id + the columns to group by); ``outcomes`` per contact (campaign_id, customer_id, responded).
    """
    ws, ev = _frame_or_table(events, table)
    bys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    seg = segments if segments is not None else pd.DataFrame({"customer_id": pd.Series([], dtype=object)})
    if "customer_id" not in seg.columns:
        raise KeyError("segments needs a customer_id column (one row per customer)")
    if seg["customer_id"].duplicated().any():
        raise ValueError("segments has several rows for one customer_id; give one row per customer")
    out = outcomes if outcomes is not None else pd.DataFrame(
        {"campaign_id": pd.Series([], dtype=object), "customer_id": pd.Series([], dtype=object),
         "responded": pd.Series([], dtype="int64")})
    for c in ("campaign_id", "customer_id", "responded"):
        if c not in out.columns:
            raise KeyError(f"outcomes needs columns campaign_id, customer_id, responded (missing {c!r})")
    keys = []
    for b in bys:
        if b in ("campaign_id", "customer_id"):
            keys.append(f'p."{b}"')
        elif b in seg.columns:
            keys.append(f's."{b}"')
        elif ev is not None and b in ev.columns:
            raise ValueError(f"group by {b!r}: only campaign_id or columns of `segments` can group the KPIs")
        else:
            raise KeyError(f"cannot group by {b!r}: it is neither campaign_id nor a column of `segments` "
                           f"({[c for c in seg.columns if c != 'customer_id']})")
    for k in bys:
        _sql.identifier(k)
    select = ", ".join(f'{k} AS "{b}"' for k, b in zip(keys, bys)) if bys else "'all' AS scope"
    filt = ""
    if campaign_ids is not None:
        ids = [campaign_ids] if isinstance(campaign_ids, str) else list(campaign_ids)
        filt = " WHERE campaign_id IN (SELECT campaign_id FROM _kpi_ids)"
    else:
        ids = []
    frames = {"_kpi_outcomes": out[["campaign_id", "customer_id", "responded"]], "_kpi_segments": seg,
              "_kpi_ids": pd.DataFrame({"campaign_id": pd.Series(ids, dtype=object)})}
    names = dict(keys=_sql.Raw(select), outcomes=_sql.Raw("_kpi_outcomes"), segments=_sql.Raw("_kpi_segments"))
    if ws is not None:          # the workspace's table, on Spark when its engine is Spark
        events = _sql.Raw(f"(SELECT * FROM {_sql.identifier(table)}{filt})")
        res = _sql.run(ws, "message_kpis", frames=frames, events=events, **names)
    else:
        con = duckdb.connect()
        try:
            res = _sql.run(con, "message_kpis", frames={**frames, "_kpi_events": ev},
                           events=_sql.Raw(f"(SELECT * FROM _kpi_events{filt})"), **names)
        finally:
            con.close()
    for c in _COUNTS:
        res[c] = res[c].fillna(0).astype(int)
    if bys:     # a segment given as a pandas Categorical sorts in its categories' order (lifecycle stages: new,
        # active, …) on DuckDB, as text on Spark: the groups in the same order on both
        res = res.sort_values(bys, kind="stable", na_position="last", ignore_index=True)
    return res


def _rates(counts: pd.DataFrame, rates: dict) -> pd.DataFrame:
    out = counts.copy()
    for name, (num, den) in rates.items():
        d = out[den].where(out[den] > 0)
        out[name] = out[num] / d
    return out


def email_kpis(events, by="campaign_id", segments: pd.DataFrame | None = None,
               outcomes: pd.DataFrame | None = None, campaign_ids=None) -> pd.DataFrame:
    """E-mail KPIs per campaign (default) or per any grouping: counts and the rates defined above.

    ``events``: the ``email_events`` table as a DataFrame, or the Workspace. ``by``: "campaign_id", a column of
    ``segments`` (e.g. ["campaign_id", "segment"]), or None for one overall row. ``outcomes`` (one row per
    contact with responded 0/1) adds the conversion rate.
    """
    counts = message_counts(events, "email_events", by, segments, outcomes, campaign_ids)
    res = _rates(counts, EMAIL_RATES)
    drop = ["replied"] + (["converted", "conversion_rate"] if outcomes is None else [])
    return res.drop(columns=drop)


def sms_kpis(events, by="campaign_id", segments: pd.DataFrame | None = None,
             outcomes: pd.DataFrame | None = None, campaign_ids=None) -> pd.DataFrame:
    """SMS KPIs (delivery, click, reply, unsubscribe rates) from the ``sms_events`` log; same options as
    :func:`email_kpis`.

    >>> ev = pd.DataFrame({"campaign_id": "S", "customer_id": ["a", "a", "b", "b", "c"],
    ...                    "event": ["sent", "delivered", "sent", "delivered", "sent"]})
    >>> sms_kpis(ev)[["sent", "delivered", "delivery_rate"]].round(3).values.tolist()
    [[3.0, 2.0, 0.667]]
    """
    counts = message_counts(events, "sms_events", by, segments, outcomes, campaign_ids)
    res = _rates(counts, SMS_RATES)
    drop = ["opened", "complained"] + (["converted", "conversion_rate"] if outcomes is None else [])
    return res.drop(columns=drop)


def overall_rates(kpis: pd.DataFrame, rates: dict = EMAIL_RATES, alpha: float = 0.05) -> pd.Series:
    """Pool a KPI table (sum the counts, recompute the rates): the rates over every row, each with its Wilson
    interval (``<rate>_ci_low``, ``<rate>_ci_high``; 1 − ``alpha`` confidence)."""
    tot = kpis[[c for c in _COUNTS if c in kpis.columns]].sum()
    out, ci = {}, {}
    for name, (num, den) in rates.items():
        if num in tot and den in tot:
            out[name] = tot[num] / tot[den] if tot[den] > 0 else np.nan
            ci[f"{name}_ci_low"], ci[f"{name}_ci_high"] = wilson_interval(float(tot[num]), float(tot[den]), alpha)
    return pd.concat([tot.astype(float), pd.Series(out, dtype=float), pd.Series(ci, dtype=float)])


def rate_table(rates: pd.Series) -> pd.DataFrame:
    """The rates of :func:`overall_rates` as a table: one row per rate with its value and Wilson interval.

    >>> ev = pd.DataFrame({"campaign_id": "C1", "customer_id": ["a", "a", "b", "b", "c"],
    ...                    "event": ["sent", "delivered", "sent", "delivered", "sent"]})
    >>> rate_table(overall_rates(email_kpis(ev))).loc["delivery_rate"].round(3).tolist()
    [0.667, 0.208, 0.939]
    """
    names = [k for k in rates.index if f"{k}_ci_low" in rates.index]
    return pd.DataFrame({"value": [rates[k] for k in names], "ci_low": [rates[f"{k}_ci_low"] for k in names],
                         "ci_high": [rates[f"{k}_ci_high"] for k in names]}, index=pd.Index(names, name="rate"))

