"""“Your turn” exercises with instant feedback.

Each exercise is registered by a chapter module (``dbmkit/exercises/chNN.py``) with the ``@exercise`` decorator:
the decorated function computes the expected answer from the workspace, so checks hold on any client's data and no
answer is stored in the package. A chapter module may describe its exercises further in a module-level ``META``
dict (kind, choices, labels, ``accept`` alternatives, ``diagnoses``, ``other_counts``, ``strict``; see
docs/INSTRUCTOR.md and ``compare``/``feedback``).

In a notebook::

    answer = ...                      # the student's code
    dbm.exercises.check("21.1", answer, ws)

``check`` prints ✓ or ✗ and, for a wrong answer, first the diagnosis of the usual mistake it recognises, then the
hint. It never raises, so notebooks run headless with empty answers. Worked solutions are not in the package: they
live in the repository's ``instructor/`` folder and ``dbmkit solutions`` builds the solution notebooks from them.

Example
-------
>>> @exercise("99.1", "Two plus two", hint="Add them.")
... def _ex(ws=None):
...     return 4
>>> check("99.1", 4).correct
True
>>> check("99.1", 4.0).correct
True
>>> check("99.1", 5).correct
False
"""
from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import pandas as pd

from ..i18n import pick
from .compare import KINDS, Rule, infer_kind, same
from .feedback import Feedback, generic_diagnosis, language_of, message

__all__ = ["exercise", "check", "hint", "REGISTRY", "Feedback", "Exercise", "list_exercises", "meta_of", "load_all",
           "KINDS"]


@dataclass
class Exercise:
    """One registered exercise (no solution: worked solutions live in ``instructor/``)."""
    id: str
    title: str
    expected: Callable[..., Any]
    hint: str
    rel_tol: float | None = None
    abs_tol: float | None = None
    compare: Callable[[Any, Any], bool] | None = None
    module: str = ""
    meta: dict = field(default_factory=dict)


REGISTRY: dict[str, Exercise] = {}
_LOADED = {"done": False}


def exercise(id: str, title: str, hint: str, solution: str | None = None, rel_tol: float | None = None,
             abs_tol: float | None = None, compare: Callable[[Any, Any], bool] | None = None):
    """Register an exercise: the decorated function ``f(ws, **context)`` returns the expected answer.

    ``solution=`` is accepted for chapter modules not yet migrated (``tools/move_solutions.py`` moves it into
    ``instructor/chNN.yaml``) and is not kept: the registry holds no solution."""
    del solution

    def deco(fn):
        REGISTRY[id] = Exercise(id, title, fn, hint, rel_tol, abs_tol, compare, module=fn.__module__)
        return fn
    return deco


def load_all() -> None:
    """Import every chapter module (``chNN``) so its exercises are registered."""
    if _LOADED["done"]:
        return
    for m in pkgutil.iter_modules(__path__):
        if re.fullmatch(r"ch\d+", m.name):
            importlib.import_module(f"{__name__}.{m.name}")
    _LOADED["done"] = True


def meta_of(id: str) -> dict:
    """The META entry of an exercise (an empty dict when its chapter module has none)."""
    ex = REGISTRY.get(id)
    if ex is None:
        return {}
    mod = sys.modules.get(ex.module)
    meta = getattr(mod, "META", None) or {}
    entry = meta.get(id, {}) if isinstance(meta, dict) else {}
    return {**ex.meta, **entry} if isinstance(entry, dict) else dict(ex.meta)


def _rule(ex: Exercise, meta: dict, expected) -> Rule:
    kind = meta.get("kind") or ("choice" if meta.get("choices") else infer_kind(expected))
    if kind not in KINDS:
        kind = infer_kind(expected)
    return Rule(kind, rel_tol=meta.get("rel_tol", ex.rel_tol), abs_tol=meta.get("abs_tol", ex.abs_tol),
                strict=bool(meta.get("strict", False)), choices=dict(meta.get("choices") or {}),
                labels=dict(meta.get("labels") or {}))


def _right(answer, expected, ex: Exercise, rule: Rule) -> bool:
    if ex.compare is not None:
        try:
            return bool(ex.compare(answer, expected))
        except Exception:  # noqa: BLE001 - a strange answer is a wrong answer
            return False
    return same(answer, expected, rule)


def _alternatives(meta: dict, ws, context) -> list:
    out = []
    for fn in meta.get("accept") or ():
        try:
            out.append(fn(ws, **context))
        except Exception:  # noqa: BLE001 - an alternative that cannot be computed is skipped
            continue
    return out


