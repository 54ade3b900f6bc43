"""The rest of issue 16's command in Chinese: what `dbmkit` writes into files for a Chinese client — the comments of
the config draft of `dbmkit new-client` (DBMKIT_LANGUAGE=zh), the chapter `dbmkit new-chapter` writes, the batch's
index.html and batch.log — and the errors of compare, lab, site and init and of sources and source queries that
cannot be read. Each Chinese text names its files, columns and values as they are; the English ones are unchanged."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from dbmkit import cli, messages
from dbmkit import client_chapters as cc
from dbmkit.config import load_config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "tools"))
import consultant_files as cf  # noqa: E402
import zh_cli_scan  # noqa: E402

pytestmark = pytest.mark.xdist_group("cli_consultant_zh")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
NAMES = {"shop", "Shop", "bad", "gzip", "xz", "psycopg", "pip", "install", "xls",   # names, not English prose
         "pyspark", "spark-sql", "master", "lake", "reflect"}


def _main(*args) -> int:
    return cli.main([str(a) for a in args])


def _share(text: str) -> float:
    return zh_cli_scan.share(text, NAMES)[0]


def _zh_client(d: Path) -> Path:
    return cf.zh_sales_only_client(d)


def _comments(text: str) -> str:
    """The comments of a YAML text (what follows each '#'), one per line."""
    return "\n".join(ln.split("#", 1)[1] for ln in text.splitlines() if "#" in ln)


# ------------------------------------------------------------------------------------------ the new-client draft
def test_the_draft_config_is_commented_in_chinese(tmp_path, monkeypatch, capsys):
    sales, _ = cf.chinese_orders_csv(tmp_path)
    lines, _ = cf.online_retail_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DBMKIT_LANGUAGE", "zh")
    assert _main("new-client", "shop", sales, lines, "--dir", "clients") == 0
    capsys.readouterr()
    text = (tmp_path / "clients" / "shop.yaml").read_text(encoding="utf-8")
    got = text.splitlines()
    assert got[0].startswith("# 客户配置草稿，由 `dbmkit new-client` 于 ") and got[0].endswith("根据 2 个文件生成。")
    assert got[2] == "#     dbmkit check clients/shop.yaml"
    assert "language: zh           # `en` 或 `zh`（中文标题、标签和图表）；根据表头推测" in got
    assert "      # 订单导出.csv：orders — 每行一笔订单：日期和订单金额" in got
    assert "            # 表头 '订单编号' 是 order_id 的常用名称；值为代码（例如 'SO100001', 'SO100002'）" in got
    assert any(re.fullmatch(r" {12}# 表头 'Quantity' 是 quantity 的常用名称；值为整数（例如 .*）；[\d.]+ % 为负数", ln)
               for ln in got)
    assert '        date_format: "%m/%d/%Y %H:%M"   # 月在前（第二个数字出现了大于 12 的值）' in got
    assert "        # 未映射的列：" in got
    assert any(ln.startswith("        # - '客户姓名'：值为文本（例如 ") for ln in got)
    assert any(ln.startswith("        # 说明：以 'C' 开头的订单编号（占明细行的 ") for ln in got)
    assert "    # customers:   # 该文件也写有购买者；取消注释即可把他们作为客户记录载入" in got
    assert "# 尚未提供（报告会跳过或简化需要它们的章节）：" in got
    assert _share(_comments(text)) >= 0.9, zh_cli_scan.english_lines(_comments(text), NAMES)
    # the keys stay English: the draft is a config that loads, with the mapping it guessed
    data = yaml.safe_load(text)
    assert data["client"] == "shop" and data["language"] == "zh"
    assert data["data"]["sources"]["orders"][0]["columns"]["order_id"] == "订单编号"
    assert load_config(tmp_path / "clients" / "shop.yaml").client == "shop"


def test_the_draft_config_in_english_is_unchanged(tmp_path, monkeypatch, capsys):
    sales, _ = cf.chinese_orders_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBMKIT_LANGUAGE", raising=False)
    assert _main("new-client", "shop", sales, "--dir", "clients") == 0
    capsys.readouterr()
    got = (tmp_path / "clients" / "shop.yaml").read_text(encoding="utf-8").splitlines()
    assert got[1:4] == ["# Every guess is commented: check the mapping (canonical column: column in the file), "
                        "then run", "#     dbmkit check clients/shop.yaml",
                        "# and fix what it reports. Every field is explained in docs/CONFIG.md."]
    assert "language: zh           # en or zh (Chinese headings, labels and charts); guessed from the headers" in got
    assert "      # 订单导出.csv: orders — one row per order: a date and an order amount" in got
    assert ("            # the header '订单编号' is a usual name for order_id; values are codes (e.g. 'SO100001', "
            "'SO100002')") in got
    assert "        # columns not placed:" in got
    assert "        header_row: 0      # the first row holds the column names" in got
    assert "# Not provided yet (the report skips or simplifies the chapters that need them):" in got
    assert not any(CJK.search(c) for c in ("\n".join(got[:4]), "      # detected"))


@pytest.mark.parametrize("why, zh", [
    ("the header 'Kunden-Nr' contains a usual name for customer_id; values are ids (e.g. '17', '42')",
     "表头 'Kunden-Nr' 含有 customer_id 的常用名称；值为编号（例如 '17', '42'）"),
    ("guessed from the values: the first date column; values are dates (e.g. '2024-01-02', '2024-01-03')",
     "根据值推测：第一个日期列；值为日期（例如 '2024-01-02', '2024-01-03'）"),
    ("guessed from the values: ids that repeat (1,204 distinct); values are ids (e.g. 'A1', 'B2'); 12.5 % start "
     "with 'C'", "根据值推测：重复出现的编号（1,204 个不同值）；值为编号（例如 'A1', 'B2'）；12.5 % 以 'C' 开头"),
    ("guessed from the values: 98 % distinct ids; values are codes (e.g. 'X1', 'X2')",
     "根据值推测：98 % 的编号互不相同；值为代码（例如 'X1', 'X2'）"),
    ("empty in the sample; no canonical column: ignored", "样本中为空；没有对应的标准列：忽略"),
    ("values are e-mail addresses (e.g. 'a@b.cn', 'c@d.cn'); personal data: map it in a `customers` source (then "
     "it is cleaned, matched and masked in reports)",
     "值为电子邮件地址（例如 'a@b.cn', 'c@d.cn'）；个人数据：请在 `customers` 数据源中映射它（这样它会被清洗、匹配，"
     "并在报告中遮盖）"),
])
def test_the_reasons_of_a_guess_read_in_chinese(why, zh):
    assert messages.draft_text(why, "zh") == zh
    assert messages.draft_text(why, "en") == why


# ---------------------------------------------------------------------------------------------- new-chapter
def test_a_chinese_client_gets_a_chinese_chapter(tmp_path, capsys):
    cfg = _zh_client(tmp_path / "clients")
    assert _main("new-chapter", cfg, "35", "Loyalty review", "--zh", "会员回顾") == 0
    assert _main("new-chapter", cfg, "36", "Second look") == 0
    capsys.readouterr()
    own = tmp_path / "clients" / "shop" / "notebooks"
    nb = nbformat.read(str(own / "35_shop_loyalty_review.ipynb"), as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert md[1].startswith("# 35 · 会员回顾（Loyalty review）\n\n这是 ")
    assert "**本章你将学会**" in md[1] and "`ws.sql`" in md[1]
    assert md[2].startswith("## 每月购买客户与收入") and "`purchases`" in md[2]
    assert md[3].startswith("**这对营销人员意味着什么：**")
    assert md[0].startswith("[← 32 ") and "[目录](" in md[0]
    assert "[36 Second look →](36_shop_second_look.ipynb)" in md[0]
    assert "分析日期" in code and 'ax.set_ylabel("净收入")' in code and 'title="每月收入"' in code
    prose = "\n".join(md[1:])
    assert _share(prose) >= 0.9, zh_cli_scan.english_lines(prose, NAMES)
    # it keeps every rule of a client chapter, and its titles are read back in both languages
    assert cc.check_notebook(own / "35_shop_loyalty_review.ipynb") == []
    added = {s.file: s.chapter for s in cc.resolve(load_config(cfg)) if s.kind == "added"}
    assert (added["35_shop_loyalty_review"].title, added["35_shop_loyalty_review"].title_zh) == ("Loyalty review",
                                                                                             "会员回顾")
    assert added["36_shop_second_look"].title == "Second look"


def test_an_english_client_gets_the_english_chapter(tmp_path, capsys):
    d = tmp_path / "clients"
    d.mkdir()
    cfg = cf.sales_only_client(d)
    assert _main("new-chapter", cfg, "35", "Loyalty review", "--zh", "会员回顾") == 0
    capsys.readouterr()
    nb = nbformat.read(str(d / "shop" / "notebooks" / "35_shop_loyalty_review.ipynb"), as_version=4)
    assert nb.cells[1].source.startswith("# 35 · Loyalty review (会员回顾)\n\nA chapter of ")
    assert "[Index](" in nb.cells[0].source and "**You will learn**" in nb.cells[1].source
    assert 'dbm.plots.finish(fig, title="Revenue per month (每月收入)")' in nb.cells[6].source


# ---------------------------------------------------------------------------------------------------- batch
def _bad_configs(d: Path, zh: bool) -> list[Path]:
    out = []
    for name in ("bad", "worse"):
        p = d / f"{name}.yaml"
        p.write_text(f"client: {name}\n" + ("language: zh\n" if zh else "") + "foo: 1\n", encoding="utf-8")
        out.append(p)
    return out


def test_the_batch_page_and_log_of_chinese_clients_are_chinese(tmp_path, capsys):
    out = tmp_path / "batch"
    assert _main("batch", *_bad_configs(tmp_path, zh=True), "--out", out) == 1
    capsys.readouterr()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<title>批量运行报告</title>" in page and "<h1>批量运行</h1>" in page
    assert "2 个客户中 0 个运行正常 · " in page
    from dbmkit.report import KPI_INFO
    for head in ("客户", "状态", "章节：已运行 / 失败 / 已跳过", "用时", KPI_INFO["persons"][1], "说明"):
        assert f"<th>{head}</th>" in page, head
    assert '<td class="failed">出错</td>' in page and "配置错误：" in page and "<td>0 秒</td>" in page
    text = re.sub(r"<[^>]+>", "\n", page.split("<body>", 1)[1])
    assert _share(text) >= 0.9, zh_cli_scan.english_lines(text, NAMES | {"worse"})
    log = (out / "batch.log").read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"\S+ \S+  bad：出错，用时 0 秒 — 配置错误：.*foo：未知字段；请删除或改名.*", log[0]), log[0]
    assert log[3].split()[:3] == ["客户", "状态", "已运行"]


def test_the_batch_page_and_log_in_english_are_unchanged(tmp_path, capsys):
    out = tmp_path / "batch"
    assert _main("batch", *_bad_configs(tmp_path, zh=False), "--out", out) == 1
    capsys.readouterr()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<title>Batch report</title>" in page and "<h1>Batch run</h1>" in page
    assert "<p>0 of 2 client(s) ok · " in page and "<th>Chapters ok / failed / skipped</th>" in page
    assert '<td class="failed">error</td>' in page and "<td>0 s</td>" in page and not CJK.search(page)
    log = (out / "batch.log").read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"\S+ \S+  bad: error in 0 s — config error: .*foo: unknown field; remove or rename it.*",
                        log[0]), log[0]


# ------------------------------------------------------------------------------- compare, lab, site and init
def test_compare_site_and_init_errors_are_chinese(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DBMKIT_LANGUAGE", "zh")
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    assert _main("compare", a, b) == 2
    assert capsys.readouterr().err == (f"[dbmkit] 错误：{a}：那里没有 kpis.json — 请给出 `dbmkit report` 写出的报告"
                                       "文件夹（例如 reports/acme）或其中的 kpis.json\n")
    (a / "kpis.json").write_text("[1, 2]", encoding="utf-8")
    assert _main("compare", a, b) == 2
    assert capsys.readouterr().err == (f"[dbmkit] 错误：{a / 'kpis.json'}：kpis.json 应当是一个对象，"
                                       "其中是带名称的数字\n")
    assert _main("site", b, "--out", tmp_path / "site") == 2
    assert capsys.readouterr().err == (f"[dbmkit] 错误：{b} 中没有报告（缺少 status.json）：请先运行 "
                                       "`dbmkit report clients/demo.yaml`，或运行 `make site`（两步都会做）\n")
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    assert _main("init", tmp_path / "afile") == 2
    assert capsys.readouterr().err == f"[dbmkit] 错误：{tmp_path / 'afile'} 是一个文件 — 请给出文件夹名\n"
    assert _main("init", tmp_path / "w", "--client", "nosuch") == 2
    err = capsys.readouterr().err
    assert err.startswith("[dbmkit] 错误：工作手册中没有客户配置 'nosuch'；请从以下之中选择：") and "demo_zh" in err
    # in English, as always; --client demo_zh is a Chinese client, so its lines are Chinese without the variable
    monkeypatch.delenv("DBMKIT_LANGUAGE")
    assert _main("compare", a, b, "--language", "zh") == 2
    assert "kpis.json 应当是一个对象" in capsys.readouterr().err
    assert _main("compare", b, a) == 2
    assert capsys.readouterr().err == (f"[dbmkit] error: {b}: no kpis.json there — give a report folder written by "
                                       "`dbmkit report` (for example reports/acme) or its kpis.json\n")
    assert _main("init", tmp_path / "afile") == 2
    assert capsys.readouterr().err == f"[dbmkit] error: {tmp_path / 'afile'} is a file — give a folder name\n"
    assert _main("init", tmp_path / "afile", "--client", "demo_zh") == 2
    assert capsys.readouterr().err == f"[dbmkit] 错误：{tmp_path / 'afile'} 是一个文件 — 请给出文件夹名\n"


def test_lab_speaks_the_clients_language(tmp_path, monkeypatch, capsys):
    from dbmkit import lab
    cfg = _zh_client(tmp_path / "clients")
    real = lab.importlib.util.find_spec
    monkeypatch.setattr(lab.importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else
                        real(name, *a))
    assert _main("lab", cfg, "--no-browser") == 2
    assert capsys.readouterr().err == ("[dbmkit] 错误：此环境中没有安装 JupyterLab — 请运行 `make lab`（它会安装 "
                                       "`notebooks` 附加组件），或运行 `pip install 'dbmkit[notebooks]'`\n")
    monkeypatch.setattr(lab.importlib.util, "find_spec", lambda name, *a: object() if name == "jupyterlab" else
                        real(name, *a))
    monkeypatch.setattr(lab.subprocess, "call", lambda argv, env: 0)
    assert _main("lab", cfg, "--no-browser") == 0
    out = capsys.readouterr().out
    assert out == (f"[dbmkit] JupyterLab 已在 {ROOT / 'notebooks_zh'} 上启动，客户配置为 {cfg.resolve()}（每章都以它"
                   "打开）；网址见下文 — 按 Ctrl-C 停止服务器\n")
    en = tmp_path / "en.yaml"
    en.write_text(cfg.read_text(encoding="utf-8").replace("language: zh\n", "").replace(
        "path: orders.csv", "path: clients/orders.csv"), encoding="utf-8")
    assert _main("lab", en, "--no-browser") == 0
    assert capsys.readouterr().out == (f"[dbmkit] JupyterLab on {ROOT / 'notebooks'} for the client of "
                                       f"{en.resolve()} (every chapter opens on it); the URL follows — Ctrl-C stops "
                                       "the server\n")


@pytest.mark.parametrize("en, zh", [
    ("/r/a/kpis.json: not a readable kpis.json (Expecting value: line 1 column 1 (char 0)) — run the report again to "
     "rewrite it", "/r/a/kpis.json：不是可读的 kpis.json（Expecting value: line 1 column 1 (char 0)）— 请重新运行报告，"
                   "让它重写该文件"),
    ("no notebooks in /w/notebooks_zh — run from the workbook folder, or set DBMKIT_NOTEBOOKS to the folder that "
     "holds the chapters", "/w/notebooks_zh 中没有笔记本 — 请在工作手册文件夹中运行，或把 DBMKIT_NOTEBOOKS 设为存放"
                           "章节的文件夹"),
    ("21_analyze_rfm.html: 2 raw contact detail(s) on the page (e.g. a phone number); the site is not complete — "
     "mask them in the chapter (dbmkit.privacy.mask_pii) and run the report again",
     "21_analyze_rfm.html：页面上有 2 处未遮盖的联系方式（例如电话号码）；网站没有生成完整 — 请在该章中遮盖它们"
     "（dbmkit.privacy.mask_pii），然后重新运行报告"),
    ("21_analyze_rfm.ipynb: 1 raw contact detail(s) left after masking; the executed notebook is not published — fix "
     "the chapter's output and run the report again",
     "21_analyze_rfm.ipynb：遮盖之后仍有 1 处未遮盖的联系方式；运行后的笔记本不予发布 — 请修正该章的输出，然后重新运行"
     "报告"),
    ("21_analyze_rfm.html#a: a raw contact detail would go into the search index; the site is not complete — mask it "
     "in the chapter (dbmkit.privacy.mask_pii) and run the report again",
     "21_analyze_rfm.html#a：一处未遮盖的联系方式会进入搜索索引；网站没有生成完整 — 请在该章中遮盖它"
     "（dbmkit.privacy.mask_pii），然后重新运行报告"),
    ("/s is not empty and is not a dbmkit site; give --out a new or empty folder",
     "/s 不是空文件夹，也不是 dbmkit 网站；请用 --out 指定一个新的或空的文件夹"),
    ("/w is not empty — choose a new folder, or add --force to replace the workbook files in it",
     "/w 不是空文件夹 — 请换一个新文件夹，或加 --force 替换其中的工作手册文件"),
    ("/w is the workbook itself", "/w 就是工作手册本身"),
    ("cannot write the workbook folder /w: Permission denied", "无法写入工作手册文件夹 /w：没有权限"),
])
def test_the_other_command_errors_read_in_chinese(en, zh):
    assert messages.error_text(en, "zh") == zh
    assert messages.error_text(en, "en") == en


def test_init_and_lab_lines_in_both_languages():
    assert messages.msg("init.written", "zh", dest="/w") == (
        "工作手册已写入 /w：notebooks/、notebooks_zh/、clients/、data/、docs/")
    assert messages.msg("init.next", "en", dest="/w", client="demo") == (
        "next: cd /w && dbmkit report clients/demo.yaml   (or: dbmkit lab clients/demo.yaml)")
    assert messages.msg("init.next", "zh", dest="/w", client="demo_zh") == (
        "下一步：cd /w && dbmkit report clients/demo_zh.yaml   （或：dbmkit lab clients/demo_zh.yaml）")


# --------------------------------------------------------------------------------- sources and source queries
_QUERY_FIX = ("write one SELECT … FROM … query (WITH … SELECT is fine); a source query only reads the tables of its "
              "own database — it cannot write files (COPY … TO, EXPORT), attach other databases (ATTACH), load "
              "extensions (INSTALL/LOAD) or change settings (SET, PRAGMA): give another database its own source "
              "with `url:`, or export the data as CSV/Parquet")
_CREDENTIALS = ("leave the password out of the config: write postgresql://user@host:5432/db and set PGPASSWORD (or a "
                "~/.pgpass file, or a service in ~/.pg_service.conf) in the environment that runs dbmkit; any part of "
                "the URL may also name an environment variable as ${NAME}, e.g. "
                "postgresql://${SHOP_DB_USER}@${SHOP_DB_HOST}/shop")
_EXPORT = "export the sheet or table as CSV (or Excel .xlsx) with a header row, and point `path:` at that file"

# (message, fix) of the source errors ingest raises, with typical values, and a Chinese word each must hold
SOURCE_ERRORS = [
    ("the file is a PNG image, not a CSV (delimited text) file", _EXPORT, "PNG 图片"),
    ("the file is a PDF document, not an Excel workbook", "a table in a PDF cannot be read; " + _EXPORT, "PDF 文档"),
    ("the file is an old Office file (.xls/.doc), not a CSV (delimited text) file",
     "open it in Excel and save it as .xlsx (or export the sheet as CSV), and point `path:` at the new file", "另存为"),
    ("the file is an SQLite database, not a CSV (delimited text) file", "read a table of it with `sql: SELECT … FROM "
     "<table>` and `url: sqlite:///<file>` instead of `path:`, or export the table as CSV", "SQLite 数据库"),
    ("the file is a 7-Zip archive, not a CSV (delimited text) file", "unpack it and give the table files inside",
     "7-Zip 压缩包"),
    ("the file is an Excel workbook (.xlsx), not a CSV (delimited text) file (its name says '.csv')",
     "rename it to orders.xlsx and change `path:`, or set `format: excel` for this source", "文件名写的是"),
    ("the file is a Parquet file, not a CSV (delimited text) file (its name says '.csv')",
     "rename it to orders.parquet and change `path:`, or set `format: parquet` for this source", "Parquet 文件"),
    ("the file is empty (only blank space)", "export the data again, or remove this source from the config", "空的"),
    ("header_row 5 is beyond the end of the file (3 lines)", "set header_row to the 0-based line of the column names",
     "超出了文件末尾"),
    ("header_row 9 is beyond the last row of the sheet (4 rows)", "set header_row to the 0-based row of the column "
     "names", "工作表的最后一行"),
    ("cannot parse the file as delimited text (Invalid Input Error: x)", "check the delimiter, quoting and header_row "
     "of this source", "分隔文本"),
    ("the sheet is empty", "check the `sheet` of this source", "工作表是空的"),
    ("cannot read the Parquet file (ArrowInvalid: x)", "write the file again with pandas/pyarrow, or export CSV",
     "无法读取"),
    ("file not found: /data/x/orders.csv", "the folder /data/x does not exist either; check `path` (relative paths "
     "start at the config file's folder)", "找不到文件"),
    ("the path is a folder, not a file", "point `path` at one file", "文件夹"),
    ("format 'sql' cannot be read from a file", "use format csv, excel or parquet for a file, or `sql:` with `url:` "
     "for a database", "不能从文件读取"),
    ("the query is empty", _QUERY_FIX, "查询是空的"),
    ("the query holds 2 statements, but a source query is one SELECT", _QUERY_FIX, "2 条语句"),
    ("the query is a DELETE statement, but a source query may only read (one SELECT)", _QUERY_FIX, "DELETE 语句"),
    ("the query is a empty statement, but a source query may only read (one SELECT)", _QUERY_FIX, "空语句"),
    ("the query asks for ATTACH, but a source query may only read (one SELECT)", _QUERY_FIX, "查询要求 ATTACH"),
    ("the query asks for something a source may not do (x), but a source query may only read (one SELECT)",
     _QUERY_FIX, "不允许的操作"),
    ("the query returns no table", _QUERY_FIX, "没有返回表"),
    ("the query reaches outside its database (a file, another database or an extension): Permission Error: x",
     _QUERY_FIX, "越出了"),
    ("the SQL query failed: CatalogException: x", "run the query in a SQL client first; check table and column names",
     "SQL 查询失败"),
    ("cannot open the DuckDB database (IOException: x)", "check that `url` points at a DuckDB database file "
     "(duckdb:///path/file.duckdb)", "DuckDB 数据库"),
    ("the database URL holds a password, and a config file is no place for one", _CREDENTIALS, "密码"),
    ("the database URL names the environment variable SHOP_DB_HOST, which is not set", "set SHOP_DB_HOST in the "
     "environment that runs dbmkit (export SHOP_DB_HOST=…), or write the value into `url` if it is not a secret",
     "环境变量"),
    ("unsupported database URL 'mysql://u@h/db'", "use duckdb:///path/file.duckdb, sqlite:///path/file.db, "
     "postgresql://user@host/db or spark (a Spark SQL query; other databases: export the table as CSV or Parquet)",
     "不支持的数据库"),
    # a Spark source (url: spark)
    ("a Spark source needs Spark, which cannot start here: no Java runtime found (no java on PATH, no JAVA_HOME)",
     "install pip install 'dbmkit[spark]' (pyspark>=4.0 and sqlglot) and a Java 17 runtime (Debian/Ubuntu: apt-get "
     "install openjdk-17-jre-headless); or export the data as Parquet or CSV files and give them as `path:` sources",
     "无法启动 Spark"),
    ("a Spark source needs Spark, which cannot start here: pyspark is not installed",
     "install pip install 'dbmkit[spark]' (pyspark>=4.0 and sqlglot) and a Java 17 runtime (Debian/Ubuntu: apt-get "
     "install openjdk-17-jre-headless); or export the data as Parquet or CSV files and give them as `path:` sources",
     "未安装 pyspark"),
    # Spark's own first line stays as Spark wrote it (English): here only its error class
    ("the Spark query failed: [TABLE_OR_VIEW_NOT_FOUND] `lake`.`orders`",
     "check the table names, paths and column names of the query (run it in spark-sql or pyspark on the same master "
     "first): a table is one of the session's catalog (SHOW TABLES IN lake), a file is named as parquet.`/path/` or "
     "csv.`/path.csv` WITH ('header' = 'true'), and on a cluster or Spark Connect a path is one of the cluster's "
     "storage (hdfs://, s3a://, a shared folder), not of this machine", "Spark 查询失败"),
    ("the Spark SQL query does not parse: [PARSE_SYNTAX_ERROR] 'INSERT'",
     "write one Spark SQL SELECT … FROM … query (WITH … SELECT is fine) over the tables and files the Spark session "
     "sees, e.g. SELECT * FROM lake.orders or SELECT * FROM parquet.`/data/orders/`; a source query only reads — no "
     "INSERT, CREATE, CACHE, SET, ADD JAR or reflect()", "无法解析"),
    ("the query calls reflect(), but a source query may only read (one SELECT)",
     "write one Spark SQL SELECT … FROM … query (WITH … SELECT is fine) over the tables and files the Spark session "
     "sees, e.g. SELECT * FROM lake.orders or SELECT * FROM parquet.`/data/orders/`; a source query only reads — no "
     "INSERT, CREATE, CACHE, SET, ADD JAR or reflect()", "调用了"),
    ("the Spark query failed on sc://h:15002 (SparkConnectGrpcException: timeout)", "check that the Spark master "
     "answers — the one in `url` (spark://host:7077, sc://host:15002) or `engine.master` for `url: spark` — "
     "and run the query in spark-sql or pyspark first", "上运行的"),
    ("database file not found: /data/shop.duckdb", "check the path in `url` (duckdb:///relative/path.duckdb is "
     "relative to the config file; use four slashes for an absolute path)", "四个斜杠"),
    ("reading PostgreSQL needs the psycopg package", "pip install 'psycopg[binary]' in the workbook's environment, or "
     "export the table as CSV/Parquet", "需要"),
    ("cannot connect to the PostgreSQL server: timeout", "check host, port, database and user in `url` and that the "
     "server accepts connections from this machine; " + _CREDENTIALS, "无法连接"),
    ("the file 'a.png' in the ZIP archive holds a PNG image, not CSV text", "compress only the CSV/TSV export itself "
     "(or give the file unpacked)", "压缩包中的文件"),
    ("the gzip file holds a ZIP archive, not CSV text", "compress only the CSV/TSV export itself (or give the file "
     "unpacked)", "不是 CSV 文本"),
    ("the file looks like UTF-16 text (its byte-order mark says so), but bytes at position 7 cannot be read as "
     "UTF-16", "save it again as UTF-8 text, or set `encoding:` to the file's encoding", "字节顺序标记"),
    ("no sheet named 'Sales'", "use one of ['Sheet1', 'sales'] (did you mean 'sales'?)", "是否想写"),
    ("sheet 'Notes' (the first sheet) holds 0 of the 4 mapped columns, sheet 'Orders' holds 4; the workbook's sheets "
     "(mapped columns found): 'Notes' (0 of 4), 'Orders' (4 of 4)", "set `sheet: Orders` for this source (under "
     "its `path:`)", "第一个工作表"),
    ("the header has the name 'amount' twice: columns 3 and 5; the mapping's net_amount ← 'amount' cannot tell "
     "which one is meant", "rename one of them in the file so that each column name is unique (e.g. 'amount 2' for "
     "column 5), or delete the column that is not needed", "出现了两次"),
    ("the header has the name 'Amount' three times: columns 3 ('Amount'), 5 ('amount') and 6 ('AMOUNT '), names "
     "compared ignoring case and spaces; the mapped column 'amount' cannot tell which one is meant",
     "rename one of them in the file so that each column name is unique (e.g. 'amount 2' for column 5), or delete "
     "the column that is not needed", "忽略大小写和空格"),
]


@pytest.mark.parametrize("message, fix, word", SOURCE_ERRORS)
def test_source_errors_read_in_chinese(message, fix, word):
    en = f"orders.csv: {message}\n  Fix: {fix}"
    assert messages.ingest_error_text(en, "orders.csv", None, None, fix, "en") == en
    zh = messages.ingest_error_text(en, "orders.csv", None, None, fix, "zh")
    head, fix_zh = zh.split("\n  修正：")
    assert head.startswith("orders.csv：") and word in zh, zh
    kept = re.findall(r"(?<!\w)'[^']*'(?!\w)|`[^`]+`|[a-z]+://[^\s,()]+|\b[A-Z]{2,}\w*\b|\b\d+\b",
                      message + " " + fix)
    for x in kept:
        assert x.strip("'") in zh, (x, zh)
    # the driver's own words ('timeout', 'x') stay as they came; everything else is Chinese
    assert _share(zh) >= 0.9, zh_cli_scan.english_lines(zh, NAMES | {"timeout", "x"})


def test_a_source_that_is_a_folder_and_a_header_row_beyond_the_file_are_told_in_chinese(tmp_path, capsys):
    cfg = _zh_client(tmp_path)
    text = cfg.read_text(encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    cfg.write_text(text.replace("path: orders.csv", "path: folder.csv"), encoding="utf-8")
    assert _main("check", cfg, "--workdir", tmp_path / "work", "-q") == 2
    assert capsys.readouterr().err.splitlines() == ["[dbmkit] 错误：folder.csv：该路径是文件夹，不是文件",
                                                    "  修正：请让 `path` 指向一个文件"]
    cfg.write_text(text.replace("path: orders.csv", "path: orders.csv\n        header_row: 900"), encoding="utf-8")
    assert _main("check", cfg, "--workdir", tmp_path / "work2", "-q") == 2
    err = capsys.readouterr().err.splitlines()
    assert re.fullmatch(r"\[dbmkit\] 错误：orders\.csv：header_row 900 超出了文件末尾（文件只有 \d+ 行）", err[0]), err
    assert err[1] == "  修正：请把 header_row 设为列名所在的行（从 0 开始计数）"


def test_docstring_examples():
    import doctest

    from dbmkit import chapter_scaffold
    from dbmkit.exercises import ch12
    for mod in (chapter_scaffold, ch12):
        res = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert res.attempted > 0 and res.failed == 0, mod.__name__
