"""A client's own chapters (issue 20): a client folder with one overridden chapter (an edited copy of chapter 20) and
one added chapter (35, made by `dbmkit new-chapter`). The report runs the right notebooks in the right order and marks
them; `dbmkit chapters` lists the kinds and notices a changed standard; `dbmkit check` catches a client notebook with
outputs, without a parameters cell, with an absolute path or a private import; `dbmkit test` runs them and fails on a
broken one."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from dbmkit import cli
from dbmkit import client_chapters as cc
from dbmkit.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402  (the tests' client-file helpers)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.xdist_group("client_chapters")
EDITED = "Acme's database is a living stock of loyal customers."


def _client(d: Path, name: str = "acme", extra: str = "") -> Path:
    """The sales-only client of tests/consultant_files.py as ``<d>/<name>.yaml`` (30 customers, 120 orders)."""
    d.mkdir(parents=True, exist_ok=True)
    shop = cf.sales_only_client(d)
    cfg = d / f"{name}.yaml"
    cfg.write_text(shop.read_text().replace("client: shop\n", f"client: {name}\n{extra}"))
    shop.unlink()
    return cfg


def _standard(d: Path) -> Path:
    """A standard-notebook folder for the tests: copies of the workbook's chapters 20 and 21 (DBMKIT_NOTEBOOKS)."""
    std = d / "standard"
    std.mkdir()
    for f in ("20_analyze_explore", "21_analyze_rfm"):
        shutil.copy(ROOT / "notebooks" / f"{f}.ipynb", std)
    return std


def _main(*args) -> int:
    return cli.main([str(a) for a in args])


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    """clients/acme.yaml with clients/acme/notebooks/: 20_analyze_explore (override, one line edited) and
    35_acme_loyalty (added with new-chapter); the report of chapters 20, 21 and 35."""
    d = tmp_path_factory.mktemp("acme")
    with pytest.MonkeyPatch.context() as mp:
        std = _standard(d)
        mp.setenv("DBMKIT_NOTEBOOKS", str(std))
        cfg = _client(d / "clients")
        assert _main("new-chapter", cfg, "35", "Loyalty programme review", "--zh", "会员计划评估",
                     "--name", "35_acme_loyalty") == 0
        assert _main("override-chapter", cfg, "20") == 0
        copy = d / "clients" / "acme" / "notebooks" / "20_analyze_explore.ipynb"
        text = copy.read_text(encoding="utf-8")
        assert "A database is a living stock of customers." in text
        copy.write_text(text.replace("A database is a living stock of customers.", EDITED), encoding="utf-8")
        from dbmkit import report
        out = d / "report"
        res = report.run_report(cfg, out=out, workdir=d / "work", phases=["20", "21", "35"], progress=False)
    return {"d": d, "cfg": cfg, "std": std, "copy": copy, "out": out, "res": res}


def test_default_folder_and_config_path(tmp_path):
    cfg = load_config(_client(tmp_path / "clients"))
    assert cfg.client_notebooks_path() == tmp_path / "clients" / "acme" / "notebooks"
    other = load_config(_client(tmp_path / "c2", extra="notebooks: ../shared/acme_nb\n"))
    assert other.client_notebooks_path() == (tmp_path / "shared" / "acme_nb").resolve()
    assert cc.resolve(cfg)[0].kind == "standard" and all(s.kind == "standard" for s in cc.resolve(cfg))


