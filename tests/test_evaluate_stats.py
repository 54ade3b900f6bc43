"""compare_groups and its intervals against published and hand-computed values; srm_check; properties."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dbmkit.evaluate import (
    compare_groups,
    holm_adjust,
    newcombe_interval,
    srm_check,
    two_proportion_p_value,
    welch_interval,
    wilson_interval,
)


# --- Wilson: Newcombe (1998a), Statistics in Medicine 17:857, Table I, method 3 (score interval)
@pytest.mark.parametrize("s,n,lo,hi", [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
                                       (1, 29, 0.0061, 0.1718), (29, 29, 0.8830, 1.0)])
def test_wilson_matches_newcombe_table(s, n, lo, hi):
    got = wilson_interval(s, n)
    assert got == pytest.approx((lo, hi), abs=5e-5)


def test_wilson_by_hand():
    # p = 0.3, n = 100, z = 1.959964: centre (p + z²/2n)/(1 + z²/n), half z/(1 + z²/n)·sqrt(p(1-p)/n + z²/4n²)
    z = stats.norm.ppf(0.975)
    d = 1 + z * z / 100
    centre = (0.3 + z * z / 200) / d
    half = z / d * math.sqrt(0.3 * 0.7 / 100 + z * z / 40000)
    assert wilson_interval(30, 100) == pytest.approx((centre - half, centre + half), abs=1e-12)


# --- Newcombe hybrid score interval: Newcombe (1998b), Statistics in Medicine 17:873, Table II, method 10
@pytest.mark.parametrize("case,expected", [
    ((56, 70, 48, 80), (0.0524, 0.3339)), ((9, 10, 3, 10), (0.1705, 0.8090)), ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)), ((0, 10, 0, 20), (-0.1611, 0.2775)), ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0)), ((10, 10, 0, 10), (0.6075, 1.0))])
def test_newcombe_matches_published_table(case, expected):
    assert newcombe_interval(*case) == pytest.approx(expected, abs=5e-5)


def test_pooled_z_test_equals_chi_square_without_correction():
    table = np.array([[56, 14], [48, 32]])
    chi2, p, _, _ = stats.chi2_contingency(table, correction=False)
    assert two_proportion_p_value(56, 70, 48, 80) == pytest.approx(p, rel=1e-10)


def test_welch_by_hand_and_against_scipy():
    x, y = np.array([1.0, 2, 3, 4]), np.array([1.0, 1, 2, 2])
    # by hand: means 2.5 and 1.5; variances 5/3 and 1/3; se² = 5/12 + 1/12 = 0.5
    v1, v2 = 5 / 3 / 4, 1 / 3 / 4
    df = (v1 + v2) ** 2 / (v1 ** 2 / 3 + v2 ** 2 / 3)
    assert df == pytest.approx(4.153846, rel=1e-6)
    t = stats.t.ppf(0.975, df)
    d, lo, hi, p = welch_interval(x, y)
    assert (d, lo, hi) == pytest.approx((1.0, 1 - t * math.sqrt(0.5), 1 + t * math.sqrt(0.5)), abs=1e-12)
    assert p == pytest.approx(stats.ttest_ind(x, y, equal_var=False).pvalue, rel=1e-10)


def test_compare_groups_rates_and_means_by_hand():
    df = pd.DataFrame({"group": ["control"] * 80 + ["treatment"] * 70,
                       "responded": [1] * 48 + [0] * 32 + [1] * 56 + [0] * 14,
                       "revenue": np.r_[np.arange(80) * 1.0, np.arange(70) * 2.0]})
    r = compare_groups(df, "group", ["responded", "revenue"], "control").set_index("outcome")
    assert list(r.columns[:3]) == ["group", "kind", "n"] or "group" in r.columns
    rr = r.loc["responded"]
    assert rr["kind"] == "proportion" and rr["n"] == 70 and rr["control_n"] == 80
    assert rr["value"] == pytest.approx(0.8) and rr["control_value"] == pytest.approx(0.6)
    assert rr["abs_lift"] == pytest.approx(0.2) and rr["rel_lift"] == pytest.approx(0.2 / 0.6)
    assert (rr["ci_low"], rr["ci_high"]) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert rr["incremental"] == pytest.approx(0.2 * 70)
    rv = r.loc["revenue"]
    assert rv["kind"] == "mean"
    assert rv["value"] == pytest.approx(69.0) and rv["control_value"] == pytest.approx(39.5)
    d, lo, hi, p = welch_interval(np.arange(70) * 2.0, np.arange(80) * 1.0)
    assert (rv["abs_lift"], rv["ci_low"], rv["ci_high"], rv["p_value"]) == pytest.approx((d, lo, hi, p))


def test_several_treatment_groups_against_one_control():
    df = pd.DataFrame({"cell": ["CTRL"] * 100 + ["A"] * 100 + ["B"] * 100,
                       "responded": [1] * 10 + [0] * 90 + [1] * 15 + [0] * 85 + [1] * 30 + [0] * 70})
    r = compare_groups(df, "cell", "responded", "CTRL")
    assert r["group"].tolist() == ["A", "B"]
    assert r["abs_lift"].round(6).tolist() == [0.05, 0.2]
    assert (r["control_value"] == 0.1).all()
    assert r.loc[1, "p_value"] < 0.001 < r.loc[0, "p_value"]
    assert list(r.columns) == ["group", "outcome", "kind", "n", "control_n", "value", "control_value", "abs_lift",
                               "rel_lift", "ci_low", "ci_high", "p_value", "incremental"]


def test_breakdown_adds_holm_adjustment_and_small_cell_notes():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"group": np.where(rng.random(3000) < 0.2, "control", "treatment"),
                       "channel": rng.choice(["email", "sms", "mail"], 3000, p=[0.6, 0.38, 0.02])})
    df["responded"] = (rng.random(3000) < 0.1).astype(int)
    r = compare_groups(df, "group", "responded", "control", by="channel")
    assert r["channel"].tolist() == ["email", "mail", "sms"]
    assert (r["p_adjusted"] >= r["p_value"] - 1e-12).all()
    assert r.set_index("channel").loc["mail", "note"].startswith("small cell")
    assert r.set_index("channel").loc["email", "note"] == ""


def test_slice_without_control_is_reported_not_dropped():
    df = pd.DataFrame({"group": ["control", "treatment", "treatment", "treatment"],
                       "channel": ["email", "email", "email", "phone"], "responded": [0, 1, 0, 1]})
    r = compare_groups(df, "group", "responded", "control", by="channel").set_index("channel")
    assert math.isnan(r.loc["phone", "abs_lift"])
    assert r.loc["phone", "note"].startswith("no control")


def test_bootstrap_interval_is_close_to_welch_for_large_samples():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"group": ["control"] * 2000 + ["treatment"] * 2000,
                       "revenue": np.r_[rng.exponential(50, 2000), rng.exponential(55, 2000)]})
    w = compare_groups(df, "group", "revenue", "control").iloc[0]
    b = compare_groups(df, "group", "revenue", "control", bootstrap=2000, seed=3).iloc[0]
    assert b["ci_low"] == pytest.approx(w["ci_low"], abs=0.6)
    assert b["ci_high"] == pytest.approx(w["ci_high"], abs=0.6)


@pytest.mark.parametrize("kwargs,exc,text", [
    (dict(group_col="grp", outcomes="responded", control="control"), KeyError, "no column"),
    (dict(group_col="group", outcomes="responded", control="ctrl"), ValueError, "no control group 'ctrl'"),
    (dict(group_col="group", outcomes="channel", control="control"), ValueError, "not numeric"),
])
def test_bad_input_gives_clear_errors(kwargs, exc, text):
    df = pd.DataFrame({"group": ["control", "treatment"], "responded": [0, 1], "channel": ["email", "sms"]})
    with pytest.raises(exc, match=text):
        compare_groups(df, **kwargs)


def test_holm_by_hand():
    # sorted 0.01, 0.03, 0.04 → 3·0.01, max(0.03, 2·0.03), max(0.06, 1·0.04)
    assert holm_adjust([0.04, 0.01, 0.03, np.nan]).round(6).tolist()[:3] == [0.06, 0.03, 0.06]


def test_srm_check_flags_a_broken_split():
    ok = pd.DataFrame({"group": ["treatment"] * 9000 + ["control"] * 1000})
    bad = pd.DataFrame({"group": ["treatment"] * 9300 + ["control"] * 700})
    exp = {"treatment": 0.9, "control": 0.1}
    assert not srm_check(ok, expected=exp)["srm"].any()
    r = srm_check(bad, expected=exp)
    assert r["srm"].all()
    # by hand: chi² = 300²/9000 + 300²/1000 = 10 + 90 = 100
    assert r["chi2"].iloc[0] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="not in `expected`"):
        srm_check(ok, expected={"treatment": 1.0})


@settings(max_examples=60, deadline=None)
@given(s1=st.integers(0, 200), extra1=st.integers(0, 200), s2=st.integers(0, 200), extra2=st.integers(0, 200))
def test_interval_properties(s1, extra1, s2, extra2):
    n1, n2 = s1 + extra1, s2 + extra2
    if n1 == 0 or n2 == 0:
        return
    lo, hi = wilson_interval(s1, n1)
    assert 0 <= lo <= s1 / n1 <= hi <= 1
    dlo, dhi = newcombe_interval(s1, n1, s2, n2)
    assert -1 <= dlo <= s1 / n1 - s2 / n2 <= dhi <= 1


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_matter(seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"group": rng.choice(["control", "A", "B"], 300), "responded": rng.integers(0, 2, 300),
                       "revenue": rng.exponential(20, 300)})
    a = compare_groups(df, "group", ["responded", "revenue"], "control")
    b = compare_groups(df.sample(frac=1, random_state=seed), "group", ["responded", "revenue"], "control")
    pd.testing.assert_frame_equal(a, b)
