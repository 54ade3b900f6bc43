"""The whole Chinese edition on a small Chinese client (issue 16): every chapter of notebooks_zh/ runs, every page
of the report is Chinese prose (tools/zh_share.py: at least 90 % of the prose, code and names apart), no page shows
a raw e-mail address or phone number, and the exercises answer in Chinese.

The report is the session's shared Chinese report (``zh_shape_report`` in tests/conftest.py: 500 people, 8 past
campaigns, the case studies included), which the client-shape matrix and the browser tests read too."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from dbmkit import privacy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import zh_share  # noqa: E402

pytestmark = [pytest.mark.xdist_group("zh_report"), pytest.mark.slow]


@pytest.fixture(scope="module")
def zh_full(zh_shape_report):
    """Every chapter and the case studies (``dbmkit report --cases``) on the shared Chinese client."""
    assert zh_shape_report.result is not None, zh_shape_report.output
    return zh_shape_report.result, zh_shape_report.out


def test_every_chapter_of_the_chinese_edition_ran(zh_full):
    res, _ = zh_full
    failed = {r.file: r.message for r in res.runs if r.status == "failed"}
    assert not failed, failed
    ran = [r for r in res.runs if r.status == "ok"]
    assert all(Path(r.notebook).parent.name == "notebooks_zh" for r in ran), {r.file: r.notebook for r in ran}
    assert sum(r.status == "ok" for r in res.runs) >= 17


def test_every_page_is_chinese(zh_full):
    _, out = zh_full
    shares = zh_share.report_shares(out)
    assert len(shares) >= 20                                  # the chapters, the index and the glossary
    low = {name: f"{s:.0%} ({en} English words)" for name, (s, _, en) in shares.items() if s < zh_share.TARGET}
    assert not low, low


def test_no_raw_contact_details_on_a_chinese_page(zh_full):
    _, out = zh_full
    for page in out.glob("*.html"):
        html = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(encoding="utf-8"), flags=re.S | re.I)
        html = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", html)
        text = re.sub(r"<[^>]+>", "\n", html)                  # a table cell is not joined to the next one
        assert privacy.find_pii(text) == [], (page.name, privacy.find_pii(text)[:3])


def test_exercises_are_left_out_of_the_pages_and_answer_in_chinese(zh_full, zh_shape_report):
    import dbmkit as dbm
    res, out = zh_full
    page = zh_share.prose((out / "21_analyze_rfm.html").read_text(encoding="utf-8"))
    assert "Your turn" not in page and "✏" not in page and "有多少位客户是冠军客户" not in page   # no student exercises
    ws = dbm.workspace(zh_shape_report.config)
    fb = dbm.exercises.check("21.2", None, ws)
    assert fb.correct is None and "提示" in fb.message and not re.search(r"\bHint\b", fb.message)
    wrong = dbm.exercises.check("21.2", 0.5, ws)
    assert wrong.correct is False and zh_share.share(f"<p>{wrong.message}</p>")[0] > 0.7
