"""Chapters 40–41 "Your turn": the worked solutions are accepted, a wrong answer is not, no answer gives a hint."""
from __future__ import annotations

import pytest

import dbmkit as dbm
from dbmkit.exercises import REGISTRY, check, load_all
from dbmkit.exercises.instructor import solutions as instructor_solutions

IDS = ["40.1", "40.2", "40.3", "40.4", "41.1", "41.2", "41.3", "41.4"]


@pytest.fixture(scope="module")
def ws_with_results(small_ws):
    # chapter 40 writes campaign_results back before its exercises; do the same
    b = dbm.evaluate.collect_results(small_ws, fallback_to_past=True)
    dbm.evaluate.write_back(small_ws, b)
    return small_ws


@pytest.mark.parametrize("ex_id", IDS)
def test_solution_is_accepted_and_a_wrong_answer_is_not(ws_with_results, ex_id):
    load_all()
    assert ex_id in REGISTRY
    ns = {"dbm": dbm, "ws": ws_with_results}
    exec(instructor_solutions()[ex_id]["solution"], ns)
    fb = check(ex_id, ns["answer"], ws_with_results)
    assert fb.correct is True, fb.message
    wrong = "C" if isinstance(ns["answer"], str) else float(ns["answer"]) * 1.5 + 7
    assert check(ex_id, wrong, ws_with_results).correct is False
    assert check(ex_id, None, ws_with_results).correct is None


def test_sample_size_exercise_by_hand():
    # p1 = 0.20, p2 = 0.23: (1.96·sqrt(2·0.215·0.785) + 0.8416·sqrt(0.16 + 0.1771))² / 0.03² → 2943
    assert check("41.1", 2943).correct
