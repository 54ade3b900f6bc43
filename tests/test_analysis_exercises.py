"""The "Your turn" exercises whose questions issue 14 changed (20.3, 23.1, 23.4, 26.3): the worked solution is
accepted, the answer the old question asked for is not, and an unanswered exercise gives a hint (small client)."""
from __future__ import annotations

import pytest

import dbmkit as dbm
from dbmkit import exercises as E
from dbmkit.exercises.instructor import solutions as instructor_solutions


def _solve(ex_id: str, ws) -> object:
    ns = {"dbm": dbm, "ws": ws}
    exec(instructor_solutions()[ex_id]["solution"], ns)
    return ns["answer"]


@pytest.mark.parametrize("ex_id", ["20.3", "23.1", "23.4", "26.3"])
def test_solution_is_accepted_and_unanswered_gives_a_hint(small_ws, ex_id, monkeypatch):
    assert E.check(ex_id, None, small_ws).correct is None
    answer = _solve(ex_id, small_ws)
    assert E.check(ex_id, answer, small_ws).correct is True
    assert E.check(ex_id, float(answer) * 1.5 + 7, small_ws).correct is False


def test_20_3_asks_the_per_order_ratio_the_text_recommends(small_ws, monkeypatch):
    """The chapter says revenue per order is the fairer comparison; the exercise checks that ratio, and the
    per-customer ratio (which also counts that multi-channel customers order more often) is not accepted."""
    m = dbm.explore.multichannel_spend(small_ws.table("customer_summary")).set_index("channels")
    per_order = m.loc["multi", "revenue_per_order"] / m.loc["single", "revenue_per_order"]
    per_customer = m.loc["multi", "revenue_per_customer"] / m.loc["single", "revenue_per_customer"]
    assert abs(per_customer / per_order - 1) > 0.01          # the two differ on this client
    assert E.check("20.3", per_order, small_ws).correct is True
    assert E.check("20.3", per_customer, small_ws).correct is False


def test_23_1_is_the_formula_without_a_horizon_and_23_4_uses_the_one_tier_definition(small_ws, monkeypatch):
    rr = dbm.clv.retention_rate(small_ws).iloc[0]
    d = small_ws.cfg.economics.annual_discount_rate
    forever = dbm.clv.retention_clv(rr["margin_per_retained"], rr["retention_rate"], d)
    one_year = dbm.clv.retention_clv(rr["margin_per_retained"], rr["retention_rate"], d, periods=1)
    assert E.check("23.1", forever, small_ws).correct is True
    assert E.check("23.1", one_year, small_ws).correct is False
    c = small_ws.table("clv")
    assert (c["value_tier"] == "platinum").mean() == pytest.approx(dict(dbm.clv.VALUE_TIERS)["platinum"], abs=0.01)


def test_26_3_counts_lifecycle_at_risk_customers_with_a_likely_quiet_spell(small_ws):
    st = dbm.segments.lifecycle_stage(small_ws.table("customer_summary"), lost_days=small_ws.cfg.analysis.active_days)
    d = st.merge(small_ws.table("scores"), on="customer_id")
    at_risk_quiet = int(((d["lifecycle_stage"] == "at_risk") & (d["churn_score"] > 0.5)).sum())
    assert 0 < at_risk_quiet < (d["lifecycle_stage"] == "at_risk").sum()
    assert E.check("26.3", at_risk_quiet, small_ws).correct is True
    # the old reading, "active but more likely than not to stop buying", is a different (larger) group
    s = small_ws.table("customer_summary").merge(small_ws.table("scores"), on="customer_id")
    old = int(((s["days_since_last"] <= small_ws.cfg.analysis.active_days) & (s["churn_score"] > 0.5)).sum())
    assert old > at_risk_quiet
    assert E.check("26.3", old, small_ws).correct is False
