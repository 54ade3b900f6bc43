"""dbmkit lab CONFIG: JupyterLab on the notebooks with the client's config as every chapter's default."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dbmkit import lab
from dbmkit.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "small_client.yaml"


def _pretend_jupyterlab(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(lab.importlib.util, "find_spec",
                        lambda name, *a: object() if name == "jupyterlab" else real(name, *a))


def test_command_names_the_client_and_is_root_safe(monkeypatch):
    _pretend_jupyterlab(monkeypatch)
    monkeypatch.setenv("DBMKIT_WORKDIR", "/somewhere/else")
    argv, env = lab.lab_command(SMALL, port=8890, browser=False)
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={ROOT / 'notebooks'}" in argv
    assert "--no-browser" in argv and "--ServerApp.port=8890" in argv
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    assert env["DBMKIT_CONFIG"] == str(SMALL.resolve()) and "DBMKIT_WORKDIR" not in env
    argv, _ = lab.lab_command(SMALL)
    assert "--no-browser" not in argv and not any(a.startswith("--ServerApp.port") for a in argv)


def test_the_setup_cell_follows_the_variable(monkeypatch, tmp_path):
    """What lab relies on: dbm.workspace takes DBMKIT_CONFIG over the notebook's own config path."""
    from dbmkit.client_workspace import workspace
    monkeypatch.setenv("DBMKIT_CONFIG", str(SMALL))
    monkeypatch.setenv("DBMKIT_WORKDIR", str(tmp_path))
    assert workspace("../clients/demo.yaml", build=False).cfg.client == "small"


def test_a_broken_config_or_no_notebooks_stop_before_jupyterlab(monkeypatch, tmp_path):
    _pretend_jupyterlab(monkeypatch)
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: x\ncampaign: {budget: -5}\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        lab.lab_command(bad)
    with pytest.raises(lab.LabError, match="no notebooks in"):
        lab.lab_command(SMALL, notebooks=tmp_path)


@pytest.mark.skipif(importlib.util.find_spec("jupyterlab") is not None, reason="JupyterLab is installed here")
def test_without_jupyterlab_the_cli_says_how_to_get_it():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBMKIT_")}
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "lab", str(SMALL), "--no-browser"], capture_output=True,
                       text=True, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert r.returncode == 2
    assert "JupyterLab is not installed" in r.stderr and "make lab" in r.stderr and "Traceback" not in r.stderr


def test_a_notebook_opened_by_hand_shows_the_build_steps(monkeypatch, tmp_path, capsys):
    import IPython

    from dbmkit.client_workspace import workspace

    class ZMQInteractiveShell:            # what get_ipython() returns in a Jupyter kernel
        pass
    monkeypatch.setattr(IPython, "get_ipython", lambda: ZMQInteractiveShell())
    monkeypatch.delenv("DBMKIT_REPORT_OUT", raising=False)
    monkeypatch.delenv("DBMKIT_CONFIG", raising=False)
    monkeypatch.setenv("DBMKIT_WORKDIR", str(tmp_path))
    workspace(SMALL)
    steps = [x for x in capsys.readouterr().out.splitlines() if x.startswith("[dbmkit ")]
    assert steps[0].endswith("build: no database yet") and any("generate the synthetic client" in x for x in steps)
    assert len(steps) >= 5
    workspace(SMALL)                                           # built: nothing to say
    assert capsys.readouterr().out == ""
