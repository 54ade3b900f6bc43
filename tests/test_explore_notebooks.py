"""Chapters 20, 24, 25 and 26 run end to end on the small client (under nbval) and record key numbers that agree
with the database and the synthetic truth; chapters 24 and 26 leave the segments and scores tables behind."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["20_analyze_explore", "24_analyze_segments", "25_analyze_baskets", "26_analyze_predict"]


@pytest.fixture(scope="module")
def run(notebook_run):
    """The chapters' shared run (tests/conftest.py): key numbers and the workspace they left behind."""
    notebook_run.require_ok()
    return notebook_run.kpis, notebook_run.ws


@pytest.mark.notebooks
def test_key_numbers(run):
    got, ws = run
    for name in ("customers_active", "segments_k", "top_rule_lift", "response_model_auc", "top_decile_lift",
                 "churn_model_auc"):
        assert name in got, f"{name} not recorded"
    summary = ws.table("customer_summary")
    assert got["customers_active"] == (summary["days_since_last"] <= ws.cfg.analysis.active_days).sum()
    assert 3 <= got["segments_k"] <= 8
    # the strongest basket rule is a planted one (tents and sleeping bags) with a lift far above 1
    assert got["top_rule_lift"] > 5
    assert 0.65 <= got["response_model_auc"] <= 0.9 and got["top_decile_lift"] > 1.8
    assert 0.8 <= got["churn_model_auc"] <= 0.97


@pytest.mark.notebooks
def test_tables_left_for_the_campaign_chapters(run):
    _, ws = run
    assert {"segments", "scores"} <= set(ws.tables())
    seg = ws.table("segments", build=False)
    assert len(seg) == len(ws.table("customer_summary"))
    scores = ws.table("scores", build=False)
    assert len(scores) == ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
