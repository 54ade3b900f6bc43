"""dbmkit batch: every client runs in its own process; a broken client never stops the others, and the summary
says which failed and why."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from dbmkit import consultant

ROOT = Path(__file__).resolve().parents[1]
# the tests share one expensive module fixture: keep them on one xdist worker (make test uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group("batch")


def _nb(cells: list[str], path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]})] + \
        [nbformat.v4.new_code_cell(c) for c in cells[1:]]
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def batch_setup(tmp_path_factory):
    """Four clients: two good synthetic ones, a config with an error, a client whose data file is missing;
    one quick chapter that records a key number from the client's database."""
    d = tmp_path_factory.mktemp("batch")
    nbdir = d / "notebooks"
    nbdir.mkdir()
    _nb(['config = ""', "import dbmkit as dbm\nws = dbm.workspace(config)\n"
         "n = int(ws.sql('SELECT count(*) AS n FROM customers')['n'].iloc[0])\ndbm.record('persons', n)"],
        nbdir / "00_start_here.ipynb")
    cfgs = []
    for name, seed, n in (("good_a", 1, 300), ("good_b", 2, 350)):
        p = d / f"{name}.yaml"
        p.write_text(f"client: {name}\ndata:\n  synthetic: {{n_people: {n}, n_campaigns: 1, seed: {seed}}}\n")
        cfgs.append(p)
    bad = d / "broken.yaml"
    bad.write_text("client: broken\ndata:\n  sources:\n    order: [{path: x.csv, columns: {order_id: a}}]\n")
    missing = d / "nodata.yaml"
    missing.write_text("client: nodata\ndata:\n  sources:\n    orders:\n      - path: no_such_file.csv\n"
                       "        columns: {order_id: a, order_ts: b, net_amount: c, customer_id: d}\n")
    return d, nbdir, [cfgs[0], bad, cfgs[1], missing]


def test_a_broken_client_does_not_stop_the_others(batch_setup, monkeypatch):
    d, nbdir, cfgs = batch_setup
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    out = d / "reports"
    df = consultant.run_batch(cfgs, out=out, phases=["00"], workdir_root=d / "work")
    st = df.set_index("client")
    assert list(df["client"]) == ["good_a", "broken", "good_b", "nodata"]        # the order of the command line
    assert st.loc["good_a", "status"] == "ok" and st.loc["good_b", "status"] == "ok"
    assert st.loc["good_a", "chapters_ok"] == 1 and st.loc["good_a", "persons"] > 250
    assert st.loc["good_a", "persons"] != st.loc["good_b", "persons"]            # each client its own database
    assert (d / "work" / "good_a" / "marketing.duckdb").exists()
    assert st.loc["broken", "status"] == "error"
    assert "config error" in st.loc["broken", "message"] and "did you mean 'orders'" in st.loc["broken", "message"]
    assert st.loc["nodata", "status"] == "error" and "file not found" in st.loc["nodata", "message"]
    # the summary files
    csv = pd.read_csv(out / "batch_summary.csv")
    assert list(csv["status"]) == ["ok", "error", "ok", "error"]
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "2 of 4 client(s) ok" in html and 'href="good_a/index.html"' in html and "file not found" in html
    assert json.loads((out / "good_b" / "kpis.json").read_text())["persons"] == st.loc["good_b", "persons"]
    assert (out / "nodata" / "batch.log").exists()                            # the failing client's log is kept


def test_a_failing_chapter_is_reported_per_client(batch_setup, monkeypatch, tmp_path):
    d, _, cfgs = batch_setup
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _nb(['config = ""', "import dbmkit as dbm\nws = dbm.workspace(config)\n"
         "if ws.cfg.client == 'good_b':\n    raise RuntimeError('chapter broken for this client')"],
        nbdir / "00_start_here.ipynb")
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "batch", str(cfgs[0]), str(cfgs[2]), "--phases", "00",
                        "--out", str(tmp_path / "rep"), "--workdir-root", str(d / "work"), "--jobs", "2"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1, r.stdout + r.stderr                    # not every client is ok
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines() if ln.strip() and not ln.startswith("[")}
    assert " ok " in lines["good_a"] and " failed " in lines["good_b"]
    assert "chapter broken for this client" in lines["good_b"]
    df = pd.read_csv(tmp_path / "rep" / "batch_summary.csv").set_index("client")
    assert df.loc["good_b", "chapters_failed"] == 1 and df.loc["good_a", "chapters_failed"] == 0
