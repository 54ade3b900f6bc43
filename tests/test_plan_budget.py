"""Budget, break-even, mailing depth, sensitivity and the statistics of the control group (dbmkit.campaign)."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import power_proportions_2indep

from dbmkit.campaign import (
    ControlGroupWarning,
    balance_check,
    breakeven_response_rate,
    control_group_check,
    decile_economics,
    detectable_lift,
    mailing_depth,
    power_at,
    sample_size,
    sensitivity_table,
    within_budget,
)


# ------------------------------------------------------------------------------------------------ break-even
def test_breakeven_is_cost_over_margin():
    # published formula: break-even response rate = cost per contact / margin per response
    assert breakeven_response_rate(0.85, 34.0) == pytest.approx(0.025)
    assert breakeven_response_rate(cost_per_contact=4.5, margin_per_response=30.0) == pytest.approx(0.15)
    s = breakeven_response_rate(pd.Series([0.02, 0.06, 0.85, 4.5], index=list("abcd")), 40.0)
    assert list(s.index) == list("abcd")
    assert s.round(6).tolist() == [0.0005, 0.0015, 0.02125, 0.1125]
    arr = breakeven_response_rate(np.array([1.0, 2.0]), np.array([10.0, 10.0]))
    assert arr.tolist() == [0.1, 0.2]


@pytest.mark.parametrize("cost, margin, word", [(1.0, 0.0, "margin_per_response"), (1.0, -5, "margin_per_response"),
                                                (-1.0, 10.0, "cost_per_contact"), (float("nan"), 10, "numbers")])
def test_breakeven_rejects_bad_input_with_a_clear_message(cost, margin, word):
    with pytest.raises(ValueError, match=word):
        breakeven_response_rate(cost, margin)


# ------------------------------------------------------------------------------------------------ deciles and depth
def _people(n=100, seed=0):
    rng = np.random.default_rng(seed)
    score = np.sort(rng.uniform(0, 0.4, n))[::-1]
    df = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(n)], "response_score": score})
    df["expected_response"] = score
    df["expected_revenue"] = score * 100
    df["expected_margin"] = score * 30
    df["contact_cost"] = 0.85
    return df


def test_decile_economics_hand_computed():
    df = _people()
    t = decile_economics(df, n_bins=10, fixed_cost=100.0)
    assert t["people"].tolist() == [10] * 10 and t["contacts"].sum() == 100
    top = df.iloc[:10]
    assert t.loc[0, "expected_responses"] == pytest.approx(top["expected_response"].sum())
    assert t.loc[0, "expected_profit"] == pytest.approx(top["expected_margin"].sum() - 8.5)
    assert t.loc[0, "roi"] == pytest.approx(t.loc[0, "expected_profit"] / 8.5)
    assert t.loc[0, "rome"] == pytest.approx(top["expected_revenue"].sum() / 8.5)
    # cumulative columns include the fixed cost once
    assert t["cum_cost"].iloc[-1] == pytest.approx(85.0 + 100.0)
    assert t["cum_profit"].iloc[-1] == pytest.approx(df["expected_margin"].sum() - 85.0 - 100.0)
    # deciles are ordered by score: the response rate falls
    assert t["response_rate"].is_monotonic_decreasing
    # the break-even rate of a decile = cost per contact / margin per response
    assert t.loc[3, "breakeven_rate"] == pytest.approx(0.85 / 30.0)


def test_decile_economics_counts_only_the_treated():
    df = _people().assign(treated=lambda d: np.arange(len(d)) % 10 != 0)     # 10 % control
    t = decile_economics(df, treated_col="treated")
    assert t["contacts"].sum() == 90 and t["people"].sum() == 100
    assert t["contact_cost"].sum() == pytest.approx(90 * 0.85)


def test_decile_economics_errors():
    with pytest.raises(KeyError, match="expected_margin"):
        decile_economics(_people().drop(columns="expected_margin"))
    with pytest.raises(ValueError, match="empty"):
        decile_economics(_people().iloc[:0])


def test_mailing_depth_max_profit_and_budget():
    df = _people()
    t = decile_economics(df, fixed_cost=50.0)
    d = mailing_depth(t, budget=80.0).set_index("rule")
    # max profit: the last decile whose margin still pays its contacts (margin per person = 30 × score ≥ 0.85)
    k = int(d.loc["max_profit", "deciles"])
    assert t.loc[k - 1, "cum_profit"] == t["cum_profit"].max()
    # within budget: cost (fixed included) ≤ 80 → at most 35 contacts → 3 whole deciles
    assert int(d.loc["within_budget", "deciles"]) == 3
    assert d.loc["within_budget", "cost"] <= 80.0
    assert bool(d.loc["max_profit", "pays_back"])
    # a budget below the fixed cost allows nothing
    assert int(mailing_depth(t, budget=40.0).set_index("rule").loc["within_budget", "deciles"]) == 0
    # a fixed cost nothing can pay back: still the depth that loses least, flagged
    big = mailing_depth(decile_economics(df, fixed_cost=10_000.0)).set_index("rule")
    assert int(big.loc["max_profit", "deciles"]) == k and not bool(big.loc["max_profit", "pays_back"])


def test_within_budget_counts_the_fixed_cost_and_skips_free_rows():
    keep = within_budget(pd.Series([1.0, 0.0, 1.0, 1.0, 0.0]), budget=3.0, fixed_cost=1.0)
    assert keep.tolist() == [True, True, True, False, False]
    assert within_budget(pd.Series([5.0]), None).all()


def test_sensitivity_table():
    t = sensitivity_table(1000, 0.05, 40.0, 0.85, fixed_cost=100.0, change=0.2).set_index("scenario")
    assert t.loc["base", "expected_profit"] == pytest.approx(1000 * (0.05 * 40 - 0.85) - 100)
    assert t.loc["response_rate +20%", "expected_profit"] == pytest.approx(1000 * (0.06 * 40 - 0.85) - 100)
    assert t.loc["cost_per_contact −20%", "expected_profit"] == pytest.approx(1000 * (0.05 * 40 - 0.68) - 100)
    profit = t["expected_profit"]
    assert profit["worst case"] < profit["base"] < profit["best case"]
    assert t.loc["base", "breakeven_rate"] == pytest.approx(0.85 / 40)
    assert len(t) == 9


# ------------------------------------------------------------------------------------------------ power
@pytest.mark.parametrize("n_t, n_c, p0, d", [(3841, 3841, 0.10, 0.02), (9000, 1000, 0.25, 0.01),
                                             (500, 5000, 0.03, 0.01), (20000, 2000, 0.18, 0.015)])
def test_power_matches_statsmodels(n_t, n_c, p0, d):
    ref = power_proportions_2indep(d, p0, n_t, ratio=n_c / n_t, alpha=0.05, alternative="two-sided").power
    assert power_at(n_t, n_c, p0, d) == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("p0, d, share", [(0.10, 0.02, 0.5), (0.25, 0.01, 0.1), (0.03, 0.005, 0.2)])
def test_sample_size_reaches_the_power(p0, d, share):
    n = sample_size(p0, d, 0.05, 0.8, control_share=share)
    assert n["n_total"] == n["n_control"] + n["n_treatment"]
    assert n["n_treatment"] / n["n_total"] == pytest.approx(1 - share, abs=0.01)
    assert power_at(n["n_treatment"], n["n_control"], p0, d) >= 0.8 - 1e-6
    # and not much more than needed
    assert power_at(n["n_treatment"] * 0.95, n["n_control"] * 0.95, p0, d) < 0.8


def test_sample_size_classic_case():
    # equal groups, 10 % → 12 %, α = 0.05 two-sided, 80 % power: 3,841 per group (normal approximation)
    assert int(sample_size(0.10, 0.02)["n_control"]) == 3841


def test_detectable_lift_inverts_power():
    d = detectable_lift(8000, 900, 0.2)
    assert power_at(8000, 900, 0.2, d) == pytest.approx(0.8, abs=1e-4)


def test_sample_size_errors():
    with pytest.raises(ValueError, match="baseline_rate"):
        sample_size(1.5, 0.01)
    with pytest.raises(ValueError, match="min_detectable_lift"):
        sample_size(0.1, 0)


def test_control_group_check_warns_when_too_small():
    with pytest.warns(ControlGroupWarning, match="too small"):
        r = control_group_check(10000, 200, 0.2, 0.01)
    assert not r["ok"] and r["power_at_plan"] < 0.8
    assert r["detectable_lift"] > 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = control_group_check(40000, 40000, 0.2, 0.01)
    assert ok["ok"] and ok["needed_control"] <= 40000
    assert power_at(40000, ok["needed_control"], 0.2, 0.01) >= 0.8 - 1e-6


# ------------------------------------------------------------------------------------------------ balance
def test_balance_check_flags_an_unbalanced_feature():
    rng = np.random.default_rng(1)
    n = 20000                     # SMD standard error ≈ 0.018: a fair feature stays far below 0.1
    g = np.where(rng.random(n) < 0.2, "control", "treatment")
    df = pd.DataFrame({"group": g, "fair": rng.normal(size=n), "biased": rng.normal(size=n) + (g == "treatment") * 0.5,
                       "flag": rng.random(n) < 0.3, "tier": rng.choice(["gold", "silver"], n)})
    b = balance_check(df, ["fair", "biased", "flag", "tier"]).set_index("feature")
    assert b.loc["fair", "balanced"] and b.loc["flag", "balanced"] and b.loc["tier = gold", "balanced"]
    assert not b.loc["biased", "balanced"] and b.loc["biased", "p_value"] < 1e-6
    assert b.loc["biased", "smd"] == pytest.approx(0.5, abs=0.1)
    with pytest.raises(KeyError, match="nope"):
        balance_check(df, ["nope"])


# ------------------------------------------------------------------------ intervals of the plan's rates and profit
def _wilson(s, n, z=1.959963984540054):
    """The Wilson score interval written out (Wilson 1927), to check the library against."""
    p = s / n
    d = 1 + z * z / n
    c, h = (p + z * z / (2 * n)) / d, z / d * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return c - h, c + h


def test_rate_bounds_hand_computed():
    from dbmkit.campaign import rate_bounds
    r = pd.DataFrame({"channel": ["email", "mail", "sms"], "treated": [1000, 400, 0],
                      "treated_rate": [0.2, 0.1, np.nan],
                      "control": [100, 0, 0], "control_rate": [0.15, np.nan, np.nan],
                      "incremental_share": [0.25, 0.10, 0.10]})
    # response basis: the Wilson interval of 200 of 1000 over the rate 0.2
    lo, hi = _wilson(200, 1000)
    assert (round(lo, 4), round(hi, 4)) == (0.1764, 0.2259)
    b = rate_bounds(r, "response").set_index("channel")
    assert b.loc["email", "k_low"] == pytest.approx(lo / 0.2) and b.loc["email", "k_high"] == pytest.approx(hi / 0.2)
    assert b.loc["mail", "evidence"] == "own" and b.loc["sms", "evidence"] == "pooled"
    lo_p, hi_p = _wilson(240, 1400)                       # sms: never used — every channel's contacts pooled
    assert b.loc["sms", "k_high"] == pytest.approx(hi_p / (240 / 1400))
    # incremental basis: Newcombe's interval of 0.2 − 0.15, divided by the treated rate
    l0, u0 = _wilson(15, 100)
    lift_lo = 0.05 - np.sqrt((0.2 - lo) ** 2 + (u0 - 0.15) ** 2)
    lift_hi = 0.05 + np.sqrt((hi - 0.2) ** 2 + (0.15 - l0) ** 2)
    assert (round(lift_lo, 4), round(lift_hi, 4)) == (-0.0361, 0.1126)
    b = rate_bounds(r, "incremental").set_index("channel")
    assert b.loc["email", "observed"] == pytest.approx(0.05)
    assert b.loc["email", "k_low"] == 0.0 and b.loc["email", "k_high"] == pytest.approx(lift_hi / 0.2)
    # mail has no control group of its own: the pooled evidence of the channels that have one (email only)
    assert b.loc["mail", "evidence"] == "pooled" and b.loc["mail", "k_high"] == pytest.approx(lift_hi / 0.2)
    assert (b["k_low"] <= b["k_point"]).all() and (b["k_point"] <= b["k_high"]).all()


def test_rate_bounds_without_past_campaigns_give_no_interval():
    from dbmkit.campaign import channel_response_rates, rate_bounds
    empty = pd.DataFrame(columns=["channel", "campaign_id", "group", "people", "buyers", "revenue", "margin",
                                  "tracked_responses"])
    for basis in ("incremental", "response"):
        b = rate_bounds(channel_response_rates(empty), basis)
        assert (b["evidence"] == "none").all() and b["k_low"].isna().all() and b["k_high"].isna().all()
    # past campaigns without any control group: the response rate has an interval, the lift has none
    h = pd.DataFrame({"channel": ["email"], "campaign_id": ["C1"], "group": ["treatment"], "people": [500],
                      "buyers": [50], "revenue": [0.0], "margin": [0.0], "tracked_responses": [0]})
    assert rate_bounds(channel_response_rates(h), "incremental")["evidence"].eq("none").all()
    assert rate_bounds(channel_response_rates(h), "response")["k_low"].notna().all()
    with pytest.raises(ValueError, match="basis"):
        rate_bounds(channel_response_rates(h), "gross")


def test_profit_bounds_hand_computed():
    from dbmkit.campaign import profit_bounds
    # four people by mail, $1.50 a contact, $10 margin and $20 revenue a response; rates 0.4 … 0.1; no fixed cost
    p = pd.DataFrame({"channel": "mail", "response_score": [0.4, 0.3, 0.2, 0.1],
                      "expected_response": [0.8, 0.6, 0.4, 0.2],
                      "planning_response": [0.4, 0.3, 0.2, 0.1], "revenue_per_response": 20.0,
                      "margin_per_response": 10.0, "contact_cost": 1.5, "treated": [True, True, True, False]})
    b = pd.DataFrame({"channel": ["mail"], "k_low": [0.25], "k_point": [0.5], "k_high": [0.8]})
    u = profit_bounds(p, b, fixed_cost=1.0).set_index("case")
    # point: margins 4, 3, 2 (the fourth is control) − 3 × 1.50 − 1 = 3.5; ROI 3.5 / 5.5
    assert u.loc["point", "expected_profit"] == pytest.approx(3.5)
    assert u.loc["point", "roi"] == pytest.approx(3.5 / 5.5)
    # low: rates halved (0.25 / 0.5) → margins 2, 1.5, 1 → 4.5 − 4.5 − 1 = −1; high: × 1.6 → 14.4 − 5.5 = 8.9
    assert u.loc["low", "expected_profit"] == pytest.approx(-1.0)
    assert u.loc["high", "expected_profit"] == pytest.approx(8.9)
    assert u.loc["low", "expected_responses"] == pytest.approx(0.45)
    # depth (4 deciles of one person): low — decile 1 alone earns 2 − 1.5 − 1 = −0.5, the least loss, and does
    # not pay back; point — deciles 1–3 (the 4th is control: adds nothing, the first maximum is kept)
    assert (u.loc["low", "best_depth"], bool(u.loc["low", "pays_back"])) == (1, False)
    assert (u.loc["point", "best_depth"], u.loc["high", "best_depth"]) == (3, 3)
    # a budget of $4 covers the fixed cost and two contacts
    assert profit_bounds(p, b, fixed_cost=1.0, budget=4.0).set_index("case").loc["high", "best_depth"] == 2
    # no evidence: the point only
    nan = b.assign(k_low=np.nan, k_high=np.nan)
    u = profit_bounds(p, nan, fixed_cost=1.0).set_index("case")
    assert u.loc["point", "expected_profit"] == pytest.approx(3.5)
    assert u.loc[["low", "high"], "expected_profit"].isna().all()


def test_plan_texts_follow_the_page_language():
    from dbmkit import i18n
    from dbmkit.campaign import CampaignSettings, channel_rule_text, offer_table, smart_goal
    s = CampaignSettings(as_of="2026-06-30", goal="Win back lapsing customers")
    before = i18n.get_language()
    try:
        i18n.set_language("zh")
        g = smart_goal(s, planned=dict(contacts=100, expected_response_rate=0.2), history_rate=0.18,
                       breakeven=0.002, history_lift=0.012)
        assert g["criterion"].tolist() == ["Specific", "Measurable", "Achievable", "Relevant", "Time-bound"]
        assert "比其对照组高+1.2个百分点" in g.loc[2, "statement"] and "计划接触100人" in g.loc[0, "statement"]
        assert offer_table().loc["WINBACK", "name"] == "老客召回：八折优惠"
        assert channel_rule_text("auto") == "自动（按预期利润）"
        i18n.set_language("en")
        assert "+1.2% points over their control groups" in smart_goal(s, history_rate=0.18, history_lift=0.012).loc[
            2, "statement"]
        assert offer_table().loc["WINBACK", "name"] == "We miss you: 20 % off"
    finally:
        i18n.set_language(before)
