"""Segments (chapter 24) on the small synthetic client: the ``segments`` table keeps its contract, and lifecycle
stages and clusters line up with the synthetic truth."""
from __future__ import annotations

import pandas as pd
import pytest

from dbmkit import segments as sg
from dbmkit.datasets.truth import truth_people


@pytest.fixture(scope="module")
def seg_table(small_ws):
    return sg.build_segments(small_ws)


def test_segments_table_contract(small_ws, seg_table):
    s = small_ws.table("customer_summary")
    assert list(seg_table.columns) == ["customer_id", "lifecycle_stage", "cluster", "cluster_name", "abc_class"]
    assert seg_table["customer_id"].is_unique and set(seg_table["customer_id"]) == set(s["customer_id"])
    assert set(seg_table["lifecycle_stage"]) <= set(sg.LIFECYCLE_STAGES)
    assert set(seg_table["abc_class"]) <= set("ABCD")
    k = seg_table.attrs["k"]
    assert 3 <= k <= 8 and sorted(seg_table["cluster"].unique()) == list(range(1, k + 1))
    assert seg_table.groupby("cluster")["cluster_name"].nunique().eq(1).all()
    assert seg_table.groupby("cluster_name")["cluster"].nunique().eq(1).all()
    # the derived-table builder gives the same table
    small_ws.drop("segments")
    again = small_ws.table("segments")
    assert again.sort_values("customer_id").reset_index(drop=True).equals(
        seg_table.sort_values("customer_id").reset_index(drop=True))


def test_lifecycle_stages_separate_live_from_dead_customers(small_ws, seg_table):
    truth = truth_people(small_ws)
    alive = seg_table.merge(truth[["customer_id", "alive_at_end", "future_orders"]], on="customer_id").groupby(
        "lifecycle_stage")[["alive_at_end", "future_orders"]].mean()
    a = alive["alive_at_end"]
    assert a["active"] > a["at_risk"] > a["lapsed"] > a["lost"]
    assert a["active"] > 0.85 and a["lost"] < 0.35
    assert alive.loc["active", "future_orders"] > 3 * alive.loc["lost", "future_orders"]


def test_clusters_find_hidden_traits(small_ws, seg_table):
    truth = truth_people(small_ws)
    j = seg_table.merge(truth[["customer_id", "deal_seeker", "multichannel"]], on="customer_id")
    by = j.groupby("cluster_name")[["deal_seeker", "multichannel"]].mean()
    # the cluster richest in deal seekers holds far more of them than average; same for multi-channel shoppers
    assert by["deal_seeker"].max() > 2.5 * j["deal_seeker"].mean()
    assert by["multichannel"].max() > 2.5 * j["multichannel"].mean()


def test_abc_classes_follow_margin(small_ws, seg_table):
    s = small_ws.table("customer_summary").merge(seg_table, on="customer_id")
    m = s.groupby("abc_class")["margin_total"].sum() / s["margin_total"].clip(lower=0).sum()
    assert m["A"] == pytest.approx(0.5, abs=0.05)            # A makes the first half of the margin
    assert s.loc[s["abc_class"] == "A", "margin_total"].min() >= s.loc[s["abc_class"] == "B", "margin_total"].max()


def test_penetration_reconciles_with_the_database(small_ws):
    areas = small_ws.sql("SELECT sum(households) AS h FROM area_demographics")["h"].iloc[0]
    p = sg.penetration(small_ws, by="postal_code")
    assert p["households"].sum() == areas
    inc = sg.penetration(small_ws, by="income_band")
    age = sg.penetration(small_ws, by="age_band")
    assert inc["customers"].sum() == p["customers"].sum()
    assert inc["households"].sum() == areas and age["households"].sum() == pytest.approx(areas, rel=0.01)
    assert len(inc) == 5 and inc["share_of_households"].between(0.15, 0.25).all()
    # the synthetic client draws more customers in richer areas: the top income band beats the bottom one
    assert inc.sort_values("median_income")["index"].iloc[-1] > inc.sort_values("median_income")["index"].iloc[0]


def test_customer_values_are_read_once_per_database_state(small_ws):
    """Penetration by area, age and income reads the customer table once: a cached copy for the same database
    file and period, invalidated when the file changes; callers get their own copy."""
    import os

    sg._VALUES_CACHE.clear()
    first = sg._customer_values(small_ws, 12)
    assert len(sg._VALUES_CACHE) == 1
    first.loc[first.index[0], "revenue"] = -1.0                  # the caller's copy, not the cache
    again = sg._customer_values(small_ws, 12)
    assert len(sg._VALUES_CACHE) == 1 and again["revenue"].iloc[0] != -1.0
    direct = sg._sql.run(small_ws, "customer_period_value",
                         {"start": (small_ws.as_of - pd.DateOffset(months=12) + pd.Timedelta(days=1)).date(),
                          "as_of": small_ws.as_of.date()})
    pd.testing.assert_frame_equal(again, direct)
    sg._customer_values(small_ws, 6)                             # another period: its own entry
    assert len(sg._VALUES_CACHE) == 2
    st = small_ws.db_path.stat()
    os.utime(small_ws.db_path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    try:
        sg._customer_values(small_ws, 12)                        # the file changed: read again, oldest entry dropped
        assert len(sg._VALUES_CACHE) == 2
        assert all(k[1] == st.st_mtime_ns + 1_000_000_000 for k in list(sg._VALUES_CACHE)[-1:])
    finally:
        os.utime(small_ws.db_path, ns=(st.st_atime_ns, st.st_mtime_ns))
        sg._VALUES_CACHE.clear()