def test_scaffold_has_the_standard_cells(acme, monkeypatch):
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(acme["std"]))
    path = acme["cfg"].parent / "acme" / "notebooks" / "35_acme_loyalty.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[0] == ["nav"] and tags[-1] == ["nav"]
    assert nb.cells[1].source.startswith("# 35 · Loyalty programme review (会员计划评估)")
    assert "**You will learn**" in nb.cells[1].source
    params = nb.cells[2]
    assert tags[2] == ["parameters"] and params.source.startswith('config = "../../acme.yaml"')
    assert "\noverrides = None" in params.source
    assert "ws = dbm.workspace(config, overrides=overrides)" in nb.cells[3].source
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert any("ws.sql(" in s for s in code) and any("dbm.plots.new_figure" in s for s in code)
    assert any("What this means for the marketer" in c.source for c in nb.cells if c.cell_type == "markdown")
    assert code[-1] == "dbm.provenance(ws)"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["dbmkit"]["kind"] == "added"
    # the navigation follows the client's order: 35 sits between the last standard 3x chapter and 40 (standard
    # notebooks, relative links)
    from dbmkit.chapters import CHAPTERS
    before = max((c for c in CHAPTERS if "30" <= c.number < "35"), key=lambda c: c.number)
    assert f"← {before.number} " in nb.cells[0].source and "40 Evaluate" in nb.cells[0].source
    assert f"standard/{before.file}.ipynb" in nb.cells[0].source and "](/" not in nb.cells[0].source
    assert cc.check_notebook(path) == []
    with pytest.raises(FileExistsError, match="--force"):
        cc.new_chapter(load_config(acme["cfg"]), 35, "Loyalty programme review", name="35_acme_loyalty")
    with pytest.raises(ValueError, match="two digits"):
        cc.new_chapter(load_config(acme["cfg"]), "3x", "Bad")
    # the override: the standard's hash in its metadata, the client's config as its default
    meta = nbformat.read(str(acme["copy"]), as_version=4).metadata["dbmkit"]
    assert meta["standard"] == {"name": "20_analyze_explore.ipynb",
                                "sha256": cc.source_hash(acme["std"] / "20_analyze_explore.ipynb")}
    copy = nbformat.read(str(acme["copy"]), as_version=4)
    params = [c for c in copy.cells if "parameters" in c.metadata.get("tags", [])]
    assert params[0].source.startswith('config = "../../acme.yaml"') and "active_days = None" in params[0].source


def test_source_hash_ignores_outputs_and_metadata(acme):
    nb = nbformat.read(str(acme["std"] / "21_analyze_rfm.ipynb"), as_version=4)
    h = cc.source_hash(nb)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="42\n")]
    code.execution_count = 7
    nb.metadata["papermill"] = {"x": 1}
    assert cc.source_hash(nb) == h
    code.source += "\n# a changed line"
    assert cc.source_hash(nb) != h


def test_report_runs_the_client_chapters_in_order(acme):
    out, res = acme["out"], acme["res"]
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    got = [(c["file"], c["kind"], c["status"], Path(c["notebook"]).parent.name) for c in status["chapters"]]
    assert got == [("20_analyze_explore", "overridden", "ok", "notebooks"),
                   ("21_analyze_rfm", "standard", "ok", "standard"),
                   ("35_acme_loyalty", "added", "ok", "notebooks")]
    assert Path(status["chapters"][0]["notebook"]) == acme["copy"]
    assert status["client_notebooks"] == str(acme["copy"].parent)
    assert res.ok
    # the client's copy ran, not the standard
    assert EDITED in (out / "20_analyze_explore.html").read_text(encoding="utf-8")
    assert "A database is a living stock of customers." not in (out / "20_analyze_explore.html").read_text()
    # the index lists the added chapter by its title and marks both
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-chapter="35_acme_loyalty" data-kind="added"' in index
    assert '<a href="35_acme_loyalty.html">Loyalty programme review</a>' in index
    assert 'data-kind="added">client chapter</span>' in index
    assert 'data-kind="overridden">overridden for this client</span>' in index
    assert 'data-chapter="21_analyze_rfm" data-kind="standard"' in index
    assert "come from the client&#x27;s own notebooks: <code>acme/notebooks</code>" in index
    # the navigation: 21 leads to 35, 35's page is marked, its provenance says what it is
    assert 'href="35_acme_loyalty.html">next →' in (out / "21_analyze_rfm.html").read_text(encoding="utf-8")
    page = (out / "35_acme_loyalty.html").read_text(encoding="utf-8")
    assert 'data-kind="added"' in page and "client chapter" in page and 'href="21_analyze_rfm.html"' in page
    assert "chapter: <code>a client chapter</code>" in page and "buyers</th>" in page
    assert "image/png" in page                                          # the example chart


