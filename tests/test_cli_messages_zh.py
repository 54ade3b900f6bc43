"""The `dbmkit` command speaks the client's language: for a config with `language: zh` the check's headings, counts,
summaries, the quarantine reasons and their fixes, the build's steps, the report's summary and the errors a user can
fix are Chinese (file, column and table names unchanged); English stays as it was (same lines, no Chinese). The
catalogue (dbmkit/messages.py) is checked for fields, fixes and every input a chapter may need."""
from __future__ import annotations

import re
import string
import sys
from pathlib import Path

import pytest

from dbmkit import chapters, cli, messages, schema
from dbmkit.report import ReportResult
from dbmkit.report.result import ChapterRun

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402

pytestmark = pytest.mark.xdist_group("cli_messages_zh")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]")
NAMES = set(schema.TABLES) | set(messages.TABLE_ZH) | {"sales_lines", "area_demographics"}


def chinese_share(text: str) -> float:
    """Chinese characters against English words (one word = 1.7 characters, as tools/zh_share.py counts) in the
    prose of command output: file names, `code`, quoted values, [columns], names with _ or digits, capitals and the
    database's table names do not count as English."""
    zh = en = 0
    for line in text.splitlines():
        line = re.sub(r"`[^`]*`|'[^']*'|\[[^\]]*\]|\S+\.(csv|tsv|xlsx|yaml|json|html|duckdb)\b|\S*/\S*", " ", line)
        zh += len(CJK.findall(line))
        en += sum(1 for w in WORD.findall(line) if not (w.isupper() or "_" in w or w.lower() in NAMES
                                                        or w in ("dbmkit", "utf", "sig", "gb", "merge", "purge",
                                                                 "ingest", "value_issues")))
    return zh / (zh + 1.7 * en) if zh + en else 0.0


def _zh(cfg: Path) -> Path:
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text("language: zh\ncurrency: CNY\n" + text, encoding="utf-8")
    return cfg


@pytest.fixture(scope="module")
def synthetic_zh(tmp_path_factory):
    """A small synthetic Chinese client (dirty exports: quarantined rows, value issues, uncertain consents)."""
    d = tmp_path_factory.mktemp("zh_check")
    cfg = d / "zh_small.yaml"
    cfg.write_text("client: zh_small\ntitle: 小店\nlanguage: zh\ncurrency: CNY\n"
                   "data:\n  synthetic: {n_people: 400, n_campaigns: 1, seed: 11, locale: zh}\n", encoding="utf-8")
    return cfg, d / "work"


def test_check_of_a_chinese_client_is_chinese(synthetic_zh, capsys):
    cfg, work = synthetic_zh
    rc = cli.main(["check", str(cfg), "--workdir", str(work)])
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = out.splitlines()
    for exact in ("客户：zh_small — 小店", "章节：中文版（notebooks_zh/）",
                  "数据源（读取行数 = 载入行数 + 隔离行数）：", "数据库（各表行数）：", "可以生成报告。",
                  "[dbmkit] 构建：还没有数据库", "[dbmkit] 合并去重（merge/purge）"):
        assert exact in lines, exact
    assert any(re.fullmatch(r"  customers +[\d,]+  客户", ln) for ln in lines)
    period = next(ln for ln in lines if ln.startswith("时间范围："))
    assert re.fullmatch(r"时间范围：订单自\d{4}年\d{1,2}月\d{1,2}日至\d{4}年\d{1,2}月\d{1,2}日（\d+个月）；"
                        r"分析日期为\d{4}年\d{1,2}月\d{1,2}日", period), period
    assert re.search(r"^客户：共[\d,]+人，其中[\d,]+人有订单；退货[\d,]+笔，取消[\d,]+笔$", out, re.M)
    assert "问题（这些行已被隔离；修正数据源后重新运行）：" in lines          # the synthetic exports are dirty
    problems = [ln for ln in lines if re.match(r"^ +[\d,]+ × ", ln)]
    fixes = [ln for ln in lines if ln.startswith("           修正：")]
    assert problems and len(fixes) == len(problems)
    assert all(re.search(r"\S+\.(csv|tsv|xlsx)", ln) for ln in problems)   # file names as they are
    assert not re.search(r"\b(fix|read|loaded|quarantined|first at row|warning|note):", out)
    assert chinese_share(out) >= 0.8, chinese_share(out)


