"""The report runner: HTML pages without code, key numbers, clear failures; and the dbmkit command."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dbmkit import report

ROOT = Path(__file__).resolve().parents[1]


def test_record_writes_the_kpi_file(tmp_path, monkeypatch):
    f = tmp_path / "k.json"
    monkeypatch.setenv("DBMKIT_KPI_FILE", str(f))
    assert report.record("gini", 0.5) == 0.5
    report.record("persons", 12)
    assert json.loads(f.read_text()) == {"gini": 0.5, "persons": 12}
    with pytest.raises(ValueError):
        report.record("Bad Name", 1)


def _nb(cells: list[str], path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cells[0], metadata={"tags": ["parameters"]})] + \
        [nbformat.v4.new_code_cell(c) for c in cells[1:]]
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    p = d / "tiny.yaml"
    p.write_text(f"client: tiny\nworkdir: {d / 'work'}\n"
                 "data:\n  synthetic: {n_people: 400, n_campaigns: 2, seed: 5}\n")
    return p


def test_failing_chapter_is_named_and_the_rest_still_reported(tiny_config, tmp_path, monkeypatch):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _nb(['config = ""', "import dbmkit as dbm\nws = dbm.workspace(config)\ndbm.record('persons', 7)\nprint('hello')"],
        nbdir / "00_start_here.ipynb")
    _nb(['config = ""', "x = 1", "raise ValueError('broken on purpose')"], nbdir / "10_build_collect.ipynb")
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    out = tmp_path / "report"
    res = report.run_report(tiny_config, out=out, phases=["00", "10"], progress=False)
    status = {r.file: r for r in res.runs}
    assert status["00_start_here"].status == "ok"
    assert status["10_build_collect"].status == "failed"
    assert ("10_build_collect.ipynb, cell 3 (\"raise ValueError('broken on purpose')\"): "
            "ValueError: broken on purpose") in status["10_build_collect"].message
    index = (out / "index.html").read_text()
    assert "broken on purpose" in index and "00_start_here.html" in index
    page = (out / "00_start_here.html").read_text()
    assert "hello" in page and "dbm.workspace(config)" not in page      # outputs shown, code hidden
    assert json.loads((out / "kpis.json").read_text())["persons"] == 7
    assert not res.ok


def test_cli_check_and_report_chapter_00(tiny_config, tmp_path):
    exe = [sys.executable, "-m", "dbmkit.cli"]
    r = subprocess.run(exe + ["check", str(tiny_config)], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "rows read = loaded + quarantined" in r.stdout and "A report can run." in r.stdout
    out = tmp_path / "rep"
    r = subprocess.run(exe + ["report", str(tiny_config), "--out", str(out), "--phases", "00"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (out / "index.html").exists() and (out / "00_start_here.html").exists()
    assert "open " + str(out / "index.html") in r.stdout
    html = (out / "00_start_here.html").read_text()
    assert "<img" in html and "data:image/png;base64" in html      # the chart is embedded


def test_cli_config_error_exit_code(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("client: bad\ndata: {}\n")
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "check", str(p)], capture_output=True, text=True)
    assert r.returncode == 2 and "data: give exactly one of" in r.stderr
