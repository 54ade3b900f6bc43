"""“Your turn” exercises with instant feedback.

Each exercise is registered by a chapter module (``dbmkit/exercises/chNN.py``) with the ``@exercise`` decorator:
the decorated function computes the expected answer from the workspace, so checks hold on any client's data.

In a notebook::

    answer = ...                      # the student's code
    dbm.exercises.check("21.1", answer, ws)

``check`` prints ✓ or ✗ with a hint (never raises, so notebooks run headless with empty answers). Instructors see
worked solutions with ``dbm.exercises.solution("21.1")`` after ``dbm.exercises.instructor_mode(True)`` or with the
environment variable ``DBMKIT_INSTRUCTOR=1``.

Example
-------
>>> @exercise("99.1", "Two plus two", hint="Add them.", solution="answer = 2 + 2")
... def _ex(ws=None):
...     return 4
>>> check("99.1", 4).correct
True
>>> check("99.1", 5).correct
False
"""
from __future__ import annotations

import importlib
import math
import os
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["exercise", "check", "solution", "hint", "instructor_mode", "REGISTRY", "Feedback", "list_exercises"]


@dataclass
class Exercise:
    id: str
    title: str
    expected: Callable[..., Any]
    hint: str
    solution: str
    rel_tol: float = 1e-3
    abs_tol: float = 1e-6
    compare: Callable[[Any, Any], bool] | None = None


REGISTRY: dict[str, Exercise] = {}
_INSTRUCTOR = {"on": os.environ.get("DBMKIT_INSTRUCTOR", "") in ("1", "true", "yes")}
_LOADED = {"done": False}


def exercise(id: str, title: str, hint: str, solution: str, rel_tol: float = 1e-3, abs_tol: float = 1e-6,
             compare: Callable[[Any, Any], bool] | None = None):
    """Register an exercise: the decorated function ``f(ws, **context)`` returns the expected answer."""
    def deco(fn):
        REGISTRY[id] = Exercise(id, title, fn, hint, solution, rel_tol, abs_tol, compare)
        return fn
    return deco


def _load_all() -> None:
    if _LOADED["done"]:
        return
    for m in pkgutil.iter_modules(__path__):
        if m.name.startswith("ch"):
            importlib.import_module(f"{__name__}.{m.name}")
    _LOADED["done"] = True


@dataclass
class Feedback:
    id: str
    correct: bool | None
    message: str

    def _repr_markdown_(self) -> str:
        icon = {True: "✅", False: "❌", None: "✏️"}[self.correct]
        return f"{icon} **Exercise {self.id}** — {self.message}"

    def __repr__(self) -> str:
        icon = {True: "✓", False: "✗", None: "…"}[self.correct]
        return f"{icon} Exercise {self.id}: {self.message}"


def _same(answer, expected, ex: Exercise) -> bool:
    if ex.compare is not None:
        return bool(ex.compare(answer, expected))
    if isinstance(expected, pd.DataFrame):
        if not isinstance(answer, pd.DataFrame) or answer.shape != expected.shape:
            return False
        a = answer.reset_index(drop=True)
        e = expected.reset_index(drop=True)
        a.columns = e.columns if list(a.columns) != list(e.columns) else a.columns
        try:
            pd.testing.assert_frame_equal(a, e, check_dtype=False, rtol=ex.rel_tol, atol=ex.abs_tol)
            return True
        except AssertionError:
            return False
    if isinstance(expected, pd.Series):
        expected = expected.tolist()
        answer = answer.tolist() if isinstance(answer, pd.Series) else answer
    if isinstance(expected, (set, frozenset)):
        try:
            return set(answer) == set(expected)
        except TypeError:
            return False
    if isinstance(expected, (list, tuple, np.ndarray)):
        try:
            answer = list(answer)
        except TypeError:
            return False
        return len(answer) == len(expected) and all(_same(a, e, ex) for a, e in zip(answer, expected))
    if isinstance(expected, str):
        return isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
    if isinstance(expected, (bool, np.bool_)):
        return isinstance(answer, (bool, np.bool_)) and bool(answer) == bool(expected)
    if isinstance(expected, (int, float, np.number)):
        try:
            a = float(answer)
        except (TypeError, ValueError):
            return False
        return math.isclose(a, float(expected), rel_tol=ex.rel_tol, abs_tol=ex.abs_tol)
    return answer == expected


def check(id: str, answer: Any, ws=None, **context) -> Feedback:
    """Compare a student's answer with the expected one; return feedback (shown as ✓/✗ with a hint)."""
    _load_all()
    if id not in REGISTRY:
        return Feedback(id, None, f"no exercise with id {id!r}")
    ex = REGISTRY[id]
    if answer is None or answer is ...:
        return Feedback(id, None, f"{ex.title}: not answered yet. Hint: {ex.hint}")
    try:
        expected = ex.expected(ws, **context)
    except Exception as e:  # noqa: BLE001 - feedback must never break a notebook
        return Feedback(id, None, f"could not compute the expected answer ({type(e).__name__}: {e})")
    if _same(answer, expected, ex):
        return Feedback(id, True, f"{ex.title}: correct.")
    return Feedback(id, False, f"{ex.title}: not yet. Hint: {ex.hint}")


def hint(id: str) -> str:
    _load_all()
    return REGISTRY[id].hint


def instructor_mode(on: bool = True) -> None:
    """Show worked solutions with ``solution()`` (for instructors)."""
    _INSTRUCTOR["on"] = bool(on)


def solution(id: str) -> str:
    """The worked solution (instructor mode only)."""
    _load_all()
    if not _INSTRUCTOR["on"]:
        return "Solutions are for instructors: call dbm.exercises.instructor_mode(True) first."
    return REGISTRY[id].solution


def list_exercises() -> pd.DataFrame:
    _load_all()
    return pd.DataFrame([dict(id=e.id, title=e.title) for e in REGISTRY.values()]).sort_values("id")