def test_chapters_lists_kinds_and_notices_a_changed_standard(acme, monkeypatch, capsys):
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(acme["std"]))
    cfg = load_config(acme["cfg"])
    rows = {r["file"]: r for r in cc.chapter_rows(cfg)}
    assert rows["20_analyze_explore"]["kind"] == "overridden" and rows["35_acme_loyalty"]["kind"] == "added"
    assert rows["21_analyze_rfm"]["kind"] == "standard"
    numbers = [r["number"] for r in cc.chapter_rows(cfg)]
    assert numbers == sorted(numbers) and numbers[numbers.index("35") - 1] < "35" < numbers[numbers.index("35") + 1]
    assert rows["20_analyze_explore"]["state"] == "in step" and rows["20_analyze_explore"]["edited"] is True
    assert _main("chapters", acme["cfg"], "--fail-on-drift") == 0
    text = capsys.readouterr().out
    assert "in step with the standard; the copy was edited" in text and "1 overridden, 1 added" in text
    # the stored hash no longer matches the standard: re-merge
    nb = nbformat.read(str(acme["copy"]), as_version=4)
    nb.metadata["dbmkit"]["standard"]["sha256"] = "0" * 64
    nbformat.write(nb, str(acme["copy"]))
    assert _main("chapters", acme["cfg"]) == 0
    assert _main("chapters", acme["cfg"], "--fail-on-drift") == 1
    assert "standard changed since copy — re-merge" in capsys.readouterr().out
    assert _main("override-chapter", acme["cfg"], "20", "--rehash") == 0
    assert cc.drift(next(s for s in cc.resolve(cfg) if s.kind == "overridden"))["state"] == "in step"
    assert EDITED in acme["copy"].read_text(encoding="utf-8")            # the re-hash keeps the edits
    # a change of the standard itself is noticed the same way (a copy of the standard folder, not the fixture's)
    std2 = acme["d"] / "standard_changed"
    shutil.copytree(acme["std"], std2)
    p = std2 / "20_analyze_explore.ipynb"
    p.write_text(p.read_text(encoding="utf-8").replace("living stock", "living, changing stock"), encoding="utf-8")
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(std2))
    assert cc.drift(next(s for s in cc.resolve(cfg) if s.kind == "overridden"))["state"] == "standard changed"
    # an override without a record of its standard
    nb = nbformat.read(str(acme["copy"]), as_version=4)
    del nb.metadata["dbmkit"]["standard"]
    other = acme["d"] / "no_record.ipynb"
    nbformat.write(nb, str(other))
    src = cc.ChapterSource(cc.resolve(cfg)[0].chapter, "overridden", other, std2 / "20_analyze_explore.ipynb")
    assert cc.drift(src)["state"] == "unknown"


def _nb(path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, str(path))
    return path


def _good_cells(extra: list | None = None) -> list:
    v4 = nbformat.v4
    return [v4.new_markdown_cell("# 36 · A test chapter"),
            v4.new_code_cell('config = "../acme.yaml"\noverrides = None', metadata={"tags": ["parameters"]}),
            v4.new_code_cell("import dbmkit as dbm\nws = dbm.workspace(config, overrides=overrides)"),
            *(extra or []),
            v4.new_code_cell("dbm.provenance(ws)")]