def zh_of(ex: Exercise) -> dict:
    """The Chinese texts of an exercise: its chapter module's ``ZH[id]`` — ``title``, ``hint`` and ``diagnoses`` (in
    the order of ``META[id]["diagnoses"]``)."""
    return dict((getattr(sys.modules.get(ex.module), "ZH", None) or {}).get(ex.id) or {})


def text_of(ex: Exercise, part: str, lang: str, index: int | None = None, english: str | None = None) -> str:
    """An exercise's title, hint or ``index``-th diagnosis in ``lang`` (English where no Chinese is written)."""
    en = english if english is not None else getattr(ex, part)
    if lang == "zh":
        zh = zh_of(ex).get(part)
        if index is not None:
            zh = zh[index] if isinstance(zh, (list, tuple)) and index < len(zh) else None
        if zh:
            return str(zh)
    return pick(en, lang)


def _diagnose(answer, expected, ex: Exercise, rule: Rule, meta: dict, ws, context, lang: str) -> tuple[str, str]:
    """(key, text) of the first diagnosis that fits: the exercise's own, another count, then the generic ones."""
    for i, item in enumerate(meta.get("diagnoses") or ()):
        try:
            fn, text = item
            if fn(answer, expected, ws, **context):
                return f"meta{i}", text_of(ex, "diagnoses", lang, index=i, english=text)
        except Exception:  # noqa: BLE001 - a diagnosis that fails is skipped
            continue
    others = dict(meta.get("other_counts") or {})
    others.update(context.pop("other_counts", None) or {})
    for name, fn in others.items():
        try:
            value = fn(ws, **context) if callable(fn) else fn
            if same(answer, value, Rule("count")):
                return "other_count", message("other_count", lang, name=pick(name, lang))
        except Exception:  # noqa: BLE001
            continue
    key = generic_diagnosis(answer, expected, rule.kind, rule.strict)
    if key:
        return key, message(key, lang)
    return "", ""


def check(id: str, answer: Any, ws=None, **context) -> Feedback:
    """Compare a student's answer with the expected one; return feedback (shown as ✓/✗ with a diagnosis or hint).

    Never raises: an unknown id, an expected value the data cannot give or an answer of a strange type all come back
    as feedback."""
    lang = "en"
    try:
        lang = language_of(ws)
        load_all()
        if id not in REGISTRY:
            return Feedback(id, None, message("ex_unknown", lang, id=id), language=lang)
        ex = REGISTRY[id]
        meta = meta_of(id)
        title = text_of(ex, "title", lang)
        hint_text = f"{message('ex_hint', lang)}: {text_of(ex, 'hint', lang)}"
        if answer is None or answer is ...:
            return Feedback(id, None, f"{title}: {message('ex_unanswered', lang)} {hint_text}", language=lang)
        ctx = {k: v for k, v in context.items() if k != "other_counts"}
        try:
            expected = ex.expected(ws, **ctx)
        except Exception as e:  # noqa: BLE001 - feedback must never break a notebook
            err = f"{type(e).__name__}: {' '.join(str(e).split())[:200]}"
            return Feedback(id, None, f"{title}: {message('ex_no_expected', lang, error=err)}", language=lang)
        rule = _rule(ex, meta, expected)
        if _right(answer, expected, ex, rule) or any(_right(answer, alt, ex, rule)
                                                       for alt in _alternatives(meta, ws, ctx)):
            done = message("ex_correct", lang)
            if rule.kind == "share" and ex.compare is None and not same(answer, expected, replace(rule, strict=True)):
                done = message("ex_correct_form", lang, value=f"{float(expected):.4g}")
            return Feedback(id, True, f"{title}: {done}", language=lang)
        key, text = _diagnose(answer, expected, ex, rule, meta, ws, dict(context), lang)
        body = f"{title}: {message('ex_not_yet', lang)} " + (f"{text} " if text else "") + hint_text
        return Feedback(id, False, body, diagnosis=key or None, language=lang)
    except Exception as e:  # noqa: BLE001 - the last guard: a check never breaks a notebook
        return Feedback(id, None, pick((f"the check could not run ({type(e).__name__}: {e}).",
                                        f"检查无法运行（{type(e).__name__}: {e}）。"), lang), language=lang)


def hint(id: str) -> str:
    load_all()
    return REGISTRY[id].hint


def list_exercises() -> pd.DataFrame:
    """Every registered exercise: id, title, chapter and kind (from META when given)."""
    load_all()
    rows = [dict(id=e.id, title=e.title, chapter=e.id.split(".")[0], kind=meta_of(e.id).get("kind", ""))
            for e in REGISTRY.values()]
    return pd.DataFrame(rows).sort_values("id", key=lambda s: s.map(_sort_key)).reset_index(drop=True)


def _sort_key(x: str):
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"\.", x))
