"""The report runner on a minimal client: chapters whose inputs are missing are skipped with a page saying what is
missing and how to provide it; pages drop the students' exercises, mask contact details a chapter printed, show
Chinese headings for `language: zh`; clear errors for bad --phases."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dbmkit import chapters, privacy, report

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402  (the tests' client-file helpers)

ROOT = Path(__file__).resolve().parents[1]
# the tests share one expensive module fixture: keep them on one xdist worker (make test uses --dist loadgroup)
pytestmark = pytest.mark.xdist_group("sales_only_report")


def _nb(cells: list[tuple[str, str, list]], path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    out = []
    for i, (kind, src, tags) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        # fixed cell ids, as the workbook's notebooks have: nbformat's random ones (8 hex characters, in the page's
        # id="cell-id=…") were once all digits and read as a phone number by the raw-HTML scan below
        out.append(make(src, id=f"cell{i:02d}", metadata={"tags": tags} if tags else {}))
    nb.cells = out
    nbformat.write(nb, str(path))


@pytest.fixture(scope="module")
def sales_only(tmp_path_factory):
    """A client with one order file (no order lines, no campaigns) and three tiny chapters."""
    d = tmp_path_factory.mktemp("sales_only")
    cfg = cf.sales_only_client(d)
    nbdir = d / "notebooks"
    nbdir.mkdir()
    setup = ("code", "import dbmkit as dbm\nws = dbm.workspace(config)", [])
    _nb([("code", 'config = ""', ["parameters"]), setup,
         ("markdown", "## Customers (客户)\n\nSome text.", []),
         ("code", "n = int(ws.sql('SELECT count(*) AS n FROM customers')['n'].iloc[0])\n"
                  "dbm.record('persons', n)\nprint('contact: ann.lee@mail.com, +1 212 555 0342, see x@example.com')",
          []),
         ("markdown", "**What this means for the marketer:** keep them.", []),
         ("markdown", "## Your turn\n\n**21.1** How many?", []),
         ("code", "answer = None\ndbm.exercises.check('00.1', answer, ws)", ["exercise"]),
         ("markdown", "**21.2** And now?", []),
         ("code", "answer = None", ["exercise"]),
         ("code", "dbm.provenance(ws)", [])], nbdir / "21_analyze_rfm.ipynb")
    _nb([("code", 'config = ""', ["parameters"]), setup, ("code", "raise RuntimeError('must not run')", [])],
        nbdir / "25_analyze_baskets.ipynb")
    _nb([("code", 'config = ""', ["parameters"]), setup, ("code", "raise RuntimeError('must not run')", [])],
        nbdir / "26_analyze_predict.ipynb")
    return d, cfg, nbdir


def test_chapters_with_missing_inputs_are_skipped_with_a_page(sales_only, tmp_path, monkeypatch):
    d, cfg, nbdir = sales_only
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    out = tmp_path / "rep"
    res = report.run_report(cfg, out=out, workdir=d / "work", phases=["21", "25", "26"], progress=False)
    runs = {r.file: r for r in res.runs}
    assert runs["21_analyze_rfm"].status == "ok"
    assert runs["25_analyze_baskets"].status == "skipped" and runs["25_analyze_baskets"].missing == ["order_items"]
    assert runs["26_analyze_predict"].status == "skipped" and runs["26_analyze_predict"].missing == ["campaigns"]
    assert res.ok                                                 # skipped is not a failure
    page = (out / "25_analyze_baskets.html").read_text(encoding="utf-8")
    assert "This chapter was skipped" in page and "order lines with products" in page
    assert "How to provide it: map a line-level sales file as `sales_lines`" in page
    assert not (out / "notebooks" / "25_analyze_baskets.ipynb").exists()       # it never ran
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Skipped chapters (inputs missing)" in index and 'href="26_analyze_predict.html"' in index
    assert "inputs missing: past campaigns with the customers they contacted" in index
    status = json.loads((out / "status.json").read_text())
    assert {c["file"]: c["status"] for c in status["chapters"]} == {
        "21_analyze_rfm": "ok", "25_analyze_baskets": "skipped", "26_analyze_predict": "skipped"}
    # the chapter page: no code, no exercises, contact details masked, the count noted
    ch = (out / "21_analyze_rfm.html").read_text(encoding="utf-8")
    assert "Your turn" not in ch and "How many?" not in ch and "dbm.exercises.check" not in ch
    assert "Some text." in ch and "keep them." in ch
    assert "ann.lee@mail.com" not in ch and "a***@mail.com" in ch and "555 0342" not in ch
    assert "x@example.com" in ch                                # a documentation address is not masked
    assert runs["21_analyze_rfm"].masked == 2 and "2 contact details masked on this page" in ch
    assert privacy.find_pii(ch) == []
    # the data summary of the index
    assert "Customers" in index and ">30<" in index and ">120<" in index


def test_zh_pages_and_skip_notes(sales_only, tmp_path, monkeypatch):
    d, cfg, nbdir = sales_only
    zh = d / "shop_zh.yaml"
    zh.write_text(cfg.read_text().replace("client: shop\n", "client: shop_zh\nlanguage: zh\ncurrency: CNY\n"))
    monkeypatch.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    out = tmp_path / "rep_zh"
    report.run_report(zh, out=out, workdir=d / "work_zh", phases=["21", "25"], progress=False)
    page = (out / "25_analyze_baskets.html").read_text(encoding="utf-8")
    assert "本章已跳过" in page and "订单明细" in page and '<html lang="zh-CN">' in page
    ch = (out / "21_analyze_rfm.html").read_text(encoding="utf-8")
    assert "客户（Customers）" in ch                                   # the Chinese term first
    assert "对营销人员的意义（What this means for the marketer）" in ch
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "已跳过的章节（缺少数据）" in index and "缺少数据：订单明细" in index


def test_missing_inputs_and_notes(sales_only, tmp_path):
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    d, cfg, _ = sales_only
    c = load_config(cfg, overrides={"workdir": str(d / "work_notes")})
    ws = Workspace(c).ensure_built()
    with ws.connect() as con:
        assert [k for k, _ in chapters.missing_inputs("25_analyze_baskets", con)] == ["order_items"]
        assert chapters.missing_inputs("21_analyze_rfm", con) == []
        assert [k for k, _ in chapters.missing_inputs("40_evaluate_results", con)] == ["campaigns", "control_groups"]
    assert chapters.has(ws, "repeat_buyers") is True               # 30 customers, each buying on 4 days
    assert chapters.has(ws, "contact_details") is False
    note = chapters.missing_note("area_demographics").data
    assert note.startswith("> **This section was skipped:**") and "`area_demographics`" in note
    with pytest.raises(KeyError, match="unknown need"):
        chapters.has(ws, "nonsense")


def test_every_need_and_chapter_reference_is_known():
    for ch in chapters.CHAPTERS:
        for k in ch.needs:
            assert k in chapters.NEEDS, (ch.file, k)


def test_markdown_helpers():
    src = "# 21 · RFM analysis (RFM分析)\n## What this means for the marketer\n## Plain heading\ntext (中文)"
    out = report.pages._zh_markdown(src).splitlines()
    assert out[0] == "# 21 · RFM分析（RFM analysis）"
    assert out[1] == "## 对营销人员的意义（What this means for the marketer）"
    assert out[2] == "## Plain heading" and out[3] == "text (中文)"
    cells = [nbformat.v4.new_markdown_cell("## A"), nbformat.v4.new_markdown_cell("## Your turn"),
             nbformat.v4.new_markdown_cell("**1.1** q"),
             nbformat.v4.new_code_cell("x", metadata={"tags": ["exercise"]}),
             nbformat.v4.new_markdown_cell("<a id='x'></a>\n## Chapters"),
             nbformat.v4.new_code_cell("dbm.provenance()")]
    kept = report.pages._drop_your_turn(cells)
    assert [c.source for c in kept] == ["## A", "<a id='x'></a>\n## Chapters", "dbm.provenance()"]


def test_unknown_phase_is_a_clear_error(sales_only):
    _, cfg, _ = sales_only
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "report", str(cfg), "--phases", "77"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "--phases: no chapter matches ['77']" in r.stderr and "Traceback" not in r.stderr
