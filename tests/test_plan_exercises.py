"""The "Your turn" exercises of chapters 30–31: unanswered they give a hint, the worked solutions are correct and a
wrong answer is caught (on the small client)."""
from __future__ import annotations

import warnings

import pytest

import dbmkit as dbm
from dbmkit import exercises as E
from dbmkit.exercises.instructor import solutions as instructor_solutions

IDS = ["30.1", "30.2", "30.3", "30.4", "31.1", "31.2", "31.3", "31.4"]


@pytest.fixture(scope="module")
def plan(small_ws):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dbm.campaign.plan_campaign(small_ws, recommend=False)


@pytest.mark.parametrize("ex", IDS)
def test_solutions_are_correct_and_wrong_answers_are_caught(ex, small_ws, plan, monkeypatch):
    assert E.check(ex, None, small_ws, plan=plan).correct is None            # a hint, never an error
    ns = {"ws": small_ws, "plan": plan, "dbm": dbm}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(instructor_solutions()[ex]["solution"], ns)
        fb = E.check(ex, ns["answer"], small_ws, plan=plan)
        assert fb.correct is True, fb.message
        wrong = (ns["answer"] + 1 if not isinstance(ns["answer"], float) or ns["answer"] > 0.5
                 else ns["answer"] * 1.5 + 0.01)
        assert E.check(ex, wrong, small_ws, plan=plan).correct is False
