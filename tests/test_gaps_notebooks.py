"""Chapters 27 and 32 run in the chapters' shared run (tests/conftest.py, the small client) and record key numbers
that agree with a direct computation on the database they saw, with the synthetic truth, and with the rounded
values the chapters show on this client."""
from __future__ import annotations

import pytest

CHAPTERS = ["27_analyze_profiles_forecast", "32_plan_triggers_loyalty"]


@pytest.fixture(scope="module")
def run(notebook_run):
    notebook_run.require_ok()
    return notebook_run.kpis, notebook_run.ws


def check_chapter_27(kpis: dict, ws) -> None:
    from dbmkit import forecast, profiles
    from dbmkit.datasets.truth import truth_future
    # customer description: the defectors are the lost stage of the lifecycle function
    g = profiles.profile_groups(ws.table("customer_summary"), lost_days=ws.cfg.analysis.active_days)
    assert kpis["defector_share"] == pytest.approx(float((g["group"] == "defector").mean()), abs=1e-6)
    assert round(kpis["defector_share"], 2) == 0.26
    # the forecast: the method with the lowest backtest MAPE (Holt-Winters on this client), about 12 %
    s = forecast.backtest_summary(forecast.backtest(forecast.monthly_series(ws), 6))
    assert kpis["forecast_mape"] == pytest.approx(s["mape"].min(), abs=1e-6)
    assert round(kpis["forecast_mape"], 2) == 0.12
    # the next six months are forecast above the last six (the retailer grows and December is the peak)
    y = forecast.monthly_series(ws)
    assert kpis["forecast_next_total"] > y.iloc[-6:].sum()
    # the regression: scored at the analysis date it explains most of the variation of next year's real spend
    assert truth_future(ws) is not None
    assert round(kpis["spend_model_truth_r2"], 1) == 0.7
    assert kpis["spend_model_r2"] > 0.3 and kpis["spend_naive_r2"] > 0.3


def check_chapter_32(kpis: dict, ws) -> None:
    from dbmkit import loyalty
    tiered, _ = loyalty.assign_tiers(loyalty.customer_spend(ws, 12))
    s = ws.table("customer_summary")
    econ = loyalty.programme_economics(loyalty.tier_table(tiered), float(s["margin_total"].sum()
                                                                         / s["monetary_total"].sum()))
    assert kpis["loyalty_required_lift"] == pytest.approx(float(econ["required_lift"].iloc[-1]), abs=1e-6)
    assert round(kpis["loyalty_required_lift"], 2) == 0.17
    assert kpis["in_market_customers"] == 694
    assert round(kpis["triggers_next_month"]) == 640


@pytest.mark.notebooks
def test_chapter_27_numbers(run):
    check_chapter_27(*run)


@pytest.mark.notebooks
def test_chapter_32_numbers(run):
    check_chapter_32(*run)
