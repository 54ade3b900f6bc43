"""The Chinese glossary (docs/GLOSSARY_zh.md) keeps step with docs/GLOSSARY.md, and a Chinese report's glossary page
is that file: Chinese, with the English file's section anchors (the chapters link to them)."""
from __future__ import annotations

import sys
from pathlib import Path

from dbmkit.report.glossary import glossary_page, glossary_source, glossary_terms

ROOT = Path(__file__).resolve().parents[1]
EN, ZH = ROOT / "docs" / "GLOSSARY.md", ROOT / "docs" / "GLOSSARY_zh.md"


def drift(en_text: str, zh_text: str) -> list[str]:
    """What the Chinese glossary lacks or has in another place: one line per table that differs."""
    en, zh = glossary_terms(en_text), glossary_terms(zh_text)
    out = [] if len(en) == len(zh) else [f"GLOSSARY.md has {len(en)} tables, GLOSSARY_zh.md {len(zh)}"]
    for i, (a, b) in enumerate(zip(en, zh), start=1):
        if a != b:
            lacks = [t for t in a if t not in b]
            extra = [t for t in b if t not in a]
            out.append(f"table {i}: GLOSSARY_zh.md lacks {lacks}, has in addition {extra}"
                       + ("" if lacks or extra else " — same terms in another order"))
    return out


def test_the_chinese_glossary_has_every_term_of_the_english_one_in_the_same_order():
    en_text, zh_text = EN.read_text(encoding="utf-8"), ZH.read_text(encoding="utf-8")
    assert sum(map(len, glossary_terms(en_text))) > 100          # the tables were read, not skipped
    problems = drift(en_text, zh_text)
    assert not problems, ("docs/GLOSSARY_zh.md is out of step with docs/GLOSSARY.md — add the Chinese row of each "
                          "new term (中文 | English | definition …, same table, same place):\n" + "\n".join(problems))


def test_a_new_english_term_without_its_chinese_row_is_found():
    en_text, zh_text = EN.read_text(encoding="utf-8"), ZH.read_text(encoding="utf-8")
    row = "| share of wallet | 钱包份额 | 00 |"
    assert row in en_text
    added = en_text.replace(row, row + "\n| wallet sizing | 钱包规模估计 | 00 |")
    problems = drift(added, zh_text)
    assert len(problems) == 1 and "wallet sizing" in problems[0], problems
    renamed = en_text.replace("| mass marketing | 大众营销 | 00 |", "| broadcast marketing | 大众营销 | 00 |")
    assert any("broadcast marketing" in p for p in drift(renamed, zh_text))
    # an explanation in brackets or after a colon is not part of the term: both files may word it differently
    explained = en_text.replace("| share of wallet |", "| share of wallet (of the category's spend) |")
    assert drift(explained, zh_text) == []


def test_a_chinese_report_shows_the_chinese_glossary_with_the_english_anchors():
    assert glossary_source(EN, "zh") == ZH and glossary_source(EN, "en") == EN
    page = glossary_page(EN, "zh")
    assert '<html lang="zh-CN">' in page and "<title>术语表</title>" in page
    assert 'id="s-lifecycle-and-value-terms"' in page            # ../docs/GLOSSARY.md#lifecycle-and-value-terms
    assert 'id="g-active-customer"' in page and "活跃客户" in page
    assert '<a href="21_analyze_rfm.html">21</a>' in page          # the 章节 column links to the chapters
    sys.path.insert(0, str(ROOT / "tools"))
    import zh_share
    assert zh_share.share(page)[0] >= zh_share.TARGET


def test_the_english_glossary_page_is_the_english_file():
    page = glossary_page(EN, "en")
    assert '<html lang="en">' in page and "Glossary · 术语表" in page and "active customer" in page
    assert "最近 `analysis.active_days`" not in page and "最近 <code>analysis.active_days</code>" not in page
