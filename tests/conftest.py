"""Shared fixtures: a small synthetic client built once per test session (and per xdist worker)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SMALL_CONFIG = ROOT / "tests" / "small_client.yaml"

# tests never write into the repo's work/ folder, and never read the KPI file of a report run
for _k in ("DBMKIT_WORKDIR", "DBMKIT_CONFIG", "DBMKIT_KPI_FILE", "DBMKIT_REPORT_OUT"):
    os.environ.pop(_k, None)


@pytest.fixture(autouse=True)
def _language_stays_with_its_test():
    """A test that opens a Chinese client (``open_workspace`` sets the notebook language, as it must in a kernel)
    must not leave later tests on the same worker speaking Chinese: restore the language and DBMKIT_LANGUAGE."""
    from dbmkit import i18n
    before, env = i18n.get_language(), os.environ.get("DBMKIT_LANGUAGE")
    yield
    i18n.set_language(before)
    if env is None:
        os.environ.pop("DBMKIT_LANGUAGE", None)
    else:
        os.environ["DBMKIT_LANGUAGE"] = env


@pytest.fixture(scope="session")
def small_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("small_client")


@pytest.fixture(scope="session")
def small_ws(small_workdir):
    """The small synthetic client's workspace, with its database built."""
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    cfg = load_config(SMALL_CONFIG, overrides={"workdir": str(small_workdir)})
    return Workspace(cfg).ensure_built()


@pytest.fixture(scope="session")
def small_world():
    """A small synthetic retailer in memory (tables, truth and raw exports)."""
    from dbmkit.datasets import synthetic
    return synthetic(n_people=1500, seed=3)


# ------------------------------------------------------------------------------------------ the chapters, run once
CHAPTER_NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-4]*.ipynb"))


class NotebookRun:
    """Every chapter 00–41 executed once (in order, under ``pytest --nbval-lax``) on the small client."""

    def __init__(self, returncode: int, output: str, kpis: dict, workdir: Path):
        self.returncode, self.output, self.kpis, self.workdir = returncode, output, kpis, workdir

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def ws(self):
        from dbmkit.client_workspace import Workspace
        from dbmkit.config import load_config
        return Workspace(load_config(SMALL_CONFIG, overrides={"workdir": str(self.workdir)}))

    def require_ok(self) -> None:
        assert self.ok, "a chapter failed under nbval:\n" + self.output[-8000:]


@pytest.fixture(scope="session")
def notebook_run(tmp_path_factory) -> NotebookRun:
    import json
    import subprocess
    import sys
    tmp = tmp_path_factory.mktemp("notebooks")
    work, kpis = tmp / "work", tmp / "kpis.json"
    env = dict(os.environ, DBMKIT_CONFIG=str(SMALL_CONFIG), DBMKIT_WORKDIR=str(work), DBMKIT_KPI_FILE=str(kpis),
               MPLBACKEND="Agg")
    env.pop("DBMKIT_REPORT_OUT", None)
    # build the database once, before the kernels start
    subprocess.run([sys.executable, "-m", "dbmkit.cli", "build", str(SMALL_CONFIG)], env=env, check=True,
                   capture_output=True)
    r = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
                        "--nbval-cell-timeout=900", "-p", "no:cacheprovider", "-q",
                        *[str(p) for p in CHAPTER_NOTEBOOKS]], env=env, capture_output=True, text=True, cwd=ROOT)
    got = json.loads(kpis.read_text()) if kpis.exists() else {}
    return NotebookRun(r.returncode, r.stdout + r.stderr, got, work)


# ------------------------------------------------------------------------------------------ one Chinese report, shared
@dataclass
class SharedReport:
    """One ``dbmkit report`` run: the config, what the shape writer knows about the data, the folders, the command's
    exit code and output, and the run's :class:`~dbmkit.report.ReportResult`."""
    config: Path
    facts: dict
    out: Path
    work: Path
    returncode: int
    output: str
    result: object


