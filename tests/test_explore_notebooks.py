"""Chapters 20, 24, 25 and 26 run end to end on the small client (under nbval) and record key numbers that agree
with the database and the synthetic truth; chapters 24 and 26 leave the segments and scores tables behind."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["20_analyze_explore", "24_analyze_segments", "25_analyze_baskets", "26_analyze_predict"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explore_notebooks")
    kpi_file = tmp / "kpis.json"
    env = dict(os.environ, DBMKIT_CONFIG=str(ROOT / "tests" / "small_client.yaml"), DBMKIT_WORKDIR=str(tmp / "work"),
               DBMKIT_KPI_FILE=str(kpi_file), MPLBACKEND="Agg")
    env.pop("DBMKIT_REPORT_OUT", None)
    notebooks = [str(ROOT / "notebooks" / f"{c}.ipynb") for c in CHAPTERS]
    r = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
                        "--nbval-cell-timeout=600", "-p", "no:cacheprovider", "-q", "-x", *notebooks],
                       env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    from dbmkit.config import load_config
    from dbmkit.workspace import Workspace
    ws = Workspace(load_config(ROOT / "tests" / "small_client.yaml", overrides={"workdir": str(tmp / "work")}))
    return json.loads(kpi_file.read_text()), ws


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
