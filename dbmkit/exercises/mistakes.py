"""Building blocks for the diagnoses of usual mistakes in the chapters' ``META`` (every chapter module uses them).

A diagnosis is ``fn(answer, expected, ws, **context) -> bool``; it gets the student's raw answer, so every test here
returns False instead of raising on text, lists, NaN or None.

>>> close(0.5431, 0.54316), close("x", 1.0), looks_percent(54.3, 0.543), same_int(7.0, 7), letter(" B) ")
(True, False, True, True, 'b')
>>> never_raises(lambda a, e, ws: 1 / 0)(1, 2, None)
False
>>> mistake_of(lambda ws, n=10: n * 100)(1000, 10, None, n=10), choice_mistake("a")("A) mail", "b")
(True, True)
"""
from __future__ import annotations

import math
from typing import Any, Callable


def close(answer: Any, value: Any, rel: float = 0.005) -> bool:
    """The answer is this number within ``rel`` (relative)."""
    try:
        a, v = float(answer), float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(a) and math.isfinite(v) and abs(a - v) <= rel * max(abs(v), 1e-12)


def same_int(answer: Any, value: Any) -> bool:
    """The answer is exactly this whole number."""
    try:
        return float(answer) == float(value)
    except (TypeError, ValueError):
        return False


def near_not_exact(answer: Any, value: Any, within: float = 0.01) -> bool:
    """Within ``within`` (relative) of a count, but not the count: a rounded or estimated count."""
    try:
        a, v = float(answer), float(value)
    except (TypeError, ValueError):
        return False
    return a != v and abs(a - v) <= within * abs(v)


def looks_percent(answer: Any, expected_share: Any, rel: float = 0.005) -> bool:
    """A percent (1–100) given where a share (0–1) was asked."""
    try:
        a = float(answer)
    except (TypeError, ValueError):
        return False
    return 1 < a <= 100 and close(a / 100, expected_share, rel)


def letter(answer: Any) -> str:
    """The letter of a multiple-choice answer ('b', ' B) ' → 'b'); '' for anything else."""
    return answer.strip().lower()[:1] if isinstance(answer, str) and answer.strip() else ""


def choice_letter(answer: Any, *choices: dict) -> str | None:
    """The letter of a multiple-choice answer given as "b", "(b)", "（b）", "B)" or the text of an option of any of
    ``choices`` (letter → option text, e.g. the English and the Chinese options); None for anything else (never
    raises).

    >>> opts = {"a": "Keep the raw rates", "b": "Use the shrunk rates"}
    >>> zh = {"a": "保留原始比率", "b": "使用收缩后的比率"}
    >>> choice_letter(" (B) ", opts), choice_letter("使用收缩后的比率", opts, zh), choice_letter("（a）", opts)
    ('b', 'b', 'a')
    >>> choice_letter("e", opts), choice_letter(3, opts)
    (None, None)
    """
    if not isinstance(answer, str) or not choices:
        return None
    text = " ".join(answer.split()).lower()
    for options in choices:
        for k, option in options.items():
            if text and text == " ".join(str(option).split()).lower():
                return k
    s = text.strip("()[]. （）")
    return s if s in choices[0] else None


def never_raises(fn: Callable[..., bool]) -> Callable[..., bool]:
    """A diagnosis that answers False where ``fn`` would raise (a diagnosis must never break a notebook)."""
    def safe(*args, **kwargs) -> bool:
        try:
            return bool(fn(*args, **kwargs))
        except Exception:  # noqa: BLE001 - a failed diagnosis is simply not the mistake
            return False
    safe.__doc__ = fn.__doc__
    return safe


def share_is_percent() -> tuple[Callable[..., bool], str]:
    """The diagnosis of a percent given for a share."""
    return (lambda a, e, ws=None, **k: looks_percent(a, e), "this looks like a percentage — give a share between 0 "
            "and 1")


def safe_meta(meta: dict) -> dict:
    """``META`` with every diagnosis wrapped by :func:`never_raises`."""
    for spec in meta.values():
        spec["diagnoses"] = [(never_raises(fn), msg) for fn, msg in spec.get("diagnoses", [])]
    return meta


def near(answer: Any, value: Any, rel: float = 1e-3, abs_: float = 1e-9) -> bool:
    """The answer is this number (``math.isclose`` with ``rel``/``abs_``), both finite; never raises."""
    try:
        a, v = float(answer), float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(a) and math.isfinite(v) and math.isclose(a, v, rel_tol=rel, abs_tol=abs_)


def mistake_of(mistake: Callable[..., Any], rel: float = 1e-9, abs_: float = 1e-9,
               with_ws: bool = True) -> Callable[..., bool]:
    """A diagnosis that fires when the answer equals ``mistake(ws, **context)`` (``mistake(**context)`` with
    ``with_ws=False``) and not the expected answer; it never raises."""
    def fn(answer, expected, ws=None, **context):
        try:
            if isinstance(answer, bool) or near(answer, expected, rel, abs_):
                return False
            wrong = mistake(ws, **context) if with_ws else mistake(**context)
            return near(answer, wrong, rel, abs_)
        except Exception:  # noqa: BLE001 - feedback must never break a notebook
            return False
    return fn


def choice_mistake(wrong: str) -> Callable[..., bool]:
    """A diagnosis that fires when a multiple-choice answer is the letter ``wrong`` ("a", "A)", "a. mail" …) and
    that is not the expected letter."""
    def fn(answer, expected, ws=None, **context):
        try:
            a = str(answer).strip().lower()
            a = a[:1] if len(a) == 1 or a[1:2] in (")", ".", " ", ":") else a
            return a == wrong and wrong != str(expected).strip().lower()
        except Exception:  # noqa: BLE001
            return False
    return fn
