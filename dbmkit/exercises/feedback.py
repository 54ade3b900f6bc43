"""What a student reads after ``check``: the Feedback object, the generic diagnoses and the messages (EN/中文).

The generic diagnoses are few and only about the form of a number — a percent given for a share (or the other way
round), an answer off by a factor of 100 or 1000, and a count that equals another count the exercise names
(``other_counts`` in its META: "this is the number of orders"). An exercise's own diagnoses come first.

>>> generic_diagnosis(57.7, 0.577, "share", strict=True)
'percent_for_share'
>>> generic_diagnosis(1500.0, 1.5, "money")
'factor_1000'
>>> generic_diagnosis(3, 4, "count") is None
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..i18n import add, get_language, t
from .compare import as_number

__all__ = ["Feedback", "generic_diagnosis", "message", "language_of"]

add({
    "ex_exercise": ("Exercise", "练习"),
    "ex_correct": ("correct.", "正确。"),
    "ex_correct_form": ("correct (given as a percentage; the share is {value}).",
                        "正确（以百分比作答；占比为 {value}）。"),
    "ex_not_yet": ("not yet.", "还不对。"),
    "ex_hint": ("Hint", "提示"),
    "ex_unanswered": ("not answered yet.", "尚未作答。"),
    "ex_unknown": ("no exercise with id {id!r}.", "没有编号为 {id!r} 的练习。"),
    "ex_no_expected": ("the expected answer could not be computed on this client's data ({error}); the check is "
                       "skipped.", "无法用该客户的数据计算标准答案（{error}），本题暂不检查。"),
    "percent_for_share": ("this looks like a percentage — give a share between 0 and 1 (57.7 % is 0.577).",
                          "这看起来是百分比——请给出 0 到 1 之间的占比（57.7% 即 0.577）。"),
    "share_for_percent": ("this looks like a share — give a percentage (0.577 is 57.7).",
                          "这看起来是占比——请给出百分比（0.577 即 57.7）。"),
    "factor_100": ("your answer is off by a factor of 100 — check the unit (cents or percent points?).",
                   "答案差了 100 倍——请检查单位（分还是元？百分点？）。"),
    "factor_1000": ("your answer is off by a factor of 1000 — check the unit (thousands?).",
                    "答案差了 1000 倍——请检查单位（是否以千为单位？）。"),
    "other_count": ("this is the number of {name} — the question asks for a different count.",
                    "这是{name}的数量——题目问的是另一个计数。"),
    "wrong_type": ("give a {kind} (your answer is a {got}).", "请给出{kind}（你的答案是 {got}）。"),
})


def language_of(ws) -> str:
    lang = getattr(ws, "language", None)
    if callable(lang):
        lang = None
    return lang if lang in ("en", "zh") else get_language()


def message(key: str, lang: str, **fields) -> str:
    text = t(key, lang)
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        return text


def _near(a: float, b: float, rel: float = 0.005) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


def generic_diagnosis(answer, expected, kind: str, strict: bool = False) -> str | None:
    """The i18n key of the generic diagnosis that fits a wrong numeric answer, or None."""
    if kind in ("label", "choice", "table", "set"):
        return None
    a, e = as_number(answer), as_number(expected)
    if a is None or e is None or e == 0 or a == e:
        return None
    if _near(a, e * 100) and abs(e) <= 1 and kind in ("share", "number"):
        return "percent_for_share"
    if _near(a, e / 100) and abs(a) <= 1 and kind in ("percent", "number"):
        return "share_for_percent"
    if _near(a, e * 100) or _near(a, e / 100):
        return "factor_100"
    if _near(a, e * 1000) or _near(a, e / 1000):
        return "factor_1000"
    return None


@dataclass
class Feedback:
    """The outcome of one check: ``correct`` is True, False or None (not answered / not checkable)."""
    id: str
    correct: bool | None
    message: str
    diagnosis: str | None = None
    language: str = "en"

    def _repr_markdown_(self) -> str:
        icon = {True: "✅", False: "❌", None: "✏️"}[self.correct]
        return f"{icon} **{t('ex_exercise', self.language)} {self.id}** — {self.message}"

    def __repr__(self) -> str:
        # the plain form is what the grading tool reads from executed notebooks: "✓ Exercise 12.1: …"
        icon = {True: "✓", False: "✗", None: "…"}[self.correct]
        return f"{icon} Exercise {self.id}: {self.message}"