def test_check_catches_bad_client_notebooks(tmp_path, capsys):
    v4 = nbformat.v4
    d = tmp_path / "nb"
    d.mkdir()
    with_out = _good_cells([v4.new_code_cell("print(1)", execution_count=1,
                                             outputs=[v4.new_output("stream", name="stdout", text="1\n")])])
    _nb(d / "36_with_outputs.ipynb", with_out)
    no_params = _good_cells()
    no_params[1].metadata = {}
    _nb(d / "37_no_parameters.ipynb", no_params)
    _nb(d / "38_absolute.ipynb", _good_cells([v4.new_code_cell(
        "import pandas as pd\ndf = pd.read_csv('/home/anna/acme/loyalty.csv')"),
        v4.new_code_cell(r"x = open('C:\\Users\\anna\\x.csv')")]))
    _nb(d / "39_private.ipynb", _good_cells([v4.new_code_cell("from dbmkit.rfm import _quantile_scores"),
                                             v4.new_code_cell("import dbmkit.report._hidden"),
                                             v4.new_code_cell("n = dbm.chapters._secret(ws)"),
                                             v4.new_code_cell("from dbmkit.rfm import no_such_table")]))
    needs = nbformat.read(str(_nb(d / "41_needs.ipynb", _good_cells())), as_version=4)
    needs.metadata["dbmkit"] = {"needs": ["loyalty_cards"]}
    nbformat.write(needs, str(d / "41_needs.ipynb"))
    _nb(d / "40_acme_fine.ipynb", _good_cells([v4.new_code_cell(
        "%matplotlib inline\nfrom dbmkit.plots import new_figure\ndf = ws.sql('SELECT 1 / 2 AS x')")]))
    _nb(d / "scratch.ipynb", _good_cells())
    by = {p.name: cc.check_notebook(p) for p in sorted(d.glob("*.ipynb"))}
    assert by["40_acme_fine.ipynb"] == []
    assert [str(p) for p in by["36_with_outputs.ipynb"]] == [
        "36_with_outputs.ipynb, cell 4: stored with outputs (results, and possibly customer data, would go into the "
        "client folder and its version control) — fix: clear them: `nbstripout 36_with_outputs.ipynb` or JupyterLab "
        "Edit → Clear Outputs of All Cells, then save"]
    assert len(by["37_no_parameters.ipynb"]) == 1
    assert str(by["37_no_parameters.ipynb"][0]).startswith("37_no_parameters.ipynb: no parameters cell")
    assert "tag `parameters`" in by["37_no_parameters.ipynb"][0].fix
    (absolute,) = by["38_absolute.ipynb"]
    assert absolute.cells == (4, 5) and "an absolute path" in absolute.what and "ws.cfg.resolve" in absolute.fix
    private = [str(p) for p in by["39_private.ipynb"]]
    assert any("cell 4" in p and "`_quantile_scores` is private" in p for p in private)
    assert any("cell 5" in p and "`dbmkit.report._hidden` is a private module" in p for p in private)
    assert any("cell 6" in p and "`dbm.chapters._secret` uses a private name" in p for p in private)
    assert any("cell 7" in p and "`no_such_table` is not a public name of dbmkit.rfm" in p for p in private)
    assert all("fix: use the public names" in p for p in private)
    (unknown,) = by["41_needs.ipynb"]
    assert "metadata.dbmkit.needs names unknown inputs: loyalty_cards" in str(unknown) and "campaigns" in unknown.fix
    assert "not a chapter name" in str(by["scratch.ipynb"][0])
    # dbmkit check: the data is fine, the client notebooks are not → exit 1 with every problem listed
    cfg = _client(tmp_path / "clients", extra=f"notebooks: {d}\n")
    assert _main("check", cfg, "--workdir", tmp_path / "work") == 1
    out = capsys.readouterr().out
    assert "A report can run." in out and f"Client chapters in {d}" in out
    assert "36_with_outputs.ipynb, cell 4: stored with outputs" in out
    assert "37_no_parameters.ipynb: no parameters cell" in out
    assert "38_absolute.ipynb, cells 4, 5: an absolute path" in out
    assert "39_private.ipynb, cell 4: imports or uses a name dbmkit does not offer" in out
    # and `dbmkit test` refuses to run them
    assert _main("test", cfg, "--workdir", tmp_path / "work") == 1
    assert "problem(s) in the client notebooks" in capsys.readouterr().out
    # a client without notebooks passes the check
    plain = _client(tmp_path / "plain")
    assert _main("check", plain, "--workdir", tmp_path / "work2") == 0
    out = capsys.readouterr().out
    assert "Client chapters" not in out and out.rstrip().endswith("A report can run.")


