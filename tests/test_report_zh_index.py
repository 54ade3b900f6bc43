"""The index page of a Chinese report is Chinese: every key number has a Chinese label, the cards say "差异不显著
（p = …）", dates are written 2026年6月30日, money in yuan with ¥ and 万, the chapter list, notes, downloads and the
--set overrides have Chinese headings, and tools/zh_share.py measures the page at 90 % Chinese or more. The skipped
chapter page says in Chinese how to provide what is missing; the pages name a CJK font stack."""
from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest

from dbmkit import chapters
from dbmkit.config import ClientConfig
from dbmkit.report import CHAPTER_CSS, KPI_INFO, REPORT_CSS, format_kpi
from dbmkit.report.index import index_html
from dbmkit.report.pages import skipped_page_html
from dbmkit.report.result import ChapterRun, ReportResult

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_spec = importlib.util.spec_from_file_location("zh_share", ROOT / "tools" / "zh_share.py")
zh_share = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zh_share)

KPIS = {"persons": 17_622, "campaign_roi": 0.389, "campaign_roi_ci_low": -4.21, "campaign_roi_ci_high": 4.52,
        "campaign_lift": 0.012, "campaign_lift_ci_low": -0.002, "campaign_lift_ci_high": 0.026,
        "campaign_p_value": 0.095, "campaign_incremental_profit": 123_456.0, "clv_total": 2_345_678.0,
        "top20_revenue_share": 0.61, "email_open_rate": 0.25}


def test_every_key_number_has_a_chinese_label():
    missing = [k for k, (en, zh, _) in KPI_INFO.items() if not CJK.search(zh) or zh == en]
    assert not missing, f"key numbers without a Chinese label: {missing}"


def _report(tmp_path, lang="zh", runs=None, overrides=None):
    (tmp_path / "21_analyze_rfm.html").write_text("<html></html>")
    (tmp_path / "kpis.json").write_text("{}")
    cfg = ClientConfig.model_validate({"client": "demo_zh", "title": "北风户外 — 数据库营销报告", "language": lang,
                                       "currency": "CNY", "data": {"synthetic": {"n_people": 100}}})
    nb = ROOT / ("notebooks_zh" if lang == "zh" else "notebooks")
    runs = runs or [ChapterRun("21_analyze_rfm", "RFM", status="ok", seconds=20.4, notebook=str(nb / "21.ipynb")),
                    ChapterRun("25_analyze_baskets", "Baskets", status="skipped", message="缺少数据：订单明细",
                               notebook=str(nb / "25.ipynb"))]
    res = ReportResult(out=tmp_path, client="demo_zh", kpis=KPIS, runs=runs, overrides=overrides or {})
    data = {"customers": 20_082, "buyers": 17_622, "orders": 146_631, "revenue": 183_456_789.0,
            "first": dt.datetime(2023, 7, 1), "last": dt.datetime(2026, 6, 30), "sources": 17}
    return index_html(res, cfg, "2026-06-30", lang, "CNY", data)


def _card(page, key):
    start = page.index(f'data-kpi="{key}"')
    return page[start:page.index("</div></div>", start)]


def test_the_index_of_a_chinese_report_is_chinese(tmp_path):
    page = _report(tmp_path, overrides={"campaign.budget": 5000})
    assert '<html lang="zh-CN">' in page
    assert "差异不显著（p = 0.095）" in _card(page, "campaign_lift")
    assert "提升不显著（p = 0.095）" in _card(page, "campaign_roi")
    assert "¥12.3万" in _card(page, "campaign_incremental_profit") and "¥235万" in _card(page, "clv_total")
    assert "分析日期：2026年6月30日" in page and re.search(r"生成时间：\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", page)
    assert "2023年7月1日至2026年6月30日" in page and "¥1.8亿" in page
    assert "20 秒" in page and "本次运行修改的设置" in page and "<code>campaign.budget = 5000</code>" in page
    for heading in ("关键指标", "数据概况", "章节", "说明", "已跳过的章节（缺少数据）", "下载", "全部关键指标"):
        assert f">{heading}</h" in page, heading
    assert "章节正文为英文" not in page          # the Chinese edition ran: no note that the text is English
    share, zh, en = zh_share.share(page)
    assert share >= 0.90, (share, zh, en, zh_share.english_words(zh_share.prose(page)))


def test_a_chinese_report_of_the_english_edition_says_so(tmp_path):
    runs = [ChapterRun("21_analyze_rfm", "RFM", status="ok", notebook=str(ROOT / "notebooks" / "21.ipynb"))]
    assert "章节正文为英文" in _report(tmp_path, runs=runs)


def test_the_english_index_keeps_its_english(tmp_path):
    page = _report(tmp_path, lang="en")
    assert '<html lang="en">' in page and not CJK.search(re.sub(r"<title>.*?</title>|<h1>.*?</h1>", "", page)
                                                          .replace("北风户外", "")
                                                          .replace("数据分析", "").replace("缺少数据：订单明细", ""))
    assert "not significant (p = 0.095)" in _card(page, "campaign_lift")
    assert "¥123,456" in _card(page, "campaign_incremental_profit") and "Analysis date: 2026-06-30" in page
    assert "2023-07-01 – 2026-06-30" in page and "20 s" in page


def test_money_on_a_chinese_page_uses_wan_and_yi():
    assert format_kpi("expected_profit", 1_234_567, "zh", "CNY") == ("预期利润", "¥123万")
    assert format_kpi("expected_profit", -45_000, "zh", "CNY") == ("预期利润", "−¥4.5万")
    assert format_kpi("expected_profit", 1_234_567, "en", "CNY") == ("Expected profit", "¥1,234,567")
    assert format_kpi("expected_profit", 1_234_567, "zh", "USD")[1] == "$1,234,567"


def test_the_skipped_page_says_in_chinese_how_to_provide_the_input():
    ch = chapters.BY_FILE["25_analyze_baskets"]
    page = skipped_page_html(ch, [("order_items", chapters.NEEDS["order_items"])], "zh", "", "demo_zh")
    assert "如何提供：将明细级销售文件映射为 <code>" not in page      # escaped text, not markup
    assert "如何提供：将明细级销售文件映射为 `sales_lines`" in page and "map a line-level" not in page
    share, _, _ = zh_share.share(page)
    assert share >= 0.9, share


@pytest.mark.parametrize("css", [REPORT_CSS, CHAPTER_CSS])
def test_pages_name_a_cjk_font_for_every_system(css):
    for font in ("PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC",
                 "WenQuanYi Micro Hei"):
        assert f"'{font}'" in css, font
    for rule in re.findall(r"font-family:([^;}]+)", css):
        assert "Noto Sans CJK SC" in rule and rule.rstrip().endswith(("sans-serif", "monospace")), rule
