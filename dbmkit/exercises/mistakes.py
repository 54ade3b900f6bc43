"""Building blocks for the diagnoses of usual mistakes in the chapters' ``META`` (chapters 00, 22–24).

A diagnosis is ``fn(answer, expected, ws, **context) -> bool``; it gets the student's raw answer, so every test here
returns False instead of raising on text, lists, NaN or None.

>>> close(0.5431, 0.54316), close("x", 1.0), looks_percent(54.3, 0.543), same_int(7.0, 7), letter(" B) ")
(True, False, True, True, 'b')
>>> never_raises(lambda a, e, ws: 1 / 0)(1, 2, None)
False
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
