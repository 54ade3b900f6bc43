"""Uncertainty where decisions are made: intervals and empirical-Bayes shrinkage (dbmkit.uncertainty) against
hand-computed values and simulated cells with a known truth; the RFM cells, the uplift deciles, the campaign's ROI,
the lessons and the index page's key-number cards carry them."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dbmkit import rfm
from dbmkit.evaluate import campaign_economics, lessons, targeting_plan, targeting_summary
from dbmkit.uncertainty import (
    beta_binomial_prior,
    difference_variance,
    newcombe_interval,
    shrink_differences,
    shrink_rates,
    wilson_interval,
)


# ------------------------------------------------------------------------------------------------ by hand
def test_beta_binomial_prior_by_hand():
    # rates 0.1 … 0.4 on 100 each: m = 0.25; weighted variance of the rates (n/(n−1) corrected) = 0.0125·4/3;
    # binomial noise m(1−m)·Σw/n = 0.1875·0.01; ρ = (obs − noise) / (m(1−m)(1 − 0.01)); a + b = 1/ρ − 1
    obs, noise = 0.0125 * 4 / 3, 0.1875 * 0.01
    rho = (obs - noise) / (0.1875 * 0.99)
    a, b = beta_binomial_prior([10, 20, 30, 40], [100, 100, 100, 100])
    assert a / (a + b) == pytest.approx(0.25)
    assert a + b == pytest.approx(1 / rho - 1, rel=1e-9)
    # groups that vary no more than noise: everyone is shrunk (almost) all the way to the overall rate
    a, b = beta_binomial_prior([25, 25, 25, 25], [100, 100, 100, 100])
    assert a + b > 1e5


def test_shrink_rates_is_the_beta_posterior():
    r = shrink_rates([1, 50, 0], [4, 200, 10], prior=(2.0, 8.0))
    assert r["shrunk"].tolist() == pytest.approx([3 / 14, 52 / 210, 2 / 20])
    assert r["shrunk_low"].iloc[0] == pytest.approx(stats.beta.ppf(0.025, 3, 11))
    assert r["shrunk_high"].iloc[2] == pytest.approx(stats.beta.ppf(0.975, 2, 18))
    assert (r["low"].iloc[1], r["high"].iloc[1]) == pytest.approx(wilson_interval(50, 200))
    assert r["weight"].tolist() == pytest.approx([4 / 14, 200 / 210, 10 / 20])


def test_difference_variance_by_hand():
    # the cell's treated rate stands in for both groups: 0.2·0.8·(1/100 + 1/25)
    assert difference_variance(0.2, 100, 25) == pytest.approx(0.16 * 0.05)
    assert difference_variance([0.1, 0.5], [10, 40], [2, 10]).tolist() == pytest.approx([0.09 * 0.6, 0.25 * 0.125])


def _hierarchical(d, v, taus):
    """The eight-schools computation written out cell by cell (BDA3 §5.4): p(τ | d), then E[θ_i | d]."""
    post, means = [], []
    for tau in taus:
        w = 1 / (v + tau ** 2)
        mu = (w * d).sum() / w.sum()
        vmu = 1 / w.sum()
        post.append(math.sqrt(vmu) * np.prod(1 / np.sqrt(v + tau ** 2) * np.exp(-(d - mu) ** 2 / (2 * (v + tau ** 2)))))
        b = tau ** 2 / (tau ** 2 + v)
        means.append(mu + b * (d - mu))
    post = np.array(post) / sum(post)
    return post @ np.array(means)


def test_shrink_differences_by_hand():
    d, v = np.array([0.30, -0.10, 0.05]), np.array([0.001, 0.001, 0.004])
    r = shrink_differences(np.r_[d, np.nan], np.r_[v, np.nan])
    taus = np.linspace(0, 3 * np.std(d), 200)
    assert r["shrunk"].iloc[:3].tolist() == pytest.approx(_hierarchical(d, v, taus).tolist(), abs=1e-9)
    # the DerSimonian–Laird moment estimate of τ², reported beside
    w = 1 / v
    q = (w * (d - (w * d).sum() / w.sum()) ** 2).sum()
    assert r.attrs["tau2"] == pytest.approx((q - 2) / (w.sum() - (w ** 2).sum() / w.sum()))
    assert r["shrunk_low"].iloc[0] == pytest.approx(r["shrunk"].iloc[0] - stats.norm.ppf(0.975) * r["se"].iloc[0])
    assert (r["se_own"] ** 2 + r["se_common"] ** 2).tolist() == pytest.approx((r["se"] ** 2).tolist())
    # no estimate (no control group): the common mean, no weight of its own, the widest interval
    assert r["shrunk"].iloc[3] == pytest.approx(r.attrs["mu"]) and r["weight"].iloc[3] == 0
    assert r["se"].iloc[3] > r["se"].iloc[:3].max()
    # eight schools (Rubin 1981; BDA3 table 5.2): the posterior means lie between 5 and 10, school A's near 10
    y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
    s = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
    e = shrink_differences(y, s ** 2, grid=400)
    assert 9 < e["shrunk"].iloc[0] < 11.5 and (e["shrunk"].between(4.5, 11.5)).all()
    assert e.attrs["tau2"] == 0 and 7.5 < e.attrs["mu"] < 8.5


# ------------------------------------------------------------------------------------------------ simulation
def _cells(seed=7, k=300):
    """Simulated RFM cells: true control rates and true incremental rates, small control groups."""
    rng = np.random.default_rng(seed)
    p0 = rng.uniform(0.03, 0.3, k)
    theta = rng.normal(0.02, 0.015, k)
    n1, n0 = rng.integers(30, 400, k), rng.integers(3, 45, k)
    s1 = rng.binomial(n1, np.clip(p0 + theta, 0, 1))
    s0 = rng.binomial(n0, p0)
    return theta, s1, n1, s0, n0


def test_shrinkage_is_closer_to_the_truth_and_lifts_the_winners_curse():
    theta, s1, n1, s0, n0 = _cells()
    raw = s1 / n1 - s0 / n0
    r = shrink_differences(raw, difference_variance(shrink_rates(s1, n1)["shrunk"], n1, n0))
    mse_raw, mse_shrunk = np.mean((raw - theta) ** 2), np.mean((r["shrunk"] - theta) ** 2)
    assert mse_shrunk < 0.2 * mse_raw
    # the 20 cells with the best raw estimate: their raw estimate overstates their truth by far, the shrunk one not
    top = np.argsort(-raw)[:20]
    bias_raw = raw[top].mean() - theta[top].mean()
    bias_shrunk = r["shrunk"].to_numpy()[top].mean() - theta[top].mean()
    assert bias_raw > 0.15 and abs(bias_shrunk) < bias_raw / 5
    # the shrunk intervals cover the truth about as often as they say (95 %)
    covered = ((r["shrunk_low"] <= theta) & (theta <= r["shrunk_high"])).mean()
    assert 0.85 <= covered <= 1.0
    assert r.attrs["mu"] == pytest.approx(theta.mean(), abs=0.005)          # the common mean is not biased


def test_beta_binomial_shrinkage_is_closer_to_the_truth():
    rng = np.random.default_rng(3)
    p = rng.beta(4, 36, 400)
    n = rng.integers(5, 80, 400)
    s = rng.binomial(n, p)
    r = shrink_rates(s, n)
    assert np.mean((r["shrunk"] - p) ** 2) < 0.6 * np.mean((r["rate"] - p) ** 2)
    a, b = beta_binomial_prior(s, n)
    assert a / (a + b) == pytest.approx(0.1, abs=0.01) and 15 < a + b < 90      # the prior is Beta(4, 36): 40


# ------------------------------------------------------------------------------------------------ RFM cells
def _contacts():
    rows = []
    for cell, n1, s1, n0, s0 in (("555", 200, 60, 20, 4), ("311", 40, 8, 3, 0), ("111", 60, 3, 0, 0),
                                 ("444", 120, 30, 12, 2)):
        for g, n, s in (("treatment", n1, s1), ("control", n0, s0)):
            rows += [dict(rfm_cell=cell, group=g, responded=i < s, response_revenue=100.0 * (i < s),
                          response_margin=40.0 * (i < s), contact_cost=0.5 * (g == "treatment")) for i in range(n)]
    return pd.DataFrame(rows)


def test_cell_table_carries_intervals_and_shrunk_rates():
    cells = rfm.rfm_cell_table(_contacts()).set_index("rfm_cell")
    lo, hi = newcombe_interval(60, 200, 4, 20)
    assert (cells.loc["555", "incremental_rate_low"], cells.loc["555", "incremental_rate_high"]) == \
        pytest.approx((lo, hi))
    assert (cells.loc["311", "response_rate_low"], cells.loc["311", "response_rate_high"]) == \
        pytest.approx(wilson_interval(8, 40))
    treated = shrink_rates([60, 8, 3, 30], [200, 40, 60, 120])["shrunk"].to_numpy()
    inc = shrink_differences([0.1, 8 / 40, 0.25 - 2 / 12, np.nan],
                             difference_variance(treated[[0, 1, 3, 2]], [200, 40, 120, 60], [20, 3, 12, 0]))
    own_rate = np.array([60 / 200, 8 / 40, 30 / 120, 3 / 60])
    assert cells.loc[["555", "311", "444", "111"], "incremental_shrunk"].tolist() == pytest.approx(
        np.minimum(inc["shrunk"], own_rate).tolist())
    # no control group: no raw incremental rate, the overall one as its shrunk estimate — but never more than the
    # cell's own response rate (3 of 60 bought: the contact cannot have caused more)
    assert np.isnan(cells.loc["111", "incremental_rate"]) and cells.loc["111", "shrink_weight"] == 0
    assert inc.attrs["mu"] > 0.05 and cells.loc["111", "incremental_shrunk"] == pytest.approx(0.05)
    assert (cells["incremental_shrunk_low"] <= cells["incremental_shrunk"]).all()


def test_selection_on_the_lower_bound_and_the_promise_with_its_interval():
    cells = rfm.rfm_cell_table(_contacts()).assign(customers_now=[100, 50, 80, 30])
    shrunk = rfm.breakeven_cells(cells, 0.5, rate="incremental_shrunk", min_contacts=30)
    strict = rfm.breakeven_cells(cells, 0.5, rate="incremental_shrunk", min_contacts=30,
                                 select_on="incremental_shrunk_low")
    assert strict["selected"].sum() <= shrunk["selected"].sum()
    assert (strict.loc[strict["selected"], "incremental_shrunk_low"] * strict["margin_used"].iloc[0] > 0.5).all()
    s = rfm.selection_summary({"shrunk": shrunk})["shrunk"]
    sel = shrunk[shrunk["selected"]]
    se = math.sqrt((sel["expected_profit_se"] ** 2).sum() + sel["expected_profit_se_common"].sum() ** 2)
    assert s["expected profit"] == pytest.approx(sel["expected_profit"].sum())
    assert s["profit CI high"] - s["profit CI low"] == pytest.approx(2 * stats.norm.ppf(0.975) * se)


def test_winners_curse_table_ranks_by_the_raw_rate():
    cells = rfm.rfm_cell_table(_contacts())
    wc = rfm.winners_curse(cells, top=2, min_contacts=30)
    assert wc["rfm_cell"].tolist() == ["311", "555", "all cells"]        # 311: +20 points on 3 controls
    assert wc.attrs["cells"] == 3
    note = rfm.winners_curse_note(wc).data
    assert "winner's curse" in note and f"{100 * wc['incremental_rate'].iloc[:2].mean():+.1f} points" in note
    sels = {"shrunk": rfm.breakeven_cells(cells.assign(customers_now=10), 0.5, rate="incremental_shrunk"),
            "raw": rfm.breakeven_cells(cells.assign(customers_now=10), 0.5, rate="incremental_rate")}
    mu, se = cells.attrs["incremental_mu"], cells.attrs["incremental_mu_se"]
    text = rfm.selection_note(sels, cells, 0.5 / 40, "shrunk", raw="raw", currency="$").data
    assert f"{100 * mu:+.2f} points" in text and f"{100 * (mu - 1.959964 * se):+.2f} points" in text
    assert "break-even rate of 1.25 %" in text and "winner's curse" in text


# ------------------------------------------------------------------------------------------------ the campaign
def _results(seed=0):
    rng = np.random.default_rng(seed)
    n = 2000
    g = np.where(rng.random(n) < 0.1, "control", "treatment")
    resp = (rng.random(n) < np.where(g == "treatment", 0.12, 0.10)).astype(int)
    margin = resp * rng.gamma(2.0, 20.0, n)
    return pd.DataFrame({"group": g, "channel": "email", "responded": resp, "revenue": margin * 2.5,
                         "margin": margin})


def test_roi_interval_is_the_profit_interval_over_the_cost():
    e = campaign_economics(_results(), cost_per_contact={"email": 0.5}, fixed_cost=100.0).iloc[0]
    assert e["roi_ci_low"] == pytest.approx(e["incremental_profit_ci_low"] / e["cost"])
    assert e["roi_ci_high"] == pytest.approx(e["incremental_profit_ci_high"] / e["cost"])
    assert e["roi_ci_low"] <= e["roi"] <= e["roi_ci_high"]


def test_lessons_say_when_we_cannot_tell_whether_it_paid():
    e = campaign_economics(_results(), cost_per_contact={"email": 0.5}, fixed_cost=100.0)
    e = e.assign(incremental_profit=951.0, incremental_profit_ci_low=-46788.0, incremental_profit_ci_high=48691.0)
    money = lessons(e, currency="$").set_index("topic").loc["money"]
    assert money["finding"] == ("we cannot tell whether the campaign made money: the 95 % interval spans a loss of "
                                "$46,788 to a profit of $48,691")
    assert "probably" not in money["finding"] and "do not roll out" in money["action"]
    assert "90 % interval" in lessons(e, currency="$", alpha=0.1).set_index("topic").loc["money", "finding"]


def test_targeting_decides_on_the_lower_bound_and_flags_a_badly_calibrated_model():
    d = pd.DataFrame({"decile": [1, 2, 3, 4], "n": [500] * 4, "predicted_uplift": [0.08, 0.07, 0.02, -0.01],
                      "observed_uplift": [0.01, 0.02, 0.0, 0.01], "ci_low": [-0.03, -0.02, -0.04, -0.03],
                      "ci_high": [0.05, 0.06, 0.04, 0.05]})
    plan = targeting_plan(d, 40.0, 0.5)
    assert plan["target_model"].tolist() == [True, True, True, False]
    assert not plan["target"].any() and set(plan["decision"]) == {"test again"}
    s = targeting_summary(plan)
    assert s["projected_profit"] == pytest.approx(500 * ((0.08 + 0.07 + 0.02) * 40 - 1.5))
    assert s["observed_profit"] == pytest.approx(500 * ((0.01 + 0.02 + 0.0) * 40 - 1.5))
    half = np.array([0.04, 0.04, 0.04]) * 40 * 500 / stats.norm.ppf(0.975)
    assert s["observed_profit_ci_high"] - s["observed_profit"] == pytest.approx(
        stats.norm.ppf(0.975) * math.sqrt((half ** 2).sum()))
    assert s["deciles_missing_prediction"] == 2 and s["calibration_slope"] < 0.5
    from dbmkit.evaluate import targeting_advice
    text = targeting_advice(plan, d.assign(share_do_not_disturb=[0.08, 0.1, 0.09, 0.11]), qini=0.02,
                            qini_truth=0.149, currency="$").data
    assert "badly calibrated" in text and "ranks far worse" in text and "0.020, against 0.149" in text
    assert "no decile pays at the lower end" in text and "does not concentrate them" in text


# ------------------------------------------------------------------------------------------------ the index page
KPIS = {"campaign_roi": 0.389, "campaign_roi_ci_low": -4.21, "campaign_roi_ci_high": 4.52, "campaign_p_value": 0.095,
        "campaign_alpha": 0.05, "campaign_lift": 0.012, "campaign_lift_ci_low": -0.002, "campaign_lift_ci_high": 0.026,
        "campaign_incremental_profit": 951.0, "campaign_incremental_profit_ci_low": -46788.0,
        "campaign_incremental_profit_ci_high": 48691.0, "email_open_rate": 0.25, "email_open_rate_ci_low": 0.24,
        "email_open_rate_ci_high": 0.26, "persons": 2500}


def _index(tmp_path, kpis, lang="en"):
    from dbmkit.config import ClientConfig
    from dbmkit.report.index import index_html
    from dbmkit.report.result import ReportResult
    cfg = ClientConfig.model_validate({"client": "t", "data": {"synthetic": {"n_people": 100}}})
    return index_html(ReportResult(out=tmp_path, client="t", kpis=kpis), cfg, "2026-06-30", lang, "USD")


def _card(page, key):
    start = page.index(f'data-kpi="{key}"')
    return page[start:page.index('<div class="l">', start)]


def test_index_cards_show_intervals_and_significance(tmp_path):
    page = _index(tmp_path, KPIS)
    roi = _card(page, "campaign_roi")
    assert "38.9 %" in roi and "95 % CI −421.0 % to 452.0 %" in roi and "lift not significant (p = 0.095)" in roi
    assert "not significant (p = 0.095)" in _card(page, "campaign_lift") and "lift not" not in _card(page,
                                                                                                   "campaign_lift")
    assert "$951" in _card(page, "campaign_incremental_profit") and "46,788" in _card(page,
                                                                                     "campaign_incremental_profit")
    assert "95 % CI 24.0 % to 26.0 %" in _card(page, "email_open_rate") and "badge" not in _card(page,
                                                                                                 "email_open_rate")
    assert "CI" not in _card(page, "persons")
    # the interval is on its number's card, not a card of its own (it stays in the table of all key numbers)
    assert 'data-kpi="campaign_roi_ci_low"' not in page and "campaign_roi_ci_low" in page
    sig = _index(tmp_path, {**KPIS, "campaign_p_value": 0.003})
    assert "lift significant (p = 0.003)" in _card(sig, "campaign_roi") and "not significant" not in sig
    zh = _index(tmp_path, KPIS, "zh")
    assert "提升不显著（p = 0.095）" in _card(zh, "campaign_roi") and "95 %置信区间" in _card(zh, "campaign_roi")


# ------------------------------------------------------------------------------------------------ the dashboard
def test_dashboard_carries_intervals(small_ws):
    from dbmkit.evaluate import kpi_dashboard
    d = kpi_dashboard(small_ws, period_days=365)
    h = d.campaigns
    assert len(h) and (h["roi_ci_low"] <= h["roi"]).all() and (h["roi"] <= h["roi_ci_high"]).all()
    assert (h["response_rate_ci_low"] <= h["response_rate"]).all()
    assert h["roi_ci_low"].tolist() == pytest.approx((h["incremental_profit_ci_low"] / h["cost"]).tolist())
    last = d.retention.iloc[-1]
    lo, hi = wilson_interval(last["retained"], last["active_previous"])
    assert (last["churn_ci_low"], last["churn_ci_high"]) == pytest.approx((1 - hi, 1 - lo))
    head = d.headline
    assert head["churn_ci_low"] <= head["churn_rate"] <= head["churn_ci_high"]
    assert head["campaign_incremental_profit_total_ci_low"] < head["campaign_incremental_profit_total"] < \
        head["campaign_incremental_profit_total_ci_high"]
    assert head["clv_horizon_months"] in (0, small_ws.cfg.analysis.clv_horizon_months)
    assert 0 <= head["campaigns_paid_beyond_doubt"] <= head["campaigns"]


@pytest.mark.parametrize("name", ["dbmkit.uncertainty", "dbmkit.cell_stats", "dbmkit.evaluate.uplift",
                                  "dbmkit.evaluate.economics", "dbmkit.evaluate.lessons", "dbmkit.evaluate.stats",
                                  "dbmkit.evaluate.kpis", "dbmkit.evaluate.dashboard", "dbmkit.report.index"])
def test_docstring_examples(name):
    import doctest
    import importlib
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
