"""Shared checks of the exercise tests (tests/test_exercises_*.py): finding an exercise's diagnosis by the words of
its message, whether it fires, and a chapter's ending (recap, review questions with their answers in instructor/,
one exercise cell per exercise)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

from dbmkit.exercises import REGISTRY, load_all, meta_of

ROOT = Path(__file__).resolve().parents[1]
ENDING = ("## Recap (小结)", "## Review questions (复习题)", "## What this means for the marketer (对营销人员的意义)")


def diagnosis(ex_id: str, text: str):
    """The diagnosis function of ``ex_id`` whose message contains ``text`` (exactly one must)."""
    load_all()
    hits = [fn for fn, msg in meta_of(ex_id).get("diagnoses", ()) if text in msg]
    assert len(hits) == 1, f"{ex_id}: no single diagnosis mentions {text!r}"
    return hits[0]


def expected(ex_id: str, ws=None, **ctx):
    load_all()
    return REGISTRY[ex_id].expected(ws, **ctx)


def fires(ex_id: str, text: str, answer, ws, **ctx) -> bool:
    """Whether the diagnosis mentioning ``text`` fires on ``answer`` (the expected value from the data)."""
    return bool(diagnosis(ex_id, text)(answer, expected(ex_id, ws, **ctx), ws, **ctx))


def fires_against(ex_id: str, text: str, mistake, expected_value, ws=None, **ctx) -> bool:
    """Whether the diagnosis fires on ``mistake`` against a given expected value — after checking it stays quiet
    on the right answer."""
    fn = diagnosis(ex_id, text)
    assert fn(expected_value, expected_value, ws, **ctx) is False, "a diagnosis fired on the right answer"
    return fn(mistake, expected_value, ws, **ctx)


def no_diagnosis_on(ex_id: str, answer, ws, **ctx) -> None:
    """No diagnosis of ``ex_id`` fires on ``answer`` (a right answer)."""
    exp = expected(ex_id, ws, **ctx)
    for fn, msg in meta_of(ex_id).get("diagnoses", ()):
        assert not fn(answer, exp, ws, **ctx), f"{ex_id}: {msg!r} fires on the right answer"


def words(text: str) -> str:
    return " ".join(str(text).split())


def check_chapter_ending(ch: str, notebook: str) -> None:
    """The chapter's ending — recap (3–5 bullets), three review questions whose answers are in instructor/chNN.yaml
    with the same question text (and not in the notebook), one "What this means for the marketer", then the closing
    navigation — and one exercise cell per registered exercise, in reading order, each running unanswered."""
    load_all()
    nb = nbformat.read(str(ROOT / "notebooks" / f"{notebook}.ipynb"), as_version=4)
    md = [c.source for c in nb.cells if c.cell_type == "markdown"]
    at = [next((i for i, s in enumerate(md) if s.startswith(h)), None) for h in ENDING]
    assert None not in at, f"{notebook}: the ending lacks {[h for h, i in zip(ENDING, at) if i is None]}"
    assert at == sorted(at) and at[-1] == len(md) - 2, "the ending, in order, then the closing navigation"
    assert sum("What this means for the marketer" in s for s in md[at[-1]:]) == 1
    assert 3 <= len(re.findall(r"^\* ", md[at[0]], re.M)) <= 5
    review = md[at[1]].split("\n", 1)[1].strip()
    questions = [words(q) for q in re.findall(r"^\d\. (.+?)(?=^\d\. |\Z)", review, flags=re.M | re.S)]
    assert len(questions) == 3, questions
    spec = yaml.safe_load((ROOT / "instructor" / f"ch{ch}.yaml").read_text(encoding="utf-8"))
    assert spec["chapter"] == ch
    assert [words(r["q"]) for r in spec["review"]] == questions
    assert all(len(r["a"]) > 80 for r in spec["review"])
    flat = words(" ".join(md))
    assert not any(words(r["a"])[:40] in flat for r in spec["review"]), "a review answer is in the notebook"
    ids = sorted((k for k in REGISTRY if k.split(".")[0] == ch), key=lambda i: int(i.split(".")[1]))
    assert set(spec["exercises"]) == set(ids)
    cells = [c.source for c in nb.cells if "exercise" in c.get("metadata", {}).get("tags", [])]
    order = [re.search(r'check\("(\d\d\.\d+)"', s).group(1) for s in cells]
    assert order == ids, f"{notebook}: exercise cells {order}, registered {ids}"
    assert all("answer = None" in s for s in cells)
