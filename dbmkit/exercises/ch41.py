"""Exercises of chapter 41 (learn: A/B tests, uplift, dashboard, feedback). Expected answers come from the workspace."""
from __future__ import annotations

from . import exercise


@exercise("41.1", "Sample size per version of an A/B test",
          hint="n = (z₀.₉₇₅·sqrt(2·p̄(1−p̄)) + z₀.₈·sqrt(p₁(1−p₁) + p₂(1−p₂)))² / (p₂ − p₁)², p₁ = 0.20, p₂ = 0.23, "
               "p̄ = their mean; round up — or dbm.evaluate.ab_sample_size(0.20, 0.03)",
          solution="answer = dbm.evaluate.ab_sample_size(0.20, 0.03)", rel_tol=0, abs_tol=1)
def _n(ws=None):
    from ..evaluate import ab_sample_size
    return ab_sample_size(0.20, 0.03)


@exercise("41.2", "Winner of the subject-line test on opens",
          hint="ab = dbm.evaluate.ab_test_data(ws, dbm.evaluate.find_ab_test(ws)); "
               "dbm.evaluate.ab_test(ab, 'cell', 'opened', 'A', 'B')['winner']",
          solution="ab = dbm.evaluate.ab_test_data(ws, dbm.evaluate.find_ab_test(ws))\n"
                   "cells = sorted(ab['cell'].unique())[:2]\n"
                   "answer = dbm.evaluate.ab_test(ab, 'cell', 'opened', cells[0], cells[1])['winner'].iloc[0]")
def _winner(ws):
    from ..evaluate import ab_test, ab_test_data, find_ab_test
    cid = find_ab_test(ws)
    if cid is None:
        raise ValueError("this client has no A/B test in its campaign history")
    ab = ab_test_data(ws, cid)
    cells = sorted(ab["cell"].unique())[:2]
    return str(ab_test(ab, "cell", "opened", cells[0], cells[1])["winner"].iloc[0])


@exercise("41.3", "Churn rate of the latest year",
          hint="r = dbm.evaluate.retention_rates(ws, 365); r['churn_rate'].iloc[-1] — or by hand: buyers of the year "
               "before who did not buy in the latest year ÷ buyers of the year before",
          solution="answer = dbm.evaluate.retention_rates(ws, 365)['churn_rate'].iloc[-1]")
def _churn(ws):
    from ..evaluate import retention_rates
    return float(retention_rates(ws, 365)["churn_rate"].iloc[-1])


@exercise("41.4", "Contacts who get the 'clicked, no purchase' reminder",
          hint="f = dbm.evaluate.follow_up_list(bundle, wait_days=3); (f['trigger'] == 'clicked, no purchase').sum()",
          solution="f = dbm.evaluate.follow_up_list(dbm.evaluate.collect_results(ws, fallback_to_past=True))\n"
                   "answer = int((f['trigger'] == 'clicked, no purchase').sum())", rel_tol=0, abs_tol=0.5)
def _reminders(ws):
    from ..evaluate import collect_results, follow_up_list
    f = follow_up_list(collect_results(ws, fallback_to_past=True), wait_days=3)
    return int((f["trigger"] == "clicked, no purchase").sum())
