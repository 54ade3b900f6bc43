"""Chapter 32's modules against hand-computed cases: interest segments, life-event triggers, loyalty economics; and
the seed case boxes."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from dbmkit import cases, interests, loyalty, triggers
from dbmkit.exercises.instructor import solutions as instructor_solutions


@pytest.mark.parametrize("name", ["dbmkit.interests", "dbmkit.triggers", "dbmkit.loyalty", "dbmkit.cases"])
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0


# ------------------------------------------------------------------------------------------------ interests
def _cp():
    d = pd.to_datetime
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c"],
        "category": ["Shoes", "Books", "Toys", "Books", "Toys", "Shoes"],
        "spend": [30.0, 30.0, 40.0, 90.0, 10.0, 50.0],
        "purchase_days": [2, 1, 1, 4, 1, 3],
        "first_day": d(["2026-01-01", "2026-03-01", "2026-03-01", "2026-01-01", "2026-02-01", "2026-02-01"]),
        "last_day": d(["2026-03-02", "2026-03-01", "2026-03-01", "2026-04-01", "2026-02-01", "2026-04-02"])})


def test_interest_segments_by_hand():
    seg = interests.interest_segments(_cp(), min_share=0.5).set_index("customer_id")
    assert seg.loc["a", "interest"] == interests.MIXED          # 40 % Toys < 50 %
    assert seg.loc["b", "interest"] == "Books" and seg.loc["b", "interest_share"] == pytest.approx(0.9)
    assert seg.loc["c", "interest"] == "Shoes" and seg.loc["c", "categories"] == 1
    shares = seg[[c for c in seg.columns if c.startswith("share:")]]
    assert shares.sum(axis=1).tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert interests.interest_segments(_cp(), min_share=0.4).set_index("customer_id").loc["a", "interest"] == "Toys"


def test_category_cycles_and_in_market_by_hand():
    cyc = interests.category_cycles(_cp(), min_buyers=1).set_index("category")
    # Books: b, 90 days over 3 gaps = 30; Shoes: a 60 days / 1 = 60 and c 60 days / 2 = 30 → median 45
    assert cyc.loc["Books", "cycle_days"] == pytest.approx(30.0)
    assert cyc.loc["Shoes", "cycle_days"] == pytest.approx(45.0)
    assert "Toys" not in cyc.index                              # nobody bought Toys twice
    assert interests.category_cycles(_cp(), min_buyers=3).empty
    m = interests.in_market(_cp(), cyc.reset_index(), "2026-05-01", due_from=0.8, due_until=1.5)
    got = set(zip(m["customer_id"], m["category"]))
    # Books: a 61 days since (2.03 cycles: gone), b 30 days (1.0: due); Shoes: a 60 days (1.33: due), c 29 (0.64)
    assert got == {("b", "Books"), ("a", "Shoes")}
    later = interests.in_market(_cp(), cyc.reset_index(), "2026-05-01", horizon_days=10)
    assert ("c", "Shoes") in set(zip(later["customer_id"], later["category"]))   # 39 days: 0.87 cycles
    with pytest.raises(ValueError):
        interests.in_market(_cp(), cyc.reset_index(), "2026-05-01", due_from=2, due_until=1)


def test_interests_on_the_small_client(small_ws):
    cp = interests.category_purchases(small_ws)
    direct = small_ws.sql("SELECT sum(i.quantity * i.unit_price - i.discount) FROM orders o JOIN order_items i "
                          "USING (order_id) JOIN products p USING (product_id) JOIN customers c "
                          "ON c.customer_id = o.customer_id WHERE o.status = 'completed' "
                          "AND NOT coalesce(c.is_test, false)").iloc[0, 0]
    assert cp["spend"].sum() == pytest.approx(direct)
    seg = interests.interest_segments(cp)
    assert seg["customer_id"].is_unique and (seg["interest_share"] <= 1).all()
    cyc = interests.category_cycles(cp)
    assert len(cyc) > 5 and (cyc["cycle_days"] > 7).all()


# ------------------------------------------------------------------------------------------------ triggers
def test_anniversaries_and_birthdays_around_the_year_end_and_29_february():
    s = pd.DataFrame({"customer_id": ["a", "b", "c", "d"],
                      "first_purchase": pd.to_datetime(["2025-01-05", "2025-12-20", "2024-01-10", "2025-12-26"])})
    # 20 December 2025 + 30 days: anniversaries of a (5 Jan, one year) and c (10 Jan, two years); not b (the day
    # itself is excluded) nor d (bought six days ago: first anniversary a year away)
    assert triggers.anniversaries(s, "2025-12-20", 30)["customer_id"].tolist() == ["a", "c"]
    c = pd.DataFrame({"customer_id": ["x", "y", "z"],
                      "birth_date": pd.to_datetime(["1988-02-29", "1990-03-05", None])})
    assert triggers.birthdays(c, "2027-02-20", 10)["customer_id"].tolist() == ["x"]        # 28 Feb in 2027
    assert triggers.birthdays(c, "2027-02-20", 14)["customer_id"].tolist() == ["x", "y"]


def test_lapse_crossings_at_the_customers_own_rhythm():
    # a: 10 purchases over 300 days → cycle 30; 40 days since: crosses 1.5 × 30 = 45 in 5 days
    # b: cycle 100, 50 days since: crosses at 150 → in 100 days (not next month); c: already past
    s = pd.DataFrame({"customer_id": ["a", "b", "c"], "frequency": [10, 3, 4], "recency": [300, 300, 200],
                      "T": [340, 350, 400], "days_since_last": [40, 50, 200]})
    got = triggers.lapse_crossings(s, days=30, at_risk_after=1.5, lost_days=365)
    assert got["customer_id"].tolist() == ["a"]
    assert got["days_to_trigger"].iloc[0] == pytest.approx(5.0)


def test_expected_count_is_the_garwood_interval():
    mean, lo, hi = triggers.expected_count([0, 0, 0, 0])
    assert mean == 0 and lo == 0 and hi == pytest.approx(3.6889 / 4, rel=1e-4)     # exact upper for 0 events
    mean, lo, hi = triggers.expected_count([5] * 12)
    assert mean == 5 and lo == pytest.approx(46.0 / 12, rel=0.02) and hi == pytest.approx(76.9 / 12, rel=0.02)
    # 1, 41, 71 and 545 days before: one in each 30-day window, oldest first; the last is outside
    counts = triggers.monthly_counts(pd.to_datetime(["2026-06-29", "2026-05-20", "2026-04-20", "2025-01-01"]),
                                     "2026-06-30", months=3)
    assert counts.tolist() == [1, 1, 1]
    assert triggers.monthly_counts(pd.to_datetime(["2026-06-29", "2026-06-01"]), "2026-06-30", 2).tolist() == [0, 2]


def test_trigger_table_in_both_languages():
    rows = {"birthday": {"next_month": 12}, "move": {"next_month": 1.5, "low": 0.5, "high": 3.0}}
    en, zh = triggers.trigger_table(rows, "en"), triggers.trigger_table(rows, "zh")
    assert en["event"].tolist() == ["Birthday", "Moving house"] and zh["event"].tolist() == ["生日", "搬家"]
    assert en["next_month"].tolist() == [12, 1.5]
    assert en["low"].isna().iloc[0] and en["low"].iloc[1] == 0.5 and en["offer"].iloc[0] != zh["offer"].iloc[0]


def test_triggers_on_the_small_client(small_ws):
    first = triggers.first_orders(small_ws)
    big, thr = triggers.big_first_orders(first, 0.9)
    assert len(big) == pytest.approx(0.1 * len(first), rel=0.1) and (big["first_order_value"] >= thr).all()
    # the synthetic records differ in street spelling, never in postal code: no moves
    assert triggers.moves(small_ws).empty


# ------------------------------------------------------------------------------------------------ loyalty
def test_breakeven_pays_exactly_for_the_benefits():
    s, n, r, f, m = 200_000.0, 150, 0.04, 12.0, 0.35
    ds = loyalty.breakeven_incremental_spend(s, n, r, f, m)
    assert m * ds == pytest.approx(r * (s + ds) + f * n)       # margin of the extra spend = benefit cost
    assert loyalty.breakeven_incremental_spend(s, n, 0.4, f, 0.35) == float("inf")


def test_tiers_economics_and_sensitivity_by_hand():
    spend = pd.DataFrame({"customer_id": [f"c{i}" for i in range(100)], "spend": np.arange(1, 101, dtype=float)})
    tiers = {"silver": (0.5, 0.02, 1.0), "gold": (0.9, 0.05, 5.0)}
    tiered, thr = loyalty.assign_tiers(spend, tiers)
    assert thr["silver"] == pytest.approx(50.5) and thr["gold"] == pytest.approx(90.1)
    assert (tiered["tier"] == "gold").sum() == 10 and (tiered["tier"] == "silver").sum() == 40
    table = loyalty.tier_table(tiered, tiers, n_boot=200)
    assert table["tier"].tolist() == ["gold", "silver", "none"]
    gold = table.set_index("tier").loc["gold"]
    assert gold["spend"] == pytest.approx(sum(range(91, 101)))
    assert gold["per_member_low"] <= gold["spend_per_member"] <= gold["per_member_high"]
    econ = loyalty.programme_economics(table, 0.3, tiers).set_index("tier")
    assert econ.loc["gold", "benefit_cost"] == pytest.approx(0.05 * 955 + 5 * 10)
    assert econ.loc["gold", "breakeven_extra_spend"] == pytest.approx((0.05 * 955 + 50) / 0.25)
    assert econ.loc["programme", "breakeven_extra_spend"] == pytest.approx(
        econ.loc[["gold", "silver"], "breakeven_extra_spend"].sum())
    sens = loyalty.sensitivity(table, rates=(0.01, 0.05), margins=(0.2, 0.4), tiers=tiers)
    assert sens.loc[0.05, 0.2] > sens.loc[0.01, 0.2] > sens.loc[0.01, 0.4]   # dearer rebate / thinner margin


def test_customer_spend_of_the_small_client(small_ws):
    sp = loyalty.customer_spend(small_ws, 12)
    start = (small_ws.as_of - pd.DateOffset(months=12) + pd.Timedelta(days=1)).date()
    direct = small_ws.sql("SELECT sum(net_amount) FROM orders o JOIN customers c USING (customer_id) "
                          "WHERE status <> 'cancelled' AND CAST(order_ts AS DATE) BETWEEN ? AND ? "
                          "AND NOT coalesce(c.is_test, false)", [start, small_ws.as_of.date()]).iloc[0, 0]
    assert sp["spend"].sum() == pytest.approx(direct, rel=0.01)       # negative totals (net returners) set to 0


# ------------------------------------------------------------------------------------------------ seed cases
def test_seed_cases_name_their_seed_and_have_both_languages():
    assert {"traditional_vs_online", "jcpenney", "appliance_gift", "hotel_call_center", "hospital_abc",
            "ecommerce_platform"} <= set(cases.SEED_CASES)
    for key, c in cases.SEED_CASES.items():
        for f in ("title", "text", "caution", "source"):
            assert c[f] and c[f + "_zh"], (key, f)
        assert c["source"].startswith("seed document 00")
        n = c["text"].count(". ") + 1
        assert 2 <= n <= 8, (key, n)
    box = cases.seed_case_box("jcpenney", "zh").data
    assert "JCPenney" in box and "来源：种子文档004" in box and "4,000多万" in box
    assert "source: seed document 004" in cases.seed_case_box("jcpenney").data
    with pytest.raises(KeyError, match="no seed case"):
        cases.seed_case_box("nope")


# ------------------------------------------------------------------------------------------------ "Your turn"
# chapter 32's exercises (redesigned in issue 15) are tested in tests/test_exercises_ch32_91.py
@pytest.mark.parametrize("ex_id", ["27.1", "27.2", "27.3"])
def test_exercise_solutions_are_accepted_and_wrong_answers_are_not(small_ws, ex_id):
    """The worked solutions, run with the chapters' variables, are accepted; a wrong answer is not."""
    import dbmkit as dbm
    from dbmkit.exercises import check, load_all
    load_all()
    s = small_ws.table("customer_summary")
    tiered, _ = loyalty.assign_tiers(loyalty.customer_spend(small_ws, 12))
    margin = float(s["margin_total"].sum() / s["monetary_total"].sum())
    ns = {"dbm": dbm, "ws": small_ws, "y": dbm.forecast.monthly_series(small_ws), "horizon": 6, "min_share": 0.4,
          "tiers": loyalty.tier_table(tiered), "margin": margin}
    context = {"27.3": {"horizon": 6}}
    exec(instructor_solutions()[ex_id]["solution"], ns)
    ctx = context.get(ex_id, {})
    assert check(ex_id, ns["answer"], small_ws, **ctx).correct is True
    wrong = "C" if isinstance(ns["answer"], str) else float(ns["answer"]) * 1.5 + 7
    assert check(ex_id, wrong, small_ws, **ctx).correct is False
    assert check(ex_id, None, small_ws, **ctx).correct is None
