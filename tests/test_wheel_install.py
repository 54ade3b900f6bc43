"""Installed use (issue 17): the wheel built by `make dist` carries the chapters, the client configs, the bundled
data and the documents; `dbmkit init` writes a workbook folder from it, and a report run from that folder lands
beside the config — never inside site-packages. A report that finds no chapter is an error, not a success.

The wheel is installed into a fresh venv without its dependencies; those come from the test environment through a
.pth line (after the venv's own site-packages, so the venv's dbmkit is the one imported — the test checks it)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.xdist_group("wheel"), pytest.mark.slow]
COPY = ("dbmkit", "notebooks", "notebooks_zh", "clients", "data", "docs", "tools", "pyproject.toml", "LICENSE",
        "README.md")


def _run(args, cwd, env=None, timeout=900):
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    d = tmp_path_factory.mktemp("wheel")
    src = d / "src"
    src.mkdir()
    for name in COPY:                            # build from a copy: the test never writes into the repository
        p = ROOT / name
        if p.is_dir():
            shutil.copytree(p, src / name, ignore=shutil.ignore_patterns("__pycache__", "workbook_files", "*.pyc"))
        else:
            shutil.copy(p, src / name)
    assert _run([sys.executable, "tools/stage_workbook.py"], src).returncode == 0
    r = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", d / "dist", "."],
             src)
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next((d / "dist").glob("dbmkit-*.whl"))
    env_dir = d / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    r = _run([py, "-m", "pip", "install", "--no-deps", "-q", wheel], d)
    assert r.returncode == 0, r.stderr[-2000:]
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], d).stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBMKIT_") and k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    return d, env_dir, site, env


def test_the_installed_package_is_the_wheel_and_carries_the_workbook(installed):
    d, env_dir, site, env = installed
    r = _run([env_dir / "bin" / "python", "-c", "import dbmkit, dbmkit.workbook as w; print(dbmkit.__file__); "
              "print(w.root())"], d, env)
    file, root = r.stdout.split()
    assert Path(file).is_relative_to(site), file
    assert Path(root) == site / "dbmkit" / "workbook_files"
    for part in ("notebooks/00_start_here.ipynb", "notebooks_zh/21_analyze_rfm.ipynb", "clients/demo_zh.yaml",
                 "data/cdnow/CDNOW_master.txt", "docs/GLOSSARY.md"):
        assert (Path(root) / part).is_file(), part
    assert any(site.glob("dbmkit-*.dist-info/licenses/LICENSE"))


def test_init_then_a_report_from_the_workbook_folder(installed):
    d, env_dir, site, env = installed
    wb = d / "my-workbook"
    r = _run([env_dir / "bin" / "dbmkit", "init", wb], d, env)
    assert r.returncode == 0, r.stderr
    assert (wb / "notebooks" / "31_plan_budget_test.ipynb").is_file() and (wb / "README.md").is_file()
    r = _run([env_dir / "bin" / "dbmkit", "init", wb], d, env)
    assert r.returncode == 2 and "not empty" in r.stderr
    r = _run([env_dir / "bin" / "dbmkit", "report", "clients/demo.yaml", "--phases", "00", "21",
              "--set", "data.synthetic.n_people=400", "-q"], wb, env)
    assert r.returncode == 0, r.stdout[-1500:] + r.stderr[-1500:]
    status = json.loads((wb / "reports" / "demo" / "status.json").read_text(encoding="utf-8"))
    assert [c["status"] for c in status["chapters"]] == ["ok", "ok"]
    assert (wb / "work" / "demo" / "marketing.duckdb").exists()
    assert not (site / "reports").exists() and not (site / "work").exists()


def test_a_report_without_chapters_is_an_error(installed, tmp_path):
    d, env_dir, site, env = installed
    cfg = tmp_path / "clients" / "tiny.yaml"
    cfg.parent.mkdir()
    cfg.write_text("client: tiny\ndata:\n  synthetic: {n_people: 300}\n", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    r = _run([env_dir / "bin" / "dbmkit", "report", cfg, "--phases", "21"], tmp_path,
             {**env, "DBMKIT_NOTEBOOKS": str(tmp_path / "empty")})
    assert r.returncode == 2 and "no chapter notebook found" in r.stderr, r.stdout + r.stderr
    assert not (tmp_path / "reports" / "tiny" / "index.html").exists()