def test_english_check_is_the_same_lines_in_english(synthetic_zh, capsys):
    cfg, work = synthetic_zh
    cli.main(["check", str(cfg), "--workdir", str(work)])
    zh = capsys.readouterr().out.splitlines()
    assert cli.main(["check", str(cfg), "--workdir", str(work), "--set", "language=en"]) == 0
    en = capsys.readouterr().out.splitlines()
    assert len(en) == len(zh)
    assert "Chapters: the English edition (notebooks/)" in en and "A report can run." in en
    assert "Sources (rows read = loaded + quarantined):" in en
    # the client's own words are data: its title (小店) and a quoted raw value (a placeholder openid '未绑定')
    left = [ln for ln in en if CJK.search(re.sub(r"'[^']*'", "", ln)) and "小店" not in ln]
    assert not left, f"Chinese left in the English check: {left}"


def test_check_of_a_sales_only_client_says_in_chinese_what_is_missing(tmp_path, capsys):
    cfg = _zh(cf.sales_only_client(tmp_path))
    rc = cli.main(["check", str(cfg), "--workdir", str(tmp_path / "work")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "报告将跳过的章节（缺少所需数据）：" in out
    assert re.search(r"^  25_analyze_baskets：需要订单明细（每笔订单购买了哪些商品）", out, re.M)
    assert "      如何提供：将明细级销售文件映射为 `sales_lines`" in out
    assert "to provide it" not in out and "needs" not in out
    assert chinese_share(out) >= 0.8, chinese_share(out)


def test_errors_a_user_can_fix_are_chinese_for_a_chinese_config(tmp_path, capsys):
    cfg = _zh(cf.sales_only_client(tmp_path))
    rc = cli.main(["check", str(cfg), "--workdir", str(tmp_path / "w"), "--set", "campaign.budgt=5"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert err == ("[dbmkit] 错误：--set campaign.budgt=5：未知设置（是否想写 'campaign.budget'？）；"
                   "所有设置见 docs/CONFIG.md\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: shop\nlanguage: zh\nfoo: 1\nanalysis: {deciles: 0}\n")
    rc = cli.main(["check", str(bad), "--workdir", str(tmp_path / "w1")])
    err = capsys.readouterr().err.splitlines()
    assert rc == 2 and err[0] == f"[dbmkit] 错误：客户配置（{bad}）有 3 个问题：", err
    assert sorted(err[1:]) == ["  - analysis.deciles：输入值应大于或等于 4", "  - data：缺少必填字段；请补上",
                               "  - foo：未知字段；请删除或改名"], err
    broken = tmp_path / "broken.yaml"
    broken.write_text("client: shop\nlanguage: zh\ndata: {sources: {orders: [{path: nowhere.csv, columns: "
                      "{order_id: a, customer_id: b, order_ts: c, net_amount: d}}]}}\n")
    rc = cli.main(["check", str(broken), "--workdir", str(tmp_path / "w2"), "-q"])
    err = capsys.readouterr().err.splitlines()
    assert rc == 2 and err == [f"[dbmkit] 错误：nowhere.csv：找不到文件：{tmp_path / 'nowhere.csv'}",
                               "  修正：是否想写 orders.csv？请检查 `path`（相对路径从配置文件所在的文件夹算起）"], err
    en = tmp_path / "en.yaml"
    en.write_text(broken.read_text().replace("language: zh\n", ""))
    rc = cli.main(["check", str(en), "--workdir", str(tmp_path / "w3")])
    assert rc == 2 and capsys.readouterr().err.startswith("[dbmkit] error: ")


def _fake_report(monkeypatch, tmp_path, runs):
    import dbmkit.report as report

    def fake(config, **kw):
        return ReportResult(out=tmp_path, client="demo_zh", runs=runs, seconds=42.4,
                            overrides=dict(kw.get("overrides") or {}))
    monkeypatch.setattr(report, "run_report", fake)


def test_report_summary_is_chinese_for_a_chinese_client(monkeypatch, tmp_path, capsys):
    runs = [ChapterRun("21_analyze_rfm", "RFM", status="ok"),
            ChapterRun("30_plan_campaign", "Plan", status="failed", message="30_plan_campaign.ipynb, cell 4: Boom")]
    _fake_report(monkeypatch, tmp_path, runs)
    zh_cfg = Path(__file__).resolve().parents[1] / "clients" / "demo_zh.yaml"
    rc = cli.main(["report", str(zh_cfg), "--set", "campaign.budget=5000"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 1
    assert out[-3:] == ["[dbmkit] demo_zh 的报告：2 章中 1 章已运行，用时 42 秒（修改的设置：campaign.budget）",
                        "[dbmkit]   失败：30_plan_campaign.ipynb, cell 4: Boom",
                        f"[dbmkit] 打开 {tmp_path / 'index.html'}"]
    en_cfg = Path(__file__).resolve().parents[1] / "clients" / "demo.yaml"
    cli.main(["report", str(en_cfg)])
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == ["[dbmkit] report for demo_zh: 1/2 chapters ran in 42 s",
                        "[dbmkit]   FAILED 30_plan_campaign.ipynb, cell 4: Boom",
                        f"[dbmkit] open {tmp_path / 'index.html'}"]


def test_commands_without_a_config_follow_dbmkit_language(monkeypatch):
    import argparse
    monkeypatch.setenv("DBMKIT_LANGUAGE", "zh")
    assert cli.cli_language(argparse.Namespace()) == "zh"
    assert messages.msg("error.interrupted") == "已中断"
    monkeypatch.setenv("DBMKIT_LANGUAGE", "en")
    assert cli.cli_language(argparse.Namespace()) == "en" and messages.msg("error.interrupted") == "interrupted"


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def test_the_catalogue_is_complete():
    for key, (en, zh) in messages.MESSAGES.items():
        # the same fields in both languages, apart from the English plural "s" and the tables' Chinese names
        assert _fields(en) - {"s"} == _fields(zh) - {"label"}, key
    for pattern, en, zh in messages.FIXES:
        assert CJK.search(zh) and not CJK.search(en), pattern
        for code in re.findall(r"`[^`]+`", en):                      # settings keep their names
            assert code in zh, (pattern, code)
    assert set(messages.NEED_FIX_ZH) == set(chapters.NEEDS)         # every input a chapter may need
    for key, need in chapters.NEEDS.items():
        for code in re.findall(r"`[^`]+`", need.fix):
            assert code in messages.NEED_FIX_ZH[key], (key, code)


@pytest.mark.parametrize("reason", [
    "quantity: zero quantity (nothing was sold or returned)",
    "no customer with this phone number",
    "order_id: line of an unknown or quarantined order W10006111",
    "exact duplicate of order_id K10002495 (first at ./crm_orders.csv row 254)",
    "order_id K10001647 appears again with different content (first at ./crm_orders.csv row 160)",
    "order_ts: cannot read '0000-00-00T00:00:00' as a date",
    "order_ts: date in the future (2099-01-20 14:14:40, after the plausible dates, which end 2027-06-30: `data.dates`)",
    "channel: missing (counted on every channel)",
    "unit_price: negative price (returns have negative quantities, not prices)",
    "status: 'maybe' is not a known consent word (counted as an opt-out)",
])
def test_common_reasons_read_in_chinese_with_their_names_and_values(reason):
    zh = messages.translate(reason, "zh")
    assert CJK.search(zh) and messages.translate(reason, "en") == reason
    kept = re.findall(r"'[^']*'|`[^`]+`|\b[A-Z]\d+\b|\b\w+_\w+\b|\d{4}-\d\d-\d\d|\b\d{3,}\b|\S+\.csv", reason)
    for x in kept:
        assert x in zh, (x, zh)
    assert not re.search(r"\b(the|of|with|is|no|line|cannot|missing|counted)\b", zh), zh


@pytest.mark.parametrize("name", ["dbmkit.messages", "dbmkit.report.site_text", "dbmkit.report.index",
                                  "dbmkit.report.kpis"])
def test_docstring_examples(name, monkeypatch):
    import doctest
    import importlib
    monkeypatch.delenv("DBMKIT_KPI_FILE", raising=False)
    monkeypatch.delenv("DBMKIT_LANGUAGE", raising=False)
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0
