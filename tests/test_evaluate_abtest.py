"""A/B tests: sample size and power by the textbook formulas, the subject-line test CMP08, the peeking problem."""
from __future__ import annotations

import math

import pytest
from scipy import stats

from dbmkit.evaluate import (
    ab_power,
    ab_sample_size,
    ab_test,
    campaign_outcomes,
    minimum_detectable_lift,
    peeking_simulation,
    power_curve,
)


def test_sample_size_by_hand():
    # n = (z_{α/2}·sqrt(2·p̄q̄) + z_β·sqrt(p1q1 + p2q2))² / Δ², p1 = 0.10, p2 = 0.12
    za, zb = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    pbar = 0.11
    n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(0.1 * 0.9 + 0.12 * 0.88)) ** 2 / 0.02 ** 2
    assert ab_sample_size(0.10, 0.02) == math.ceil(n)
    # a tenfold smaller lift needs about a hundred times more people
    assert ab_sample_size(0.10, 0.002) / ab_sample_size(0.10, 0.02) == pytest.approx(100, rel=0.1)


def test_power_and_minimum_detectable_lift_are_consistent():
    n = ab_sample_size(0.05, 0.01)
    assert ab_power(n, n, 0.05, 0.01) == pytest.approx(0.80, abs=0.005)
    assert minimum_detectable_lift(n, n, 0.05) == pytest.approx(0.01, rel=0.01)
    # an unbalanced split (90/10) needs more people in total for the same lift
    n_a = ab_sample_size(0.05, 0.01, ratio=9)
    assert n_a * 10 > 2 * n
    pc = power_curve(0.05, n, n)
    assert pc["power"].is_monotonic_increasing and pc["power"].iloc[0] == pytest.approx(0.05)
    with pytest.raises(ValueError, match="between 0 and 1"):
        ab_sample_size(5, 0.01)


def test_peeking_inflates_false_positives():
    r = peeking_simulation(p_base=0.1, n_per_arm=4000, looks=(1, 5, 20), n_sims=3000, seed=1).set_index("looks")
    one = r.loc[1, "share_significant"]
    se = math.sqrt(0.05 * 0.95 / 3000)
    assert abs(one - 0.05) < 4 * se                      # one look: the false-positive rate is alpha
    assert r.loc[5, "share_significant"] > 0.10         # five looks: about 14 %
    assert r.loc[20, "share_significant"] > r.loc[5, "share_significant"]
    # with a real lift, peeking is not needed to find it
    p = peeking_simulation(p_base=0.1, n_per_arm=4000, looks=(1,), lift=0.03, n_sims=500, seed=2)
    assert p["share_significant"].iloc[0] > 0.95


def test_subject_line_test_of_the_small_client(small_ws):
    out = campaign_outcomes(small_ws, "CMP08")
    ev = small_ws.sql("""SELECT customer_id, max(CASE WHEN event IN ('opened', 'clicked') THEN 1 ELSE 0 END) AS opened
                         FROM email_events WHERE campaign_id = 'CMP08' GROUP BY 1""")
    df = out[out["group"] == "treatment"].merge(ev, on="customer_id", how="left").fillna({"opened": 0})
    r = ab_test(df, "cell", ["opened", "responded"], "A", "B").set_index("outcome")
    assert set(df["cell"]) == {"A", "B"}
    # by hand: open rates of the two cells
    rates = df.groupby("cell")["opened"].mean()
    assert r.loc["opened", "value"] == pytest.approx(rates["B"])
    assert r.loc["opened", "control_value"] == pytest.approx(rates["A"])
    assert r.loc["opened", "winner"] in ("B", "A", "no clear winner")
    assert bool(r.loc["opened", "significant"]) == (r.loc["opened", "p_value"] < 0.05)
    with pytest.raises(ValueError, match="no version 'C'"):
        ab_test(df, "cell", "opened", "A", "C")
