"""Explore (chapter 20) on the small synthetic client: totals reconcile with independent pandas computations and
with the synthetic truth; the docstring examples of the phase-2 modules of this chapter group run."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from dbmkit import explore, segments
from dbmkit.datasets import truth


@pytest.fixture(scope="module")
def orders(small_ws):
    o = small_ws.sql("""SELECT o.* FROM orders o JOIN customers c USING (customer_id)
                        WHERE NOT coalesce(c.is_test, false)""")
    o["d"] = o["order_ts"].dt.normalize()
    return o[o["d"] <= small_ws.as_of]


def test_stocks_add_up_and_match_the_customer_summary(small_ws):
    f = explore.customers_over_time(small_ws)
    s = small_ws.table("customer_summary")
    a = small_ws.cfg.analysis.active_days
    assert (f["active"] + f["inactive"] + f["long_inactive"] == f["ever_bought"]).all()
    assert f["ever_bought"].iloc[-1] == len(s)
    assert f["active"].iloc[-1] == (s["days_since_last"] <= a).sum() == explore.customers_active(small_ws)
    assert f["inactive"].iloc[-1] == ((s["days_since_last"] > a) & (s["days_since_last"] <= 2 * a)).sum()
    assert f["new_customers"].sum() == len(s)


def test_churn_overall_matches_pandas(small_ws, orders):
    c = explore.churn_by_channel(small_ws, period_days=365)
    start = small_ws.as_of - pd.Timedelta(days=365)
    done = orders[orders["status"] == "completed"]
    last_before = done[done["d"] <= start].groupby("customer_id")["d"].max()
    active = last_before[last_before >= start - pd.Timedelta(days=small_ws.cfg.analysis.active_days)].index
    after = set(done.loc[done["d"] > start, "customer_id"])
    churned = sum(1 for x in active if x not in after)
    overall = c.set_index("group").loc["(all)"]
    assert overall["active_at_start"] == len(active)
    assert overall["churned"] == churned
    per = c[c["group"] != "(all)"]
    assert per["active_at_start"].sum() == len(active)


def test_revenue_decompositions_reconcile(small_ws, orders):
    total = orders.loc[orders["status"] != "cancelled", "net_amount"].sum()
    for by in ("channel", "acquisition_channel", "category", "subcategory"):
        r = explore.revenue_by(small_ws, by)
        assert r["revenue"].sum() == pytest.approx(total, rel=1e-9), by
        assert r["revenue_share"].sum() == pytest.approx(1.0)
    p = explore.revenue_by_period(small_ws, "quarter")
    assert p["revenue"].sum() == pytest.approx(total, rel=1e-9)
    assert (p["revenue_new"] + p["revenue_returning"]).sum() == pytest.approx(total, rel=1e-9)
    assert p["new_customers"].sum() == len(small_ws.table("customer_summary"))
    y = explore.revenue_by_period(small_ws, "year")
    # the synthetic history runs from 1 July three years before the analysis date (30 June): the first and the
    # last calendar years are cut, the years between are complete
    assert y["complete"].tolist() == [False] + [True] * (len(y) - 2) + [False]
    assert p["complete"].all()


def test_multichannel_customers_buy_more_and_are_truly_multichannel(small_ws):
    s = small_ws.table("customer_summary")
    m = explore.multichannel_spend(s).set_index("channels")
    assert m.loc["multi", "revenue_per_customer"] > m.loc["single", "revenue_per_customer"]
    people = truth.truth_people(small_ws)
    j = s.merge(people[["customer_id", "multichannel"]], on="customer_id")
    # customers seen buying in several channels are the truly multi-channel ones (the rest mostly had no chance yet)
    assert j.loc[j["is_multichannel"], "multichannel"].mean() > 0.9
    assert j.loc[~j["is_multichannel"], "multichannel"].mean() < 0.3


def test_cohort_retention(small_ws):
    c = segments.cohort_retention(small_ws, "quarter")
    first = c[c["period_index"] == 0]
    assert np.allclose(first["retention"], 1.0)
    assert first["cohort_size"].sum() == len(small_ws.table("customer_summary"))
    assert ((c["retention"] > 0) & (c["retention"] <= 1)).all()
    with pytest.raises(ValueError, match="period"):
        segments.cohort_retention(small_ws, "fortnight")


def test_truth_people_maps_customers_to_persons(small_ws):
    t = truth.truth_people(small_ws)
    n = small_ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
    assert t["customer_id"].is_unique
    assert len(t) >= 0.98 * n
    assert t["person_id"].notna().all() and t["p_drop"].notna().mean() > 0.98


@pytest.mark.parametrize("name", ["dbmkit.explore", "dbmkit.segments", "dbmkit.basket", "dbmkit.models"])
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.failed == 0
    if name != "dbmkit.explore":
        assert res.attempted > 0
