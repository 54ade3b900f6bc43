"""Every chapter ends with a recap, three review questions (answers in instructor/) and what it means for the
marketer, and has one exercise cell per registered exercise (tests/exercise_checks.py)."""
from __future__ import annotations

import pytest
from exercise_checks import check_chapter_ending

from dbmkit.chapters import CHAPTERS


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.number)
def test_chapter_ending_and_exercise_cells(chapter):
    check_chapter_ending(chapter.number, chapter.file)
