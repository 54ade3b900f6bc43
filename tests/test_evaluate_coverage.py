"""The lift's 95 % interval covers the true lift about 95 % of the time.

One planned campaign on the small synthetic client, simulated again and again: every seed draws a new random
control group from the same contact list and new campaign responses (do-not-disturb losses, incremental purchases).
The true lift of each run is the mean of p_treated − p_control over its treated contacts (the truth). The organic
purchases are the client's fixed future, so the variation across seeds is the randomisation itself — exactly what
the Newcombe interval of compare_groups has to account for.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dbmkit.datasets.simulate import simulate_campaign
from dbmkit.datasets.truth import person_map
from dbmkit.evaluate import compare_groups

N_RUNS = 200
LEVEL = 0.95


@pytest.fixture(scope="module")
def coverage_runs(small_ws):
    ids = small_ws.sql("SELECT customer_id FROM customers WHERE NOT coalesce(is_test, false) "
                       "ORDER BY customer_id")["customer_id"]
    base = pd.DataFrame({"campaign_id": "COVERAGE", "customer_id": ids, "channel": "mail", "offer": "10% off",
                         "contact_ts": pd.Timestamp("2026-07-10 10:00")})
    pm = person_map(small_ws)
    orders = small_ws.sql("SELECT order_id, customer_id, gross_amount, discount, net_amount, cost, status FROM orders")
    rows = []
    for s in range(N_RUNS):
        rng = np.random.default_rng(10_000 + s)
        contacts = base.assign(group=np.where(rng.random(len(base)) < 0.3, "control", "treatment"))
        sim = simulate_campaign(contacts, small_ws, window_days=30, seed=s, person_of=pm, orders=orders)
        r = compare_groups(sim.results, "group", "responded", "control", alpha=1 - LEVEL).iloc[0]
        rows.append(dict(seed=s, lift=r["abs_lift"], lo=r["ci_low"], hi=r["ci_high"], true=sim.true_lift))
    return pd.DataFrame(rows)


def test_true_lift_is_a_real_effect(coverage_runs):
    # a direct-mail campaign to everyone: persuadables outweigh do-not-disturbs, the truth is clearly positive
    assert coverage_runs["true"].mean() > 0.01


def test_interval_covers_the_true_lift_at_the_nominal_rate(coverage_runs):
    covered = ((coverage_runs["lo"] <= coverage_runs["true"]) & (coverage_runs["true"] <= coverage_runs["hi"])).sum()
    # two-sided binomial test of "coverage = 95 %" at the 0.1 % level
    p = stats.binomtest(int(covered), N_RUNS, LEVEL).pvalue
    assert p > 0.001, f"coverage {covered / N_RUNS:.3f} over {N_RUNS} runs is not compatible with {LEVEL}"


def test_interval_width_matches_the_spread_of_the_estimates(coverage_runs):
    # the interval's implied standard error agrees with the observed spread of the lift across runs
    z = stats.norm.ppf(0.5 + LEVEL / 2)
    implied_se = ((coverage_runs["hi"] - coverage_runs["lo"]) / (2 * z)).mean()
    observed_sd = coverage_runs["lift"].std(ddof=1)
    assert 0.8 < observed_sd / implied_se < 1.2


def test_estimate_is_unbiased_for_the_true_lift(coverage_runs):
    err = coverage_runs["lift"] - coverage_runs["true"]
    se_mean = err.std(ddof=1) / np.sqrt(len(err))
    assert abs(err.mean()) < 4 * se_mean
