"""Open a client in JupyterLab (``dbmkit lab CONFIG``): the workbook's notebooks with that client's config as the
default of every chapter.

Every notebook's parameters cell names the demo client (``config = "../clients/demo.yaml"``); its setup cell,
``dbm.workspace(config, …)``, takes the path from the environment variable ``DBMKIT_CONFIG`` when it is set. So
``dbmkit lab clients/acme.yaml`` starts JupyterLab with ``DBMKIT_CONFIG`` set to that config's absolute path and
every chapter opens on acme's database, without editing a notebook. The config is validated first (a typo is one
message, not a failing first cell); as root (containers) JupyterLab gets ``--allow-root``; ``--no-browser`` and
``--port`` are passed on, and JupyterLab prints the URL with its token.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from . import messages
from .config import load_config
from .report.runner import notebooks_dir

__all__ = ["LabError", "lab_command", "run_lab"]


class LabError(RuntimeError):
    """JupyterLab cannot be started (not installed, no notebooks), with the fix."""


def lab_command(config: str | os.PathLike, port: int | None = None, browser: bool = True,
                notebooks: str | os.PathLike | None = None) -> tuple[list[str], dict]:
    """The command line and environment that start JupyterLab on the notebooks with ``config`` as the default
    client (raises :class:`LabError` or :class:`~dbmkit.config.ConfigError` first when that cannot work)."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise LabError("JupyterLab is not installed in this environment — run `make lab` (it installs the "
                       "`notebooks` extra), or `pip install 'dbmkit[notebooks]'`")
    cfg_path = Path(config).expanduser().resolve()
    cfg = load_config(cfg_path)                       # a broken config is one message before anything starts
    nb = Path(notebooks) if notebooks else notebooks_dir(cfg.language)     # a Chinese client: the Chinese edition
    if not any(nb.glob("*.ipynb")):
        raise LabError(f"no notebooks in {nb} — run from the workbook folder, or set DBMKIT_NOTEBOOKS to the "
                       "folder that holds the chapters")
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={nb}"]
    if not browser:
        argv.append("--no-browser")
    if port:
        argv.append(f"--ServerApp.port={int(port)}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")                   # Jupyter refuses root without it (common in containers)
    env = {**os.environ, "DBMKIT_CONFIG": str(cfg_path)}
    env.pop("DBMKIT_WORKDIR", None)                   # the client's own work folder (its config says where)
    return argv, env


def run_lab(config: str | os.PathLike, port: int | None = None, browser: bool = True, lang: str | None = None) -> int:
    """Start JupyterLab (see :func:`lab_command`) and wait for it; Ctrl-C stops it. Returns its exit code. ``lang``:
    the language of the line it prints first (default :func:`dbmkit.messages.language`)."""
    argv, env = lab_command(config, port=port, browser=browser)
    print("[dbmkit] " + messages.msg("lab.start", lang, folder=argv[3].split("=", 1)[1], config=env["DBMKIT_CONFIG"]),
          flush=True)
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 0
