"""Chapters 21–23 run end to end on the small client and record key numbers that agree with the synthetic truth."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["21_analyze_rfm", "22_analyze_value", "23_analyze_clv"]


@pytest.fixture(scope="module")
def kpis(notebook_run):
    """The chapters' shared run (tests/conftest.py): key numbers and the work folder they left behind."""
    notebook_run.require_ok()
    return notebook_run.kpis, notebook_run.workdir


@pytest.mark.notebooks
def test_key_numbers_of_chapters_21_to_23(kpis):
    got, workdir = kpis
    for name in ("champions_share", "rfm_breakeven_customers", "top20_revenue_share", "gini",
                 "customers_first_tenth_sales", "unprofitable_share", "price_only_share", "clv_total",
                 "clv_holdout_error", "clv_alive_share"):
        assert name in got, f"{name} not recorded"
    # value is concentrated as in most retailers: 80/20 or stronger
    assert 0.6 <= got["top20_revenue_share"] <= 0.85
    assert 0.55 <= got["gini"] <= 0.8
    assert 0.1 <= got["champions_share"] <= 0.4
    assert got["clv_holdout_error"] < 0.15
    assert 0.0 < got["unprofitable_share"] < 0.3 and 0.05 < got["price_only_share"] < 0.3


@pytest.mark.notebooks
def test_clv_total_matches_the_truths_next_year(kpis):
    """The chapter's 12-month CLV (discounted margin) is within 15 % of the margin the customers really bring in the
    year after the analysis date (undiscounted; the discount alone is about −5 %)."""
    got, workdir = kpis
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    from dbmkit.datasets.truth import truth_future
    ws = Workspace(load_config(ROOT / "tests" / "small_client.yaml", overrides={"workdir": str(workdir)}))
    realised = truth_future(ws)["future_margin"].sum()
    assert got["clv_total"] == pytest.approx(realised, rel=0.15)
    # the chapter saved its tables for the later chapters
    assert {"rfm", "clv"} <= set(ws.tables())
