"""Notebooks: stored by the conventions, and every chapter runs under nbval on the small client with its key
numbers in range (checked against the synthetic truth where there is one)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import CHAPTER_NOTEBOOKS

ROOT = Path(__file__).resolve().parents[1]
NB = ROOT / "notebooks"


def test_notebooks_follow_the_conventions():
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "notebooks.py"), "check"], capture_output=True, text=True)
    assert r.returncode == 0, "\n" + r.stdout + r.stderr


def test_navigation_drift_is_detected(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    import nbformat

    import notebooks as tool
    src = NB / "00_start_here.ipynb"
    nb = nbformat.read(str(src), as_version=4)
    nb.cells[0].source = "[stale navigation](nowhere.ipynb)"
    p = tmp_path / src.name
    nbformat.write(nb, str(p))
    assert any("navigation cells are out of date" in x for x in tool.check_notebook(p))
    tool.sync_notebook(p)
    assert tool.check_notebook(p) == []


# key numbers of the small client (tests/small_client.yaml): (low, high)
EXPECTED_KPIS = {
    # phase 1
    "identity_precision": (0.95, 1.0),
    "identity_recall": (0.90, 1.0),
    "persons": (2400, 2600),
    "households": (2000, 2500),
    "email_optout_share": (0.15, 0.45),
    "quality_score_before": (50, 95),
    "quality_score_after": (80, 100),
    # phase 2
    "customers_active": (1300, 2000),
    "top20_revenue_share": (0.55, 0.85),
    "gini": (0.5, 0.85),
    "clv_total": (1e5, 1e7),
    "clv_holdout_error": (-0.25, 0.25),
    "segments_k": (3, 10),
    "top_rule_lift": (3, 50),
    "response_model_auc": (0.62, 0.9),
    "top_decile_lift": (1.4, 5),
    "churn_model_auc": (0.75, 0.98),
    # phase 3
    "breakeven_response_rate": (0.0001, 0.2),
    "planned_contacts": (100, 2600),
    "control_size": (10, 1000),
    # phase 4
    "campaign_response_rate_treatment": (0.02, 0.6),
    "campaign_response_rate_control": (0.02, 0.6),
    "email_open_rate": (0.15, 0.45),
    "email_ctor": (0.02, 0.5),
    "uplift_qini": (-1, 1),
}


def test_every_chapter_runs_under_nbval(notebook_run):
    notebook_run.require_ok()
    m = re.search(r"(\d+) passed", notebook_run.output)
    assert m and int(m.group(1)) >= 10 * len(CHAPTER_NOTEBOOKS), notebook_run.output[-2000:]


def test_key_numbers_are_recorded_and_in_range(notebook_run):
    notebook_run.require_ok()
    got = notebook_run.kpis
    missing = [k for k in EXPECTED_KPIS if k not in got]
    assert not missing, f"not recorded by any chapter: {missing}"
    out = {k: got[k] for k, (lo, hi) in EXPECTED_KPIS.items() if not (lo <= got[k] <= hi)}
    assert not out, f"outside their ranges: {out}"
    assert got["rows_read"] == got["rows_loaded"] + got["rows_quarantined"]
    assert got["quality_score_after"] > got["quality_score_before"]
    assert got["campaign_net"] <= got["campaign_gross"]
    assert got["campaign_lift_ci_low"] <= got["campaign_lift"] <= got["campaign_lift_ci_high"]
