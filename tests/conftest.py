"""Shared fixtures: a small synthetic client built once per test session (and per xdist worker)."""
from __future__ import annotations

import os
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


def pytest_collection_modifyitems(config, items):
    """Tests that read the chapters' run share one worker, so the chapters execute once per test session."""
    for item in items:
        if "notebook_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("notebooks"))
            item.add_marker(pytest.mark.notebooks)
