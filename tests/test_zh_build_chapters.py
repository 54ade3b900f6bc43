"""The Chinese edition of chapters 10–12: what their pages show in Chinese.

Quarantine reasons and load warnings are stored in English; on a Chinese page every kind of reason the build
produces has a Chinese label (the chart of chapter 10, the summary table) and every example reason is written in
Chinese by ``database.reason_text`` — an English page gets them unchanged. The suppression reasons and the table notes
of chapter 12 have Chinese labels, and the exercises of the three chapters have complete Chinese texts.
"""
from __future__ import annotations

import pytest

from dbmkit import database, i18n
from dbmkit.exercises import REGISTRY, load_all, meta_of, zh_of

CJK = range(0x4E00, 0xA000)


def _chinese(text) -> bool:
    return isinstance(text, str) and any(ord(ch) in CJK for ch in text)


def test_every_quarantine_reason_and_warning_reads_in_chinese(small_ws):
    qs = database.quarantine_summary(small_ws)
    assert len(qs), "the small client is expected to quarantine some rows"
    for kind in qs["reason_kind"].unique():
        assert _chinese(i18n.value_label(kind, "zh")), f"no Chinese label for the reason kind {kind!r}"
    for example in qs["example"]:
        assert _chinese(database.reason_text(example, "zh")), f"reason not written in Chinese: {example!r}"
        assert database.reason_text(example, "en") == example
    for w in small_ws.sql("SELECT warnings FROM load_log WHERE warnings <> ''")["warnings"]:
        assert _chinese(database.reason_text(w, "zh")), f"load warning not written in Chinese: {w!r}"


@pytest.mark.parametrize("channel", ["email", "sms", "mail", "phone"])
def test_suppression_reasons_have_chinese_labels(small_ws, channel):
    for reason in database.suppression_list(small_ws, channel)["reason"].unique():
        assert _chinese(i18n.value_label(reason, "zh")), f"{channel}: no Chinese label for {reason!r}"


def test_table_notes_and_columns_of_chapter_12_are_chinese(small_ws):
    overview = database.table_overview(small_ws)
    assert all(_chinese(i18n.value_label(v, "zh")) for v in overview["holds"])
    for col in database.consent_summary(small_ws).columns:
        assert _chinese(i18n.column_label(col, "zh")), col


def test_exercises_of_chapters_10_to_12_have_complete_chinese_texts():
    load_all()
    ids = [i for i in REGISTRY if i.split(".")[0] in ("10", "11", "12")]
    assert len(ids) == 15
    for i in ids:
        zh = zh_of(REGISTRY[i])
        assert _chinese(zh.get("title")) and _chinese(zh.get("hint")), i
        diagnoses = zh.get("diagnoses", [])
        assert len(diagnoses) == len(meta_of(i).get("diagnoses") or ()), i
        assert all(_chinese(d) for d in diagnoses), i


def test_choice_exercises_accept_the_chinese_option_text(small_ws):
    import dbmkit as dbm
    from dbmkit.exercises import ch10, ch11
    load_all()
    for ex_id, options in (("10.3", ch10.REFUSE_CHOICES_ZH), ("11.1", ch11.PAIR_CHOICES_ZH)):
        right = REGISTRY[ex_id].expected(small_ws)
        assert dbm.exercises.check(ex_id, options[right], small_ws).correct is True, ex_id
        assert dbm.exercises.check(ex_id, f"（{right}）", small_ws).correct is True, ex_id
        wrong = next(k for k in options if k != right)
        assert dbm.exercises.check(ex_id, options[wrong], small_ws).correct is False, ex_id
