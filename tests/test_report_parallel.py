"""Chapters run several at a time (``dbmkit report --jobs N``): the dependency graph of the chapters, the merge of
the chapters' key numbers, and the proof that matters — the small client's report run one chapter after another and
two at a time gives the same kpis.json (to the digit), the same send file and the same pages."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit.report import runner, schedule

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "small_client.yaml"
STANDARD = sorted(schedule.CHAPTER_IO)


def _reaches(deps: dict[int, set[int]], i: int, j: int) -> bool:
    """True when chapter j waits for chapter i, directly or through others."""
    todo, seen = list(deps[j]), set()
    while todo:
        k = todo.pop()
        if k == i:
            return True
        if k not in seen:
            seen.add(k)
            todo.extend(deps[k])
    return False


def test_the_demo_chapters_wait_for_the_tables_they_read():
    chs = [(n, "standard") for n in STANDARD if not n.startswith("9")]
    pos = {n: k for k, (n, _) in enumerate(chs)}
    deps = schedule.dependencies(chs)
    # the plan reads every analysis table: RFM cells, CLV, segments, scores
    for first in ("21", "23", "24", "26"):
        assert _reaches(deps, pos[first], pos["30"]), first
    assert _reaches(deps, pos["30"], pos["31"])      # the plan of 31 replaces 30's campaign_contacts
    assert _reaches(deps, pos["31"], pos["40"])      # 40 evaluates the plan 31 saved (and its send file)
    assert _reaches(deps, pos["40"], pos["41"])      # 41 learns from 40's campaign_results and feedback
    # customer_summary is made by the runner before any chapter (schedule.PREBUILT): 20 and 21 only read it
    assert "customer_summary" in schedule.PREBUILT and deps[pos["20"]] == set()
    assert not _reaches(deps, pos["20"], pos["21"])
    # chapters that only read base tables wait for nobody
    for free in ("00", "10", "11", "12", "25"):
        assert deps[pos[free]] == set(), free
    # two readers never wait for each other
    assert not _reaches(deps, pos["22"], pos["27"]) and not _reaches(deps, pos["25"], pos["26"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(STANDARD + ["50", "55"]),
                          st.sampled_from(["standard", "standard", "overridden", "added"])),
                min_size=1, max_size=12))
def test_every_conflicting_pair_keeps_its_reading_order(chs):
    """Whatever chapters a report runs (a client's own included), of two that touch the same table and one of
    them writes it the later one waits for the earlier one — the graph gives the serial run's results."""
    chs = sorted(dict(chs).items())           # a report runs each chapter once, in reading order
    deps = schedule.dependencies(chs)
    io = schedule._effective_io(chs)
    for j in range(len(chs)):
        assert all(i < j for i in deps[j])    # only earlier chapters: no cycle, the serial order is one schedule
        for i in range(j):
            if schedule._conflict(io[i], io[j]):
                assert _reaches(deps, i, j), (chs[i], chs[j])
    # an unknown chapter (a client's) is a barrier: it waits for all before it, all after it wait for it
    for k, (_, kind) in enumerate(chs):
        if kind != "standard":
            assert all(_reaches(deps, i, k) for i in range(k))
            assert all(_reaches(deps, k, j) for j in range(k + 1, len(chs)))


@given(st.lists(st.sampled_from(STANDARD), min_size=1, max_size=10, unique=True), st.data())
@settings(max_examples=100, deadline=None)
def test_the_next_chapter_respects_dependencies_and_one_writer_at_a_time(files, data):
    chs = [(n, "standard") for n in sorted(files)]
    deps = schedule.dependencies(chs)
    done: set[int] = set()
    running: set[int] = set()
    while len(done) < len(chs):
        while len(running) < 3:
            j = schedule.next_chapter(chs, deps, done, running)
            if j is None:
                break
            assert deps[j] <= done
            assert len(schedule.writers(chs) & (running | {j})) <= 1
            running.add(j)
        assert running, "nothing can start although chapters are left: the schedule is stuck"
        k = data.draw(st.sampled_from(sorted(running)))
        running.discard(k)
        done.add(k)


def test_key_numbers_are_merged_in_reading_order(tmp_path):
    (tmp_path / "notebooks").mkdir()
    parts = {"21_a": {"x": 1, "y": 0.123456}, "30_b": {"x": 2, "z": None}, "40_c": {}}
    for f, d in parts.items():
        runner._kpi_part(tmp_path, f).write_text(json.dumps(d), encoding="utf-8")
    runner._kpi_part(tmp_path, "41_d").write_text("", encoding="utf-8")    # a chapter that opened and failed
    runner._merge_kpis(tmp_path, ["21_a", "30_b", "40_c", "41_d", "99_never_ran"])
    assert json.loads((tmp_path / "kpis.json").read_text(encoding="utf-8")) == {"x": 2, "y": 0.123456, "z": None}
    assert not list((tmp_path / "notebooks").glob("*.kpis.json"))


def test_jobs_come_from_the_argument_then_the_config(tmp_path):
    from dbmkit.config import load_config
    cfg = load_config(SMALL, overrides={"report.jobs": 3})
    assert runner.resolve_jobs(None, cfg) == 3 and runner.resolve_jobs(1, cfg) == 1
    assert 1 <= runner.resolve_jobs(None, load_config(SMALL)) <= runner.DEFAULT_MAX_JOBS


# the chapters of the proof: the whole chain from the customer summary to the send file, with readers beside it
PROOF_PHASES = ["20", "21", "22", "23", "24", "25", "26", "30", "31"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The small client's database, built once; each run below gets its own copy (no analysis tables yet)."""
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    d = tmp_path_factory.mktemp("parallel_built")
    Workspace(load_config(SMALL, overrides={"workdir": str(d / "work")})).ensure_built()
    return d / "work"


@pytest.mark.slow
@pytest.mark.notebooks
def test_two_jobs_give_the_serial_report(built, tmp_path):
    from dbmkit import report
    res = {}
    for jobs in (1, 2):
        work = tmp_path / f"work{jobs}"
        shutil.copytree(built, work)
        res[jobs] = report.run_report(SMALL, out=tmp_path / f"rep{jobs}", workdir=work, phases=PROOF_PHASES,
                                      progress=False, jobs=jobs)
    one, two = tmp_path / "rep1", tmp_path / "rep2"
    assert all(r.status == "ok" for r in res[1].runs), [(r.file, r.message) for r in res[1].runs]
    assert [(r.file, r.status) for r in res[2].runs] == [(r.file, r.status) for r in res[1].runs]
    assert (one / "kpis.json").read_bytes() == (two / "kpis.json").read_bytes()
    kpis = json.loads((one / "kpis.json").read_text(encoding="utf-8"))
    assert {"gini", "clv_total", "response_model_auc", "planned_contacts", "expected_roi"} <= set(kpis)
    assert (one / "campaign_list.csv").stat().st_size > 0
    assert (one / "campaign_list.csv").read_bytes() == (two / "campaign_list.csv").read_bytes()
    assert sorted(p.name for p in one.glob("*.html")) == sorted(p.name for p in two.glob("*.html"))
    def names(d):
        return sorted(p.name for p in d.iterdir())
    assert names(one / "notebooks") == names(two / "notebooks")
    log = (two / "report.log").read_text(encoding="utf-8")
    assert "2 chapters at a time" in log and "start 31_plan_budget_test (after 30_plan_campaign)" in log


def test_jobs_below_one_is_a_clear_error(capsys):
    from dbmkit import cli
    for bad in ("0", "-2", "two"):
        with pytest.raises(SystemExit) as e:
            cli.main(["report", str(SMALL), "--jobs", bad])
        assert e.value.code == 2
        err = capsys.readouterr().err
        assert f"--jobs {bad}: give a whole number of chapters to run at a time, 1 or more" in err
        assert "Traceback" not in err
