"""A client's report page leaves out the student exercises: "Your turn" sections and, mid-chapter, each exercise's
prompt (the markdown just before a cell tagged ``exercise``) in English or Chinese."""
from __future__ import annotations

import nbformat

from dbmkit.report import pages


def _cells():
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return [md("## RFM scores\n\nThe scores rank customers."), code("scores = dbm.rfm.rfm_scores(summary)"),
            md("**Your turn 21.1** — score the customers by hand."),
            code("answer = None\ndbm.exercises.check('21.1', answer, ws)", metadata={"tags": ["exercise"]}),
            md("## 细分\n\n细分客户。"), code("segments = dbm.rfm.rfm_segments(scores)"),
            md("**动手练习 21.2** — 数一数冠军客户。"),
            code("answer = None\ndbm.exercises.check('21.2', answer, ws)", metadata={"tags": ["exercise"]}),
            md("## Your turn\n\nMore exercises."), md("Another prompt."),
            code("x = 1", metadata={"tags": ["exercise"]}),
            code("dbm.provenance(ws)")]


def test_mid_chapter_prompts_and_your_turn_sections_are_left_out():
    kept = pages._drop_your_turn(_cells())
    text = " ".join(c.source for c in kept)
    assert "Your turn" not in text and "动手练习" not in text and "Another prompt" not in text
    assert "The scores rank customers." in text and "细分客户。" in text and "provenance" in text
    # the exercise cells themselves go with their tag (TagRemovePreprocessor in export_html); the rest stays
    assert [c.source for c in kept if c.cell_type == "code"] == [
        "scores = dbm.rfm.rfm_scores(summary)", "answer = None\ndbm.exercises.check('21.1', answer, ws)",
        "segments = dbm.rfm.rfm_segments(scores)", "answer = None\ndbm.exercises.check('21.2', answer, ws)",
        "dbm.provenance(ws)"]
