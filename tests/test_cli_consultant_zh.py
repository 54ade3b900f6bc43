"""The consultant's commands speak the client's language too (issue 16): for a config with `language: zh` (and with
DBMKIT_LANGUAGE=zh for `dbmkit new-client`, which has no config yet) new-client, new-chapter, override-chapter,
chapters, test, batch and the client-chapter part of check print Chinese — their failures and fixes included — and
so do the errors of folders that cannot be written and the rarer quarantine reasons of the build. Each command's
printed prose is measured (tools/zh_cli_scan.py: Chinese characters against English words, paths, code, names and
command lines apart) and must be at least 90 % Chinese. English prints what it always printed."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from dbmkit import cli, messages
from dbmkit import client_chapters as cc
from dbmkit.chapters import CHAPTERS
from dbmkit.config import load_config
from dbmkit.report import ReportResult
from dbmkit.report.result import ChapterRun

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tools"))
import consultant_files as cf  # noqa: E402
import zh_cli_scan  # noqa: E402

pytestmark = pytest.mark.xdist_group("cli_consultant_zh")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
CLIENT = {"shop", "Shop"}


def _main(*args) -> int:
    return cli.main([str(a) for a in args])


def _share(text: str) -> float:
    return zh_cli_scan.share(text, CLIENT)[0]


def _zh_client(d: Path) -> Path:
    return cf.zh_sales_only_client(d)


def test_the_measure_counts_english_prose_and_not_names():
    assert _share("[dbmkit] 已写好章节：/tmp/x/35_shop_a.ipynb") == 1.0
    assert _share("  orders            订单导出.csv  读取 1,200（编码 gb18030，分隔符 ','）") == 1.0
    assert _share("[dbmkit] wrote the chapter, then run it") == 0.0
    assert 0.3 < _share("下一步：check the guesses") < 0.7


# ------------------------------------------------------------------------------------------------------ new-client
@pytest.fixture
def chinese_files(tmp_path):
    sales, _ = cf.chinese_orders_csv(tmp_path)
    lines, _ = cf.online_retail_csv(tmp_path)
    return tmp_path, sales, lines


def test_new_client_speaks_chinese_with_dbmkit_language(chinese_files, monkeypatch, capsys):
    d, sales, lines = chinese_files
    monkeypatch.setenv("DBMKIT_LANGUAGE", "zh")
    cfg = d / "clients" / "shop.yaml"
    assert _main("new-client", "shop", sales, lines, "--dir", d / "clients") == 0
    out = capsys.readouterr().out
    got = out.splitlines()
    assert got[0] == f"[dbmkit] 已写好客户配置草稿：{cfg}"
    assert got[-1] == f"[dbmkit] 下一步：核对 {cfg} 中的推测，然后运行  dbmkit check {cfg}"
    assert "  订单导出.csv：orders（每行一笔订单：日期和订单金额）" in got
    assert "    格式 csv，编码 gb18030，分隔符 ','，表头行号 0，日期格式 %Y年%m月%d日" in got
    assert "    未映射的列：客户姓名，手机号" in got and "    未映射的列：Description，Country" in got
    assert re.search(r"^  online_retail_export\.csv：sales_lines（每行一条发票明细：商品、数量和单价；"
                     r"订单编号在多行中重复（\d+ % 互不相同））$", out, re.M)
    assert re.search(r"^    说明：以 'C' 开头的订单编号（占明细行的 [\d.]+ %）看起来是取消的订单；"
                     r"数量为负的明细行在构建时记为退货$", out, re.M)
    assert re.search(r"^    说明：[\d.]+ % 的行没有客户编号：这些行作为匿名销售保留（计入收入，但不计入客户分析）$",
                     out, re.M)
    assert "    order_id         ← 订单编号" in got                        # the mapping itself is names
    assert not re.search(r"\b(wrote|format|encoding|delimiter|note|not placed|next|one row per)\b", out)
    assert _share(out) >= 0.9, zh_cli_scan.english_lines(out, CLIENT)


def test_new_client_failures_are_chinese(chinese_files, monkeypatch, capsys):
    d, sales, _ = chinese_files
    monkeypatch.setenv("DBMKIT_LANGUAGE", "zh")
    monkeypatch.chdir(d)
    assert _main("new-client", "shop", sales, "--dir", "clients") == 0
    capsys.readouterr()
    assert _main("new-client", "shop", sales, "--dir", "clients") == 2          # the config exists
    err = capsys.readouterr().err
    assert err == "[dbmkit] 错误：clients/shop.yaml 已存在；请换一个名字，或加 --force 覆盖它\n"
    assert _main("new-client", "shop2", "nowhere.csv", "--dir", "clients") == 2     # a file that is not there
    err = capsys.readouterr().err
    assert err == "[dbmkit] 错误：nowhere.csv：找不到文件：nowhere.csv\n  修正：请检查文件的路径\n"
    (d / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))             # an image named .csv
    assert _main("new-client", "shop3", "picture.csv", "--dir", "clients") == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["[dbmkit] 错误：picture.csv：文件是 PNG 图片，不是表格",
                                "  修正：请把数据导出为带表头行的 CSV（或 Excel .xlsx），再给出该文件"]
    assert _main("new-client", "bad name", sales, "--dir", "clients") == 2        # a name that cannot name folders
    err = capsys.readouterr().err
    assert "client：只能使用字母、数字、'-' 和 '_'（它用作文件夹名），例如 'acme_retail'" in err
    assert "Traceback" not in err and "error:" not in err


def test_new_client_in_english_is_unchanged(chinese_files, monkeypatch, capsys):
    d, sales, lines = chinese_files
    monkeypatch.delenv("DBMKIT_LANGUAGE", raising=False)
    monkeypatch.chdir(d)
    assert _main("new-client", "shop", sales, lines, "--dir", "clients") == 0
    got = capsys.readouterr().out.splitlines()
    assert got[0] == "[dbmkit] wrote clients/shop.yaml"
    assert "  订单导出.csv: orders (one row per order: a date and an order amount)" in got
    assert "    format csv, encoding gb18030, delimiter ',', header row 0, dates %Y年%m月%d日" in got
    assert "    not placed: 客户姓名, 手机号" in got
    assert any(ln.startswith("    note: order ids starting with 'C' (") and ln.endswith(
        "% of the lines) look like cancellations; lines with negative quantities become returns in the build")
        for ln in got)
    assert got[-1] == "[dbmkit] next: check the guesses in clients/shop.yaml, then run  dbmkit check clients/shop.yaml"
    assert _main("new-client", "shop", sales, "--dir", "clients") == 2
    assert capsys.readouterr().err == ("[dbmkit] error: clients/shop.yaml exists; choose another name or pass --force "
                                       "to overwrite it\n")
    assert _main("new-client", "shop2", "nowhere.csv", "--dir", "clients") == 2
    assert capsys.readouterr().err == ("[dbmkit] error: nowhere.csv: file not found: nowhere.csv\n"
                                       "  Fix: check the path of the file\n")


# ------------------------------------------------------------------------ new-chapter, override-chapter, chapters
def test_chapter_commands_speak_chinese(tmp_path, capsys):
    cfg = _zh_client(tmp_path / "clients")
    own = tmp_path / "clients" / "shop" / "notebooks"
    outs = []

    def run(*args, rc=0):
        assert _main(*args) == rc
        res = capsys.readouterr()
        outs.append(res.out + res.err)
        return res
    out = run("new-chapter", cfg, "35", "Loyalty review", "--zh", "会员回顾").out.splitlines()
    nb = own / "35_shop_loyalty_review.ipynb"
    assert out == [f"[dbmkit] 已写好章节：{nb}",
                   f"[dbmkit] 下一步：在 JupyterLab 中打开它（jupyter lab {nb}），写好本章，然后运行  dbmkit check "
                   f"{cfg}  和  dbmkit test {cfg}"]
    out = run("new-chapter", cfg, "21", "RFM again").out.splitlines()
    assert out[1] == (f"[dbmkit] 说明：第 21 章也是一个标准章节；本章在它之后运行（若要替换标准章节，请用  "
                      f"dbmkit override-chapter {cfg} 21）")
    # the failures and their fixes
    err = run("new-chapter", cfg, "3x5", "Bad", rc=2).err
    assert err == "[dbmkit] 错误：章节编号 '3x5'：请写两位数字 00–99（它在章节顺序中的位置）\n"
    err = run("new-chapter", cfg, "35", "Loyalty review", rc=2).err
    assert err == f"[dbmkit] 错误：{nb} 已存在；如要覆盖，请加 --force\n"
    err = run("new-chapter", cfg, "36", "X", "--name", "36 bad name", rc=2).err
    assert err == "[dbmkit] 错误：章节名 '36 bad name'：请写成 36_topic（只用字母、数字、_ 和 -）\n"
    # override-chapter copies the Chinese edition, which a Chinese client runs: in step right away
    copy = own / "22_analyze_value.ipynb"
    out = run("override-chapter", cfg, "22").out.splitlines()
    assert re.fullmatch(rf"\[dbmkit\] 已写好 {re.escape(str(copy))}：标准章节 22_analyze_value\.ipynb 的副本，"
                        r"仅用于 shop（sha256 [0-9a-f]{12}… 记录在其元数据中）", out[0]), out[0]
    assert out[1] == f"[dbmkit] 下一步：在 JupyterLab 中修改它；标准章节有变化时，`dbmkit chapters {cfg}` 会提示"
    assert cc.read_standard_record(copy)["sha256"] == cc.source_hash(ROOT / "notebooks_zh" / "22_analyze_value.ipynb")
    out = run("override-chapter", cfg, "22", "--rehash").out
    assert re.fullmatch(rf"\[dbmkit\] {re.escape(str(copy))}：已记录标准章节 22_analyze_value\.ipynb 的当前版本"
                        r"（sha256 [0-9a-f]{12}…）\n", out), out
    err = run("override-chapter", cfg, "99", rc=2).err
    assert err.startswith("[dbmkit] 错误：没有唯一对应 '99' 的标准章节；请给出它的编号（21）或文件名"
                          "（21_analyze_rfm）；章节：00, 10, ")
    err = run("override-chapter", cfg, "23", "--rehash", rc=2).err
    assert err == f"[dbmkit] 错误：客户文件夹 {own} 中没有客户修改版 23_analyze_clv.ipynb\n"
    err = run("override-chapter", cfg, "22", rc=2).err
    assert err == f"[dbmkit] 错误：{copy} 已存在；如要覆盖，请加 --force\n"
    # dbmkit chapters: kinds, drift and the totals in Chinese
    (own / "notes.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()), encoding="utf-8")
    out = run("chapters", cfg).out.splitlines()
    assert out[0] == (f"shop 的章节：标准笔记本 {ROOT / 'notebooks_zh'}（中文版）；客户笔记本 {own}")
    assert f"  22  22_analyze_value                   客户修改版   {copy}" in out
    assert f"  35  35_shop_loyalty_review             客户专属章节  {nb}" in out
    assert "  21  21_analyze_rfm                     标准章节" in out
    assert "        与标准章节一致；副本未修改" in out
    assert out[-2:] == [f"标准章节 {len(CHAPTERS) - 1} 章，客户修改版 1 章，客户专属章节 2 章",
                        "不是章节（命名为 NN_topic.ipynb 才会运行）：notes.ipynb"]
    # a standard that changed since the copy (the recorded hash no longer matches): re-merge, in Chinese
    book = nbformat.read(str(copy), as_version=4)
    book.metadata["dbmkit"]["standard"]["sha256"] = "0" * 64
    nbformat.write(book, str(copy))
    out = run("chapters", cfg).out
    assert ("        复制之后标准章节已更改 — 请重新合并（把副本与工作手册中的 22_analyze_value.ipynb 比较，"
            "把改动移过来，然后运行 `dbmkit override-chapter --rehash`）；副本未修改") in out.splitlines()
    for text in outs:
        assert _share(text) >= 0.9, zh_cli_scan.english_lines(text, CLIENT)
        assert "error:" not in text and "note:" not in text and "next:" not in text


def test_chapters_in_english_is_unchanged(tmp_path, capsys):
    cfg = tmp_path / "clients" / "shop.yaml"
    (tmp_path / "clients").mkdir()
    cfg.write_text(_zh_client(tmp_path / "x").read_text(encoding="utf-8").replace("language: zh\n", "")
                   .replace("path: orders.csv", f"path: {tmp_path / 'x' / 'orders.csv'}"), encoding="utf-8")
    assert _main("override-chapter", cfg, "22") == 0
    copy = tmp_path / "clients" / "shop" / "notebooks" / "22_analyze_value.ipynb"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"[dbmkit] wrote {copy}: a copy of the standard 22_analyze_value.ipynb for shop only "
                             "(sha256 ") and out[0].endswith("… kept in its metadata)")
    assert _main("chapters", cfg) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (f"Chapters of shop: standard notebooks {ROOT / 'notebooks'} (English edition); client notebooks "
                      f"{copy.parent}")
    assert f"  22  22_analyze_value                   overridden   {copy}" in out
    assert "        in step with the standard; the copy is unchanged" in out
    assert out[-1] == f"{len(CHAPTERS) - 1} standard, 1 overridden, 0 added"


# ------------------------------------------------------------------------------- check (client chapters) and test
def _nb(path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, str(path))
    return path


def _good_cells(extra: list | None = None, title: str = "# 36 · A test chapter") -> list:
    v4 = nbformat.v4
    return [v4.new_markdown_cell(title),
            v4.new_code_cell('config = "../shop.yaml"\noverrides = None', metadata={"tags": ["parameters"]}),
            v4.new_code_cell("import dbmkit as dbm\nws = dbm.workspace(config, overrides=overrides)"),
            *(extra or []),
            v4.new_code_cell("dbm.provenance(ws)")]


@pytest.fixture
def broken_notebooks(tmp_path):
    """A client folder whose notebooks break every rule `dbmkit check` knows."""
    v4 = nbformat.v4
    d = tmp_path / "nb"
    d.mkdir()
    _nb(d / "36_with_outputs.ipynb", _good_cells([v4.new_code_cell("print(1)", execution_count=1, outputs=[
        v4.new_output("stream", name="stdout", text="1\n")])]))
    no_params = _good_cells()
    no_params[1].metadata = {}
    _nb(d / "37_no_parameters.ipynb", no_params)
    _nb(d / "38_absolute.ipynb", _good_cells([
        v4.new_code_cell("import pandas as pd\ndf = pd.read_csv('/home/a/x.csv')"),
        v4.new_code_cell(r"x = open('C:\\Users\\a\\x.csv')")]))
    _nb(d / "39_private.ipynb", _good_cells([v4.new_code_cell("from dbmkit.rfm import _quantile_scores"),
                                             v4.new_code_cell("import dbmkit.report._hidden"),
                                             v4.new_code_cell("n = dbm.chapters._secret(ws)"),
                                             v4.new_code_cell("from dbmkit.rfm import no_such_table"),
                                             v4.new_code_cell("from dbmkit.rfm import *"),
                                             v4.new_code_cell("x = (")]))
    _nb(d / "40_two_parameters.ipynb", _good_cells([v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]))
    comment = _good_cells()
    comment[1].source += "  # e.g. a = b"
    _nb(d / "44_comment.ipynb", comment)
    _nb(d / "41_no_provenance.ipynb", _good_cells()[:-1] + [v4.new_code_cell("1 + 1")])
    needs = nbformat.read(str(_nb(d / "42_needs.ipynb", _good_cells())), as_version=4)
    needs.metadata["dbmkit"] = {"needs": ["loyalty_cards"]}
    nbformat.write(needs, str(d / "42_needs.ipynb"))
    _nb(d / "43_empty.ipynb", [v4.new_markdown_cell("# 43 · Empty")])
    _nb(d / "scratch.ipynb", _good_cells())
    return d


def test_client_notebook_problems_are_chinese(broken_notebooks, tmp_path, capsys):
    d = broken_notebooks
    path = _zh_client(tmp_path / "clients")
    path.write_text(path.read_text(encoding="utf-8") + f"notebooks: {d}\n", encoding="utf-8")
    assert _main("check", path, "--workdir", tmp_path / "work", "-q") == 1       # dbmkit check ends with them
    out = capsys.readouterr().out
    own = out[out.index("\n客户章节（"):]
    assert "可以生成报告。" in out and own.splitlines()[2].startswith("客户笔记本有问题（")
    assert _share(own) >= 0.9, zh_cli_scan.english_lines(own, CLIENT)
    cfg = load_config(path)
    lines, ok = cc.check_lines(cfg)
    text = "\n".join(lines)
    assert not ok
    assert lines[0].startswith(f"客户章节（{d}）：36_with_outputs（客户专属章节），37_no_parameters（客户专属章节），")
    problems = cc.check_client(cfg)
    assert lines[1] == f"客户笔记本有问题（{len(problems)} 个；修正后请再次运行 dbmkit check）："
    for exact in (
            "  36_with_outputs.ipynb，第 4 个单元格：保存时带有输出（结果，可能还有客户数据，会进入客户文件夹及其"
            "版本控制） — 修正：请清除输出：`nbstripout 36_with_outputs.ipynb`，或在 JupyterLab 中选择 Edit → "
            "Clear Outputs of All Cells，然后保存",
            "  37_no_parameters.ipynb：没有参数单元格（带 `parameters` 标签的代码单元格）：报告无法传入客户的配置"
            "和设置 — 修正：把第一个代码单元格写成 `config = \"../../<client>.yaml\"` 和 `overrides = None`，"
            "并给它加上标签 `parameters`（JupyterLab：属性检查器中的 Cell Tags），与 `dbmkit new-chapter` 写的一样",
            "  38_absolute.ipynb，第 4、5 个单元格：代码中有绝对路径（只能在一台电脑上运行） — 修正：请写相对于"
            "配置文件的路径并用 `ws.cfg.resolve(\"data/file.csv\")` 解析，或把该文件作为数据源加入配置",
            "  39_private.ipynb，第 4 个单元格：导入或使用了 dbmkit 不提供的名称：`_quantile_scores` 是私有名称"
            "（以 _ 开头） — 修正：请使用公开名称（`dbm.rfm.…`、`dbm.plots.…`：模块文档和 __all__ 中列出的名称）",
            "  scratch.ipynb：文件名不是章节名（应为两位数字加主题） — 修正：请改名为 NN_topic.ipynb，例如 "
            "35_acme_loyalty.ipynb：数字决定它在章节顺序中的位置；与标准章节同名则替换该章"):
        assert exact in lines, exact
    for phrase in ("`dbmkit.report._hidden` 是私有模块", "`dbm.chapters._secret` 使用了 dbmkit 的私有名称",
                   "`no_such_table` 不是 dbmkit.rfm 的公开名称（不在其 __all__ 中）",
                   "`from dbmkit.rfm import *` 会隐藏本章用到了哪些名称", "代码无法解析（第 1 行：",
                   "有多个单元格带 `parameters` 标签 — 修正：只在一个单元格上保留该标签",
                   "papermill 无法读取注释中含有 '=' 的参数：'overrides = None  # e.g. a = b' — "
                   "修正：请改写注释，去掉 '='",
                   "最后一个代码单元格没有显示数据来源（provenance） — 修正：请以代码单元格 `dbm.provenance(ws)` "
                   "结束本章",
                   "metadata.dbmkit.needs 中有未知的输入：loyalty_cards — 修正：请使用 dbmkit.chapters.NEEDS 中的键：",
                   "笔记本中没有代码单元格 — 修正：请从 `dbmkit new-chapter` 开始"):
        assert phrase in text, phrase
    assert _share(text) >= 0.9, zh_cli_scan.english_lines(text, CLIENT)
    # in English every problem reads as before (str() is the English text)
    en, _ = cc.check_lines(cfg, lang="en")
    assert en[1] == f"Client notebooks with problems ({len(problems)}; fix them, then run dbmkit check again):"
    assert en[2:] == [f"  {p}" for p in problems] and all(p.text("en") == str(p) for p in problems)
    assert ("  36_with_outputs.ipynb, cell 4: stored with outputs (results, and possibly customer data, would go into "
            "the client folder and its version control) — fix: clear them: `nbstripout 36_with_outputs.ipynb` or "
            "JupyterLab Edit → Clear Outputs of All Cells, then save") in en
    assert not [ln for ln in en if CJK.search(ln)]


def test_dbmkit_test_speaks_chinese(broken_notebooks, tmp_path, monkeypatch, capsys):
    cfg = _zh_client(tmp_path / "clients")
    assert _main("test", cfg) == 2                                        # no client chapters yet
    err = capsys.readouterr().err
    assert err == (f"[dbmkit] 错误：{tmp_path / 'clients' / 'shop' / 'notebooks'} 中没有可测试的客户章节（配置中的 "
                   "`notebooks:`，默认是 <配置文件夹>/<client>/notebooks）；请用 dbmkit new-chapter 写一章\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text(cfg.read_text(encoding="utf-8").replace("path: orders.csv", "path: clients/orders.csv")
                      + f"notebooks: {broken_notebooks}\n", encoding="utf-8")
    assert _main("test", broken) == 1                                     # notebooks that break the rules
    out = capsys.readouterr().out
    n = len(cc.check_client(load_config(broken)))
    assert out.splitlines()[0] == f"[dbmkit] 客户笔记本中有 {n} 个问题（修正后请再次测试）："
    assert "  36_with_outputs.ipynb，第 4 个单元格：保存时带有输出" in out
    assert _share(out) >= 0.9, zh_cli_scan.english_lines(out, CLIENT)
    # the run: one chapter ran, one was skipped, one failed (the report itself is tests/test_client_chapters.py's)
    assert _main("new-chapter", cfg, "35", "Loyalty") == 0
    capsys.readouterr()
    runs = [ChapterRun("35_shop_loyalty", "Loyalty", status="ok", kind="added", seconds=3.2),
            ChapterRun("36_shop_campaigns", "Campaigns", status="skipped", kind="added",
                       message=messages.msg("report.inputs_missing", "zh") + "历史营销活动及其接触客户"),
            ChapterRun("37_shop_broken", "Broken", status="failed", kind="added", seconds=1.0,
                       message="37_shop_broken.ipynb, cell 4: RuntimeError: boom")]
    import dbmkit.report as report
    monkeypatch.setattr(report, "run_report", lambda config, **kw: ReportResult(
        out=tmp_path / "t", client="shop", runs=runs, seconds=5.0))
    assert _main("test", cfg, "--out", tmp_path / "t") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-5:] == ["[dbmkit] shop 的客户章节：",
                        "  已运行  35_shop_loyalty（客户专属章节）3 秒",
                        "  已跳过  36_shop_campaigns（客户专属章节）0 秒：缺少数据：历史营销活动及其接触客户",
                        "  失败   37_shop_broken（客户专属章节）1 秒：37_shop_broken.ipynb, cell 4: RuntimeError: boom",
                        f"[dbmkit] 3 章中 2 章已运行；运行后的笔记本在 {tmp_path / 't' / 'notebooks'}"]
    assert _share("\n".join(out)) >= 0.9
    en = tmp_path / "en.yaml"
    en.write_text(cfg.read_text(encoding="utf-8").replace("language: zh\n", "").replace(
        "path: orders.csv", "path: clients/orders.csv") + f"notebooks: {cfg.parent / 'shop' / 'notebooks'}\n")
    assert _main("test", en, "--out", tmp_path / "t") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-5:] == ["[dbmkit] client chapters of shop:", "  OK       35_shop_loyalty (added) 3 s",
                        "  SKIPPED  36_shop_campaigns (added) 0 s: 缺少数据：历史营销活动及其接触客户",
                        "  FAILED   37_shop_broken (added) 1 s: 37_shop_broken.ipynb, cell 4: RuntimeError: boom",
                        f"[dbmkit] 2 of 3 ran; executed notebooks in {tmp_path / 't' / 'notebooks'}"]


# ------------------------------------------------------------------------------------------------------------ batch
def test_batch_speaks_chinese_for_chinese_clients(tmp_path, monkeypatch, capsys):
    from dbmkit.consultant import batch, commands
    good = _zh_client(tmp_path / "good")
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: bad\nlanguage: zh\nfoo: 1\n", encoding="utf-8")
    row = batch._run_one(bad, tmp_path / "out", None, None, None, None)   # the config fails: no process started
    assert row["status"] == "error"
    assert sorted(row["message"].removeprefix("配置错误：").split(" | ")) == ["data：缺少必填字段；请补上",
                                                                         "foo：未知字段；请删除或改名"], row
    en = tmp_path / "bad_en.yaml"
    en.write_text("client: bad\nfoo: 1\n", encoding="utf-8")
    row = batch._run_one(en, tmp_path / "out", None, None, None, None)
    assert row["message"].startswith("config error: ") and "foo: unknown field; remove or rename it" in row["message"]
    df = pd.DataFrame([{"client": "shop", "status": "ok", "chapters_ok": 3, "chapters_failed": 0,
                        "chapters_skipped": 1, "seconds": 12.0, "persons": 30, "customers_active": 20,
                        "top20_revenue_share": 0.41, "message": ""},
                       {"client": "bad", "status": "error", "chapters_ok": 0, "chapters_failed": 0,
                        "chapters_skipped": 0, "seconds": 0.0, "persons": None, "customers_active": None,
                        "top20_revenue_share": None, "message": "配置错误：foo：未知字段；请删除或改名"}])
    df.attrs["out"] = str(tmp_path / "out")
    monkeypatch.setattr(commands, "run_batch", lambda *a, **kw: df)
    assert _main("batch", good, bad) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["客户", "状态", "已运行", "失败", "已跳过", "秒", "人数", "活跃客户", "前20%收入占比",
                              "说明"]
    assert out[1].split()[:3] == ["shop", "正常", "3"] and out[2].split()[:2] == ["bad", "出错"]
    assert out[-2:] == ["[dbmkit] 2 个客户中 1 个运行正常，1 个未成功：见“说明”一列",
                        f"[dbmkit] 汇总：{tmp_path / 'out' / 'index.html'}"]
    assert _share("\n".join(out)) >= 0.9, zh_cli_scan.english_lines("\n".join(out), CLIENT | {"bad"})
    assert _main("batch", en, good) == 1                    # not every client is Chinese: the lines stay English
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["client", "status", "ok"] and out[1].split()[:2] == ["shop", "ok"]
    assert out[-2:] == ["[dbmkit] 1 of 2 client(s) ok, 1 not: see the message column",
                        f"[dbmkit] summary: {tmp_path / 'out' / 'index.html'}"]


# ------------------------------------------------------------------------------------ errors and quarantine reasons
def test_folder_errors_are_chinese(tmp_path, capsys):
    cfg = _zh_client(tmp_path / "clients")
    (tmp_path / "afile").write_text("x")
    assert _main("check", cfg, "--workdir", tmp_path / "afile" / "work") == 2
    err = capsys.readouterr().err
    assert err == (f"[dbmkit] 错误：无法写入工作目录 {tmp_path / 'afile' / 'work'}：{tmp_path / 'afile'} 是一个文件，"
                   "不是文件夹；请用 --workdir 指定一个可写的文件夹（或在配置中设置 `workdir:`）\n")
    en = tmp_path / "en.yaml"
    en.write_text(cfg.read_text().replace("language: zh\n", "").replace("path: orders.csv", "path: clients/orders.csv"))
    assert _main("check", en, "--workdir", tmp_path / "afile" / "work") == 2
    assert capsys.readouterr().err == (f"[dbmkit] error: cannot write the work folder {tmp_path / 'afile' / 'work'}: "
                                       f"{tmp_path / 'afile'} is a file, not a folder; give --workdir a folder you can "
                                       "write to (or set `workdir:` in the config)\n")


@pytest.mark.parametrize("change, expected", [
    (("net_amount: amount", "net_amount: amt"),
     ["[dbmkit] 错误：orders.csv，列 'amt'：映射写的是 net_amount ← 'amt'，但文件中没有 'amt' 这一列",
      "  修正：是否想写 'amount', 'date'？文件中的列：order, customer, date, amount"]),
    (("path: orders.csv", "path: orders.csv\n        delimiter: ';'"),
     ["[dbmkit] 错误：orders.csv：分隔符不对：表头按 ';' 分只有 1 列，按 ',' 分却有 4 列",
      "  修正：为该数据源设置 `delimiter: ','`（或删除它以自动识别）"]),
    (("path: orders.csv", "path: orders.xlsx"),
     ["[dbmkit] 错误：orders.xlsx：文件是文本（是 CSV 文件吗？），不是 Excel 工作簿",
      "  修正：请改名为 orders.csv 并修改 `path:`，或为该数据源设置 `format: csv`"]),
    ((", net_amount: amount}", "}"),
     ["[dbmkit] 错误：orders.csv：orders 的映射缺少 net_amount（或 gross_amount）",
      "  修正：请在 `columns:` 下补上（标准列名: 文件中的列名）；候选：net_amount: 'amount'?；文件中的列：order, "
      "customer, date, amount"]),
])
def test_source_errors_are_chinese(tmp_path, capsys, change, expected):
    cfg = _zh_client(tmp_path)
    (tmp_path / "orders.xlsx").write_bytes((tmp_path / "orders.csv").read_bytes())
    text = cfg.read_text(encoding="utf-8")
    assert change[0] in text
    cfg.write_text(text.replace(change[0], change[1]), encoding="utf-8")
    assert _main("check", cfg, "--workdir", tmp_path / "work", "-q") == 2
    err = capsys.readouterr().err
    assert err.splitlines() == expected
    assert _share(err) >= 0.9, zh_cli_scan.english_lines(err, CLIENT)


@pytest.mark.parametrize("en, zh", [
    ("cannot write the report folder /r/x (Permission denied); give --out a folder you can write to",
     "无法写入报告文件夹 /r/x（没有权限）；请用 --out 指定一个可写的文件夹"),
    ("cannot write the batch folder /b (Read-only file system); give --out a folder you can write to",
     "无法写入批量运行文件夹 /b（只读文件系统）；请用 --out 指定一个可写的文件夹"),
    ("another build is running on this workdir /w (pid 42 on box, since 2020-01-01 00:00:00) (dbmkit report acme); "
     "waited 5 s; wait for it to finish, pass --wait SECONDS to wait for it, or use --workdir elsewhere",
     "另一个构建正在工作目录 /w 上运行（pid 42，在 box 上，始于 2020-01-01 00:00:00）（dbmkit report acme）；"
     "已等待 5 秒；请等它结束，或用 --wait 秒数 等待它，或用 --workdir 换一个工作目录"),
    ("cannot write the database /w/marketing.duckdb (read-only file); give --workdir a folder you can write to, or "
     "make the file writable", "无法写入数据库 /w/marketing.duckdb（只读文件）；请用 --workdir 指定一个可写的文件夹，"
                              "或让该文件可写"),
    ("/c/acme.erasures.json is the erasure ledger of client 'shop', not of 'acme'; give each client its own ledger "
     "(privacy.erasure_ledger)",
     "/c/acme.erasures.json 是客户 'shop' 的删除台账，不是 'acme' 的；请为每个客户设置各自的台账"
     "（privacy.erasure_ledger）"),
])
def test_errors_of_folders_locks_and_ledgers_read_in_chinese(en, zh):
    assert messages.error_text(en, "zh") == zh
    assert messages.error_text(en, "en") == en


def test_a_busy_work_folder_is_told_in_chinese(tmp_path, capsys):
    from dbmkit.preflight import workdir_lock
    cfg = _zh_client(tmp_path / "clients")
    work = tmp_path / "work"
    work.mkdir()
    with workdir_lock(work, command="dbmkit build shop"):
        assert _main("check", cfg, "--workdir", work) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"[dbmkit] 错误：另一个构建正在工作目录 {work} 上运行（pid ") and err.endswith(
        "）（dbmkit build shop）；请等它结束，或用 --wait 秒数 等待它，或用 --workdir 换一个工作目录\n"), err


# the rarer quarantine reasons, consent problems and load warnings, as the build writes them
RARE = [
    "order_ts: date before the plausible dates (1900-01-01: they start 2000-01-01, `data.dates`)",
    "order_ts: date after the plausible dates (2031-01-01: they end 2027-06-30, `data.dates`)",
    "net_amount: '9999999999' is beyond the limit of ±1,000,000,000 (`data.max_amount`): a typing error or a test "
    "value?",
    "net_amount: '1,50' has a decimal comma but the column's other values use a decimal point: correct the value, or "
    "set `decimal:` for this source",
    "net_amount: '1.50' does not read with `decimal: ','` set for this source (it has a decimal point): correct the "
    "value, or the setting",
    "net_amount: '1.234' is ambiguous (a thousands separator or a decimal mark?): set `decimal: '.'` or "
    "`decimal: ','` for this source",
    "status: 'shipped' is not one of completed/returned/cancelled",
    "email_consent: 'maybe' is not yes/no",
    "customer_id: value too long (512 characters; the limit is 200) — a broken line or a note pasted into the field?",
    "unreadable line: the line has more fields than the header (a delimiter inside an unquoted value?) (Expected "
    "Number of Columns: 4 Found: 5)",
    "unreadable line: a quote opens but never closes properly (set aside on its own, the lines after it were read as "
    "usual)",
    "customer_id C00042 appears again with different content (first at ./crm.csv row 17); two systems use the same "
    "ids? set `id_prefix` for one of them",
    "order_id: 10042 is also in an order-level sales file",
    "customer_id: invoice 536365 has lines with different customers",
    "net_amount: negative amount on a completed order (a return? map its status as returned)",
    "campaign_id: CMP9 is not in the campaigns file",
    "the same person was contacted twice in one campaign (two records of one person)",
    "system_a: no customers source has the system 'card' (the systems are crm, web)",
    "id_b: the system 'crm' has no record with the id '77' (check the id and the source's `id_prefix`)",
    "the link links a record to itself",
    "the link repeats the link of row 12 (the same two records)",
    "the record R17 is in 25 links (more than 20): a placeholder id or a shared card? its links were set aside",
    "erased person (right to erasure): row withheld",
    "status 'later' is not a known consent word; an opt-in must name one channel, not 'all' (counted as an opt-out on "
    "every channel)",
    "updated_at: cannot read '32/13/2024' as a date (counted as the latest evidence)",
    "a record joined to this person by a known id link (customer_links) opted out of this channel: its opt-out holds "
    "for the whole person",
    "no order_id mapped: each row is one order, numbered by its row in the file",
    "row numbers count records, not physical lines (unusual quoting)",
    "mixed encodings: 3 line(s) (first: line 7) were not UTF-8 and were read as gb18030; check them",
    "./orders.csv column net_amount: comma decimals, '.' thousands — '1.234,50' read as 1234.5 (set `decimal: ','` to "
    "make it explicit)",
    "./orders.csv column net_amount: 2 value(s) in parentheses read as negative (e.g. (12.00) → -12.00)",
    "column 'ts' holds time-zone-aware timestamps: converted to the local time of Asia/Shanghai (the config's "
    "`timezone`) and kept without zone",
    "the file is a gzip-compressed file: read unpacked",
    "known id links: 1,200 given, 1,100 applied (30 joined records fuzzy matching kept apart), 100 quarantined",
]


@pytest.mark.parametrize("reason", RARE)
def test_rare_reasons_read_in_chinese_with_their_names_and_values(reason):
    zh = messages.translate(reason, "zh")
    assert messages.translate(reason, "en") == reason
    assert CJK.search(zh), zh
    kept = re.findall(r"'[^']*'|`[^`]+`|\b[A-Z]+\d+\b|\b\w+_\w+\b|\d{4}-\d\d-\d\d|\b\d{3,}\b|\S+\.csv|±[\d,]+", reason)
    for x in kept:
        assert x in zh, (x, zh)
    prose = zh_cli_scan.prose(re.sub(r"\(Expected.*\)$", "", zh))
    assert not re.search(r"\b(the|of|with|is|no|line|cannot|missing|counted|read|set|not|one|a|an|and|or|to)\b",
                         prose), zh
    assert CJK.search(messages.fix_for(reason, "zh"))


def test_docstring_examples(monkeypatch):
    import doctest

    from dbmkit import phrases_zh
    monkeypatch.delenv("DBMKIT_LANGUAGE", raising=False)
    for mod in (phrases_zh, messages):
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0