def test_dbmkit_test_runs_them_and_fails_on_a_broken_one(acme, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(acme["std"]))
    assert _main("test", acme["cfg"], "--workdir", acme["d"] / "work", "--out", tmp_path / "t1") == 0
    out = capsys.readouterr().out
    assert "OK       20_analyze_explore (overridden)" in out and "OK       35_acme_loyalty (added)" in out
    assert "21_analyze_rfm" not in out.split("client chapters of acme:")[1]      # only the client's chapters
    assert (tmp_path / "t1" / "notebooks" / "35_acme_loyalty.ipynb").exists()
    # a broken chapter: the command fails and names the cell and the error
    d = tmp_path / "broken_nb"
    d.mkdir()
    _nb(d / "36_acme_broken.ipynb", _good_cells([nbformat.v4.new_code_cell(
        "n = ws.sql('SELECT count(*) AS n FROM orders')['n'].iloc[0]\n"
        "raise RuntimeError(f'loyalty file missing ({n})')")]))
    later = nbformat.read(str(_nb(d / "37_acme_campaigns.ipynb", _good_cells())), as_version=4)
    later.cells[0].source = "# 37 · Campaign review (活动回顾)"
    later.metadata["dbmkit"] = {"kind": "added", "needs": ["campaigns"]}     # the sales-only client has none
    nbformat.write(later, str(d / "37_acme_campaigns.ipynb"))
    broken = _client(tmp_path / "clients", extra=f"notebooks: {d}\n")
    assert _main("check", broken, "--workdir", tmp_path / "work") == 0
    assert "the report will skip 37_acme_campaigns: it needs past campaigns" in capsys.readouterr().out
    assert _main("test", broken, "--workdir", tmp_path / "work") == 1
    out = capsys.readouterr().out
    assert "SKIPPED  37_acme_campaigns (added) 0 s: inputs missing: past campaigns" in out
    assert "FAILED   36_acme_broken (added)" in out
    assert "36_acme_broken.ipynb, cell 4 (\"n = ws.sql('SELECT count(*) AS n FROM orders')['n'].iloc[0]\"): " \
           "RuntimeError: loyalty file missing (120)" in out
    # nothing to test is an error, not a silent pass
    assert _main("test", _client(tmp_path / "none"), "--workdir", tmp_path / "work3") == 2
    assert "no client chapters to test" in capsys.readouterr().err


@pytest.mark.skipif(__import__("importlib.util").util.find_spec("nbval") is None, reason="nbval is not installed")
def test_dbmkit_test_with_nbval(tmp_path):
    import subprocess
    d = tmp_path / "nb"
    d.mkdir()
    cfg = _client(tmp_path / "clients", extra=f"notebooks: {d}\n")
    _nb(d / "36_acme_count.ipynb", _good_cells([nbformat.v4.new_code_cell(
        "n = int(ws.sql('SELECT count(*) AS n FROM orders')['n'].iloc[0])\nassert n == 120, n")]))
    args = [sys.executable, "-m", "dbmkit.cli", "test", str(cfg), "--nbval", "--workdir", str(tmp_path / "work")]
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "every client chapter ran (36_acme_count)" in r.stdout
    _nb(d / "36_acme_count.ipynb", _good_cells([nbformat.v4.new_code_cell("assert False, 'not 120'")]))
    r = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and "not 120" in r.stdout and "NOT every client chapter ran" in r.stdout


def test_cli_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        _main("--help")
    text = capsys.readouterr().out
    for cmd in ("new-chapter", "override-chapter", "chapters", "test"):
        assert cmd in text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"dbmkit {cmd}" in readme for cmd in ("new-chapter", "override-chapter", "chapters", "test"))
    doc = (ROOT / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    assert "## Adapting the workbook for a client" in doc


@pytest.mark.parametrize("name", ["dbmkit.client_chapters", "dbmkit.config"])
def test_docstring_examples(name):
    import doctest
    import importlib
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
