"""Segments (chapter 24): lifecycle rules, k-means, profiles and names, penetration and cohorts on hand-made data,
plus properties that must always hold."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_explore_hand import TinyWS, customers, orders

from dbmkit import segments as sg


def _summary(rows):
    return pd.DataFrame(rows, columns=["customer_id", "frequency", "recency", "T", "days_since_last"])


def test_lifecycle_stage_by_hand():
    s = _summary([
        ("new", 0, 0, 40, 40),            # first purchase 40 days ago → new
        ("weekly_ok", 20, 140, 400, 7),   # cycle 7 days, 7 days since last → active (ratio 1)
        ("weekly_risk", 20, 140, 400, 14),  # ratio 2 → at risk
        ("weekly_lapsed", 20, 140, 400, 60),  # ratio 8.6 → lapsed
        ("yearly_ok", 2, 600, 700, 100),  # cycle 300 days: 100 days is normal → active
        ("one_timer", 0, 0, 300, 300),    # typical cycle of repeat buyers
        ("gone", 5, 100, 900, 800),       # beyond lost_days → lost
    ])
    st_ = sg.lifecycle_stage(s, new_days=90, at_risk_after=1.5, lapsed_after=3, lost_days=365).set_index("customer_id")
    assert st_.loc["new", "lifecycle_stage"] == "new"
    assert st_.loc["weekly_ok", "lifecycle_stage"] == "active"
    assert st_.loc["weekly_risk", "lifecycle_stage"] == "at_risk"
    assert st_.loc["weekly_lapsed", "lifecycle_stage"] == "lapsed"
    assert st_.loc["yearly_ok", "lifecycle_stage"] == "active"
    assert st_.loc["gone", "lifecycle_stage"] == "lost"
    # typical cycle = median of the own cycles of customers with ≥ 2 repeats: 7, 7, 7, 300, 20 → 7
    assert st_.loc["one_timer", "cycle_days"] == 7.0
    assert st_.loc["one_timer", "lifecycle_stage"] == "lapsed"
    assert st_.loc["yearly_ok", "cycle_ratio"] == pytest.approx(100 / 300)
    with pytest.raises(KeyError, match="customer_summary"):
        sg.lifecycle_stage(s.drop(columns="T"))
    with pytest.raises(ValueError, match="at_risk_after < lapsed_after"):
        sg.lifecycle_stage(s, at_risk_after=3, lapsed_after=2)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(30, 700), st.integers(0, 900), st.integers(1, 300))
def test_lifecycle_stage_never_improves_with_more_days_since_last(freq, recency, dsl, extra):
    """Waiting longer without a purchase can only move a customer to the same or a later stage."""
    order = {s: i for i, s in enumerate(sg.LIFECYCLE_STAGES)}
    rows = [("x", freq, recency, recency + dsl + 200, dsl),
            ("y", freq, recency, recency + dsl + extra + 200, dsl + extra),
            ("ref", 3, 90, 500, 10)]
    st_ = sg.lifecycle_stage(_summary(rows), new_days=90).set_index("customer_id")["lifecycle_stage"]
    assert order[st_["y"]] >= order[st_["x"]]


def test_kmeans_finds_planted_groups_and_orders_them_by_revenue():
    rng = np.random.default_rng(1)
    n = 150
    f = pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(3 * n)],
        "days_since_last": np.r_[rng.normal(20, 5, n), rng.normal(300, 30, n), rng.normal(60, 10, n)].clip(1),
        "n_orders": np.r_[rng.poisson(20, n), rng.poisson(2, n), rng.poisson(6, n)] + 1,
        "monetary_total": np.r_[rng.gamma(20, 200, n), rng.gamma(5, 20, n), rng.gamma(10, 60, n)],
    })
    truth = np.repeat([0, 1, 2], n)
    k_table = sg.choose_k(f, range(2, 6), seed=3)
    assert int(k_table.loc[k_table["best"], "k"].iloc[0]) == 3
    assert k_table["inertia"].is_monotonic_decreasing
    seg = sg.kmeans_segments(f, k=3, seed=3)
    ct = pd.crosstab(truth, seg["cluster"])
    assert (ct.max(axis=1) >= 0.95 * n).all()                       # each planted group is one cluster
    means = f.assign(cluster=seg["cluster"]).groupby("cluster")["monetary_total"].mean()
    assert means.is_monotonic_decreasing                             # cluster 1 = highest revenue
    again = sg.kmeans_segments(f, k=3, seed=3)                       # same data and seed → same segments
    assert (again["cluster"].to_numpy() == seg["cluster"].to_numpy()).all()
    auto = sg.kmeans_segments(f, k=None, k_range=range(2, 6), seed=3)
    assert auto.attrs["k"] == 3 and "k_table" in auto.attrs
    # on big bases the centres are fitted on a sample and everyone is assigned: the same segments
    sampled = sg.kmeans_segments(f, k=3, seed=3, max_fit=200)
    assert (sampled["cluster"].to_numpy() == seg["cluster"].to_numpy()).mean() > 0.97


def test_profile_and_names():
    d = pd.DataFrame({"cluster": [1, 1, 2, 2, 3, 3], "spend": [300.0, 100.0, 50.0, 150.0, 0.0, 0.0]})
    p = sg.profile(d, columns=["spend"])
    assert p["customers"].tolist() == [2, 2, 2] and p["spend"].tolist() == [200.0, 100.0, 0.0]
    pi = sg.profile(d, columns=["spend"], index=True)
    assert pi["spend"].tolist() == pytest.approx([200.0, 100.0, 0.0])
    idx = pd.DataFrame({"cluster": [1, 2, 3, 4], "customers": 1, "share": 0.25,
                        "days_since_last": [40, 150, 180, 20], "n_orders": [200, 140, 30, 40],
                        "monetary_total": [220, 160, 20, 30], "avg_order_value": [110, 100, 80, 90],
                        "T": [120, 110, 115, 20], "channels_used": [100, 100, 100, 100],
                        "discount_share": [90, 100, 110, 80], "return_share": [100, 90, 100, 80]})
    names = sg.name_segments(idx)
    assert names == {1: "High-value loyal", 2: "Valuable but slipping", 3: "Dormant one-timers", 4: "New customers"}
    assert sg.name_segments(idx, language="zh")[1] == "高价值忠诚客户"
    assert len(set(sg.name_segments(pd.concat([idx, idx.assign(cluster=[5, 6, 7, 8])])).values())) == 8


def test_age_band():
    b = sg.age_band(pd.Series(pd.to_datetime(["2010-01-01", "2000-06-30", "2000-07-01", None])), "2026-06-30")
    assert b.tolist() == ["under 18", "25–34", "25–34", "unknown"]
    assert sg.age_band(pd.Series(pd.to_datetime(["2001-07-01"])), "2026-06-30").tolist() == ["18–24"]


def _areas_ws():
    areas = pd.DataFrame({"postal_code": ["A1", "B2", "C3"], "city": ["X", "X", "Y"], "households": [1000, 2000, 1000],
                          "population": [2500, 5000, 2000], "median_income": [40000.0, 60000.0, 90000.0],
                          "age_18_34": [0.5, 0.2, 0.3], "age_35_54": [0.3, 0.4, 0.3], "age_55_plus": [0.2, 0.4, 0.4]})
    cust = customers(["a", "b", "c", "d", "e", "f"], postal_code=["A1", "A1", "B2", "C3", "C3", "ZZ"],
                     birth_date=[pd.Timestamp(x) for x in ["2000-01-01", "1980-01-01", "1960-01-01", "1995-05-05",
                                                           "1970-01-01", "1990-01-01"]],
                     gender=["F", "M", "F", "M", None, "F"])
    o = orders([("1", "a", "2024-05-01", 100, "completed"), ("2", "c", "2024-06-01", 50, "completed"),
                ("3", "d", "2023-01-01", 999, "completed"),      # outside the 12 months
                ("4", "e", "2024-02-01", 30, "completed"), ("5", "f", "2024-03-01", 70, "completed")])
    return TinyWS({"customers": cust, "orders": o, "area_demographics": areas}, "2024-06-30")


def test_penetration_by_postal_area_by_hand():
    ws = _areas_ws()
    p = sg.penetration(ws, by="postal_code").set_index("postal_code")
    # customers per household: A1 2/1000, B2 1/2000, C3 2/1000; average 5/4000 (f lives outside the known areas)
    assert p.loc["A1", "customers_per_household"] == pytest.approx(0.002)
    assert p.loc["A1", "index"] == pytest.approx(100 * 0.002 / (5 / 4000))
    assert p.loc["B2", "index"] == pytest.approx(100 * 0.0005 / (5 / 4000))
    assert p.loc["C3", "sales_per_household"] == pytest.approx(30 / 1000)       # d's old order is outside 12 months
    assert p.loc["A1", "sales_index"] == pytest.approx(100 * (100 / 1000) / (180 / 4000))
    city = sg.penetration(ws, by="city").set_index("city")
    assert city.loc["X", "customers"] == 3 and city.loc["X", "households"] == 3000


def test_penetration_by_age_and_income_by_hand():
    ws = _areas_ws()
    a = sg.penetration(ws, by="age_band").set_index("age_band")
    # households per band = Σ households × share: 18–34: 500 + 400 + 300
    assert a.loc["18–34", "households"] == pytest.approx(1200)
    # ages on 2024-06-30 (known areas only): a 24, b 44, c 64, d 29, e 54 → 18–34: a, d; 35–54: b, e; 55+: c
    assert a["customers"].to_dict() == {"18–34": 2, "35–54": 2, "55+": 1}
    assert a.loc["35–54", "index"] == pytest.approx(100 * (2 / 1400) / (5 / 4000))
    inc = sg.penetration(ws, by="income_band", n_bands=2).sort_values("median_income")
    # two bands of about equal households: cumulative shares 0.25 (A1), 0.75 (B2), 1 (C3) → A1 | B2 + C3
    assert inc["households"].tolist() == [1000, 3000] and inc["customers"].tolist() == [2, 3]
    assert inc["income_band"].tolist() == ["1: 40k–40k", "2: 60k–90k"]
    with pytest.raises(ValueError, match="postal_code"):
        sg.penetration(ws, by="shoe_size")


def test_demographic_segments_add_up():
    ws = _areas_ws()
    d = sg.demographic_segments(ws, months=12)
    assert d["customers"].sum() == 6
    assert d.loc[(d["age_band"] == "18–24") & (d["gender"] == "F"), "revenue"].iloc[0] == 100.0
    assert "unknown" in set(d["gender"])                        # e has no gender
    assert (d["revenue"].sum() / d["customers"].sum()) == pytest.approx(250 / 6)


def test_cohort_retention_by_hand():
    cust = customers(["a", "b", "c"])
    o = orders([("1", "a", "2024-01-05", 10, "completed"), ("2", "a", "2024-02-05", 10, "completed"),
                ("3", "b", "2024-01-20", 10, "completed"), ("4", "b", "2024-03-01", 10, "completed"),
                ("5", "c", "2024-02-10", 10, "completed"), ("6", "c", "2024-03-10", 10, "cancelled")])
    ws = TinyWS({"customers": cust, "orders": o}, "2024-03-31")
    c = sg.cohort_retention(ws, "month").set_index(["cohort", "period_index"])
    jan, feb = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-02-01")
    assert c.loc[(jan, 0), "customers"] == 2 and c.loc[(jan, 1), "retention"] == 0.5
    assert c.loc[(jan, 2), "retention"] == 0.5 and c.loc[(feb, 0), "cohort_size"] == 1
    assert (feb, 1) not in c.index                               # c's March order was cancelled
