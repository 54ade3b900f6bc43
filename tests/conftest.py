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


@pytest.fixture(scope="session")
def small_workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("small_client")


@pytest.fixture(scope="session")
def small_ws(small_workdir):
    """The small synthetic client's workspace, with its database built."""
    from dbmkit.config import load_config
    from dbmkit.workspace import Workspace
    cfg = load_config(SMALL_CONFIG, overrides={"workdir": str(small_workdir)})
    return Workspace(cfg).ensure_built()


@pytest.fixture(scope="session")
def small_world():
    """A small synthetic retailer in memory (tables, truth and raw exports)."""
    from dbmkit.datasets import synthetic
    return synthetic(n_people=1500, seed=3)
