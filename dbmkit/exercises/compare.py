"""How an answer is compared with the expected value, by kind of quantity (the exercises' checking rules).

Each kind has a tolerance that fits the quantity, and accepts the equivalent forms a student may fairly give:

=========  ===================================================================================================
kind       rule
=========  ===================================================================================================
count      exact integer: 20087 and 20087.0 are right, 20107 is wrong (no relative tolerance for counts)
share      a share in 0..1, relative tolerance 0.5 %; a percent is accepted when unambiguous (expected share
           below 1 and the answer above 1: 57.7 for 0.577) unless the exercise says ``strict`` — then the
           diagnosis "this looks like a percentage, give a share" answers it
percent    a percent in 0..100, relative tolerance 0.5 %; a share is accepted when unambiguous (expected above 1,
           answer at most 1) unless ``strict``
money      relative 0.5 % or one currency unit, whichever is larger
number     ``rel_tol`` of the exercise (default 0.1 %)
label      case-, space- and underscore-insensitive; English or Chinese spelling (the i18n label table, the RFM
           segment names, the exercise's own ``labels``)
choice     the option's letter ("b", "(b)", "B)") or the option's text
table      a DataFrame of the same shape and values (column names may differ; numbers within ``rel_tol``)
set        the same elements in any order (strings compared like labels)
=========  ===================================================================================================

>>> same(20087.0, 20087, Rule("count"))
True
>>> same(20107, 20087, Rule("count"))
False
>>> same(57.7, 0.577, Rule("share"))
True
>>> same(57.7, 0.577, Rule("share", strict=True))
False
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Rule", "KINDS", "same", "as_number", "unwrap", "norm_label", "label_equivalents", "infer_kind"]

KINDS = ("count", "share", "percent", "money", "number", "label", "choice", "table", "set")


@dataclass
class Rule:
    """The checking rule of one exercise: its kind and the settings of that kind."""
    kind: str = "number"
    rel_tol: float | None = None
    abs_tol: float | None = None
    strict: bool = False                               # share/percent: no equivalent form accepted
    choices: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)

    def tolerances(self) -> tuple[float, float]:
        defaults = {"share": (0.005, 1e-9), "percent": (0.005, 1e-9), "money": (0.005, 1.0),
                    "number": (1e-3, 1e-9), "table": (1e-3, 1e-6), "set": (1e-3, 1e-9)}
        rel, ab = defaults.get(self.kind, (0.0, 0.0))
        return (rel if self.rel_tol is None else self.rel_tol, ab if self.abs_tol is None else self.abs_tol)


def unwrap(answer: Any) -> Any:
    """A 1×1 DataFrame, a one-element Series/list or a numpy scalar becomes a plain value."""
    if isinstance(answer, pd.DataFrame) and answer.shape == (1, 1):
        answer = answer.iloc[0, 0]
    elif isinstance(answer, (pd.Series, np.ndarray)) and answer.size == 1:
        answer = answer.reshape(-1)[0] if isinstance(answer, np.ndarray) else answer.iloc[0]
    if isinstance(answer, np.generic):
        answer = answer.item()
    return answer


def as_number(answer: Any) -> float | None:
    """The answer as a float, or None when it is not a number (booleans are not numbers here)."""
    answer = unwrap(answer)
    if isinstance(answer, bool) or answer is None:
        return None
    if isinstance(answer, str):
        text = answer.strip().replace(",", "").replace("_", "")
        if text.endswith("%"):
            return None
        try:
            answer = float(text)
        except ValueError:
            return None
    try:
        x = float(answer)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def norm_label(x: Any) -> str:
    """Lower case without spaces, underscores, hyphens or full-width spaces: 'At risk' == 'at_risk'."""
    return re.sub(r"[\s_\-\u3000·]+", "", str(unwrap(x))).casefold()


def label_equivalents() -> list[set[str]]:
    """Groups of spellings that mean the same label: English and Chinese of the i18n table and the RFM segments."""
    from ..i18n import LABELS
    from ..rfm import SEGMENT_MAP
    groups = [{norm_label(k), norm_label(en), norm_label(zh)} for k, (en, zh) in LABELS.items()]
    groups += [{norm_label(s["name"]), norm_label(s["name_zh"])} for s in SEGMENT_MAP]
    return groups


def _label_same(answer, expected, rule: Rule) -> bool:
    a, e = norm_label(answer), norm_label(expected)
    if a == e:
        return True
    own = rule.labels.get(str(expected), ())
    own = [own] if isinstance(own, str) else list(own)
    if a in {norm_label(x) for x in own}:
        return True
    for spellings, other in rule.labels.items():            # the exercise's table, read both ways
        others = [other] if isinstance(other, str) else list(other)
        names = {norm_label(x) for x in others}
        if (norm_label(spellings) == e and a in names) or (norm_label(spellings) == a and e in names):
            return True
    return any(a in g and e in g for g in label_equivalents())


def _choice_letter(answer, rule: Rule) -> str | None:
    text = str(unwrap(answer)).strip()
    m = re.fullmatch(r"[(（]?([A-Za-z])[).）]?", text)
    if m and m.group(1).lower() in {k.lower() for k in rule.choices}:
        return m.group(1).lower()
    for k, option in rule.choices.items():
        if norm_label(option) == norm_label(text):
            return k.lower()
    return None


def _close(a: float, e: float, rule: Rule) -> bool:
    rel, ab = rule.tolerances()
    return math.isclose(a, e, rel_tol=rel, abs_tol=ab)


def _number_same(answer, expected, rule: Rule) -> bool:
    a, e = as_number(answer), as_number(expected)
    if a is None or e is None:
        return False
    if rule.kind == "count":
        return a == round(a) and round(a) == round(e)
    if _close(a, e, rule):
        return True
    if rule.strict:
        return False
    if rule.kind == "share" and abs(e) < 1 and abs(a) > 1:
        return _close(a / 100, e, rule)
    if rule.kind == "percent" and abs(e) > 1 and abs(a) <= 1:
        return _close(a * 100, e, rule)
    return False


def _table_same(answer, expected: pd.DataFrame, rule: Rule) -> bool:
    if not isinstance(answer, pd.DataFrame) or answer.shape != expected.shape:
        return False
    a = answer.reset_index(drop=True).copy()
    e = expected.reset_index(drop=True)
    a.columns = e.columns
    rel, ab = rule.tolerances()
    try:
        pd.testing.assert_frame_equal(a, e, check_dtype=False, check_column_type=False, rtol=rel, atol=ab)
        return True
    except (AssertionError, TypeError, ValueError):
        return False


def infer_kind(expected: Any) -> str:
    """The kind of an exercise without META, from its expected value (ints are counts: exact)."""
    if isinstance(expected, pd.DataFrame):
        return "table"
    if isinstance(expected, (set, frozenset)):
        return "set"
    if isinstance(expected, (bool, np.bool_)):
        return "label"
    if isinstance(expected, (int, np.integer)):
        return "count"
    if isinstance(expected, (float, np.floating)):
        return "number"
    if isinstance(expected, str):
        return "label"
    return "number"


def same(answer: Any, expected: Any, rule: Rule) -> bool:
    """Whether ``answer`` is right for ``expected`` under ``rule`` (never raises)."""
    try:
        return _same(answer, expected, rule)
    except Exception:  # noqa: BLE001 - a strange answer is a wrong answer, never a traceback
        return False


def _same(answer, expected, rule: Rule) -> bool:
    if isinstance(expected, pd.DataFrame):
        return _table_same(answer, expected, rule)
    if isinstance(expected, (set, frozenset)) or rule.kind == "set":
        if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
            return False
        if isinstance(answer, pd.DataFrame):
            return False
        return {norm_label(x) for x in answer} == {norm_label(x) for x in expected}
    if isinstance(expected, pd.Series):
        expected = expected.tolist()
        answer = answer.tolist() if isinstance(answer, pd.Series) else answer
    if isinstance(expected, (list, tuple, np.ndarray)):
        if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
            return False
        answer = list(answer)
        return len(answer) == len(expected) and all(same(a, e, rule) for a, e in zip(answer, expected))
    if rule.kind == "choice":
        return _choice_letter(answer, rule) == str(expected).strip().lower()
    if isinstance(expected, (bool, np.bool_)):
        answer = unwrap(answer)
        return isinstance(answer, (bool, np.bool_)) and bool(answer) == bool(expected)
    if isinstance(expected, str) or rule.kind == "label":
        answer = unwrap(answer)
        return isinstance(answer, str) and _label_same(answer, expected, rule)
    if isinstance(expected, (int, float, np.number)):
        return _number_same(answer, expected, rule)
    return bool(answer == expected)