@pytest.fixture(scope="session")
def zh_shape_report(tmp_path_factory) -> SharedReport:
    """The Chinese synthetic client (500 people, 8 past campaigns, ``locale: zh``, the writer of the client-shape
    matrix) through ``dbmkit report --cases``: every chapter of notebooks_zh/ and the case studies, once per session.

    It serves three test files, all in xdist group ``zh_report``: the shape matrix (tests/test_client_shapes.py,
    ``syn500x8zh``), the whole Chinese edition (tests/test_chinese_report.py) and the Chinese pages in Chromium
    (tests/test_report_browser.py). They used to run three reports of their own (1,500 people with the cases;
    500 people; 500 people, three phases). The command runs in this process (``cli.main``), so the tests get both its
    exit code and the run's ReportResult; kernels draw figures as in a real report (no ``MPLBACKEND``)."""
    import contextlib
    import io
    import sys

    import yaml

    from dbmkit import cli, report
    sys.path.insert(0, str(ROOT / "tests"))
    import client_shapes as cs

    d = tmp_path_factory.mktemp("zh_shape_report")
    config, facts = cs.synthetic(d, 500, 8, "zh")
    out, work = d / "report", d / "work"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    # a title of its own (the index page shows it) and the work folder, so that dbm.workspace(config) opens it
    data.update(title="华东零售 — 数据库营销报告", workdir=str(work))
    config.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    got: dict = {}
    real = report.run_report

    def keep(*args, **kwargs):
        got["result"] = real(*args, **kwargs)
        return got["result"]

    buf = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report, "run_report", keep)
        for k in ("MPLBACKEND", "DBMKIT_CONFIG", "DBMKIT_KPI_FILE", "DBMKIT_REPORT_OUT", "DBMKIT_WORKDIR",
                  "DBMKIT_NOTEBOOKS", "DBMKIT_LANGUAGE"):
            mp.delenv(k, raising=False)
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            rc = cli.main(["report", str(config), "--out", str(out), "--workdir", str(work), "--cases"])
    return SharedReport(config, facts, out, work, rc, buf.getvalue()[-12000:], got.get("result"))


# ------------------------------------------------------------------------------------------ xdist: groups and order
# The work units that take longest, longest first: an xdist group (its tests share one expensive fixture) or a test
# file. `make test` hands units to the two workers in this order (--no-loadscope-reorder); groups not listed come
# next, then every other test in collection order, so the short tests fill both workers at the end. A long unit that
# starts last makes the run's tail. The CPU times behind the order: docs/ARCHITECTURE.md, "Where the test time goes".
LONG_FIRST = (
    "zh_report",                      # the Chinese report with the case studies, its pages in Chromium
    "shape-syn20000x1",
    "notebooks",                      # chapters 00–41 under nbval (notebook_run)
    "spark",                          # contract + routing (one JVM), a report on each engine (a JVM a chapter):
                                      # 346 + 256 + 530 s wall at load ~10 (2026-12-02), not measured quiet
    "shape-syn2000x4",
    "shape-invoice_lines",
    "shape-customers_orders",
    "shape-orders_only",
    "jupyterlab",
    "shape-syn500x0",
    "site",
    "wheel",
    "client_chapters",
    "test_consultant_end_to_end.py",
)


def _xdist_group(item) -> str:
    """The item's xdist group as pytest-xdist names it (several marks: their names sorted, joined by _)."""
    names = {str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")}
    return "_".join(sorted(names))


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Tests that read the chapters' run share one worker, so the chapters execute once per test session; the long
    work units go first (LONG_FIRST); under ``--dist loadgroup`` every test id carries its group. The marks are set
    before the other plugins' hooks run (``-m "not notebooks"`` sees them), the order and the ids after them.

    pytest 9 keeps a node's id in ``Node._id``; pytest-xdist 3.8 still appends the group to ``_nodeid``, which
    pytest 9 no longer reads, so ``--dist loadgroup`` silently became ``--dist load``: the tests of one group went to
    both workers, and each worker ran the group's expensive fixture (the chapters' run, each client shape's report)
    again. The suffix is applied here as xdist would (``tests/test_project_files.py`` checks it on a tiny suite)."""
    for item in items:
        if "notebook_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("notebooks"))
            item.add_marker(pytest.mark.notebooks)
        elif "zh_shape_report" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.notebooks)          # a whole report: not for `make test-fast`
    yield                                               # the other plugins: -m, -k, xdist
    rank = {name: i for i, name in enumerate(LONG_FIRST)}
    groups = {item: _xdist_group(item) for item in items}

    def order(item) -> int:
        g = groups[item]
        if g in rank:
            return rank[g]
        if not g and item.path.name in rank:
            return rank[item.path.name]
        return len(rank) if g else len(rank) + 1

    items.sort(key=order)                               # stable: collection order within a unit and among the rest
    if getattr(config.option, "loadgroup", False):
        for item in items:
            g = groups[item]
            if g and not item.nodeid.endswith(f"@{g}"):        # pytest < 9: xdist has added it already
                from _pytest.nodeid import NodeId
                item._id = NodeId.parse(f"{item.nodeid}@{g}")


# ------------------------------------------------------------------------------------------ the Spark engine
@pytest.fixture(scope="session")
def spark_session():
    """One local Spark session (local[2], 4 shuffle partitions, UI off) for the whole test session; the tests that
    use it are skipped with the reason when pyspark, sqlglot or Java is missing. Tests using it carry
    ``pytest.mark.xdist_group("spark")`` so that under ``-n 2 --dist loadgroup`` one worker starts one JVM."""
    from dbmkit.sql.spark import session, stop_sessions, unavailable
    why = unavailable()
    if why:
        pytest.skip(why)
    yield session("local[2]")
    stop_sessions()
