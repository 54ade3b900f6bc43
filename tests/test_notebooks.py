"""Notebooks: stored by the conventions, and every chapter runs under nbval on the small client with its key
numbers in range (checked against the synthetic truth where there is one)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# key numbers of the small client (tests/small_client.yaml): (low, high); None = just present and finite
EXPECTED_KPIS = {
    "identity_precision": (0.95, 1.0),
    "identity_recall": (0.90, 1.0),
}


@pytest.mark.notebooks
def test_all_notebooks_run_under_nbval(tmp_path):
    work, kpis = tmp_path / "work", tmp_path / "kpis.json"
    env = dict(os.environ, DBMKIT_CONFIG=str(ROOT / "tests" / "small_client.yaml"), DBMKIT_WORKDIR=str(work),
               DBMKIT_KPI_FILE=str(kpis), MPLBACKEND="Agg")
    env.pop("DBMKIT_REPORT_OUT", None)
    # build the database once, before the kernels start
    subprocess.run([sys.executable, "-m", "dbmkit.cli", "build", str(ROOT / "tests" / "small_client.yaml")],
                   env=env, check=True, capture_output=True)
    notebooks = sorted(str(p) for p in NB.glob("[0-4]*.ipynb"))
    r = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
                        "--nbval-cell-timeout=900", "-p", "no:cacheprovider", "-q", "-x", *notebooks],
                       env=env, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    got = json.loads(kpis.read_text())
    for name, bounds in EXPECTED_KPIS.items():
        assert name in got, f"{name} was not recorded by any chapter"
        if bounds:
            lo, hi = bounds
            assert lo <= got[name] <= hi, f"{name} = {got[name]} outside [{lo}, {hi}]"
