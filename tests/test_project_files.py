"""The project's own files: one version, the licence, the contributor guide and the changelog."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dbmkit

ROOT = Path(__file__).resolve().parents[1]


def test_version_has_one_source_and_the_cli_prints_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    out = subprocess.run([sys.executable, "-m", "dbmkit.cli", "--version"], capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"dbmkit {dbmkit.__version__}"
    assert dbmkit.__version__ in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_licence_and_contributor_guide_are_there():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "data/README.md" in licence
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    guide = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for must in ("make test", "tools/notebooks.py", "dbmkit/chapters.py", "parameters", "GLOSSARY"):
        assert must in guide, must



def test_the_suite_keeps_an_xdist_group_on_one_worker_and_starts_the_long_units_first(tmp_path):
    """tests/conftest.py on a tiny suite under `make test`'s options: the tests of one xdist group run on one worker
    (under pytest 9, pytest-xdist 3.8 alone spreads them over both, and each worker runs the group's expensive
    fixture again), and a unit named in LONG_FIRST runs before the tests collected ahead of it."""
    suite = tmp_path / "tests"
    suite.mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", suite / "conftest.py")
    log_fn = ("import os\n\n\ndef log(name):\n    with open(os.environ['SUITE_LOG'], 'a') as f:\n"
              "        f.write(name + ' ' + os.environ.get('PYTEST_XDIST_WORKER', 'main') + '\\n')\n")
    (suite / "suite_log.py").write_text(log_fn, encoding="utf-8")
    (suite / "test_a_free.py").write_text("from suite_log import log\n" + "".join(
        f"\n\ndef test_free{i}():\n    log('free{i}')\n" for i in range(6)), encoding="utf-8")
    (suite / "test_b_group.py").write_text("import pytest\nfrom suite_log import log\n"
                                           "pytestmark = pytest.mark.xdist_group('together')\n" + "".join(
        f"\n\ndef test_g{i}():\n    log('g{i}')\n" for i in range(8)), encoding="utf-8")
    (suite / "test_c_long.py").write_text("import pytest\nfrom suite_log import log\n\n\n"
                                          "@pytest.mark.xdist_group('wheel')\ndef test_long():\n    log('long')\n",
                                          encoding="utf-8")

    def run(*args) -> list[list[str]]:
        log = tmp_path / f"log{len(args)}.txt"
        env = {**os.environ, "SUITE_LOG": str(log), "PYTHONPATH": str(ROOT)}
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, "tests"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        return [line.split() for line in log.read_text(encoding="utf-8").splitlines()]

    together = run("-n", "2", "--dist", "loadgroup", "--no-loadscope-reorder")
    assert len(together) == 15
    assert len({w for name, w in together if name.startswith("g")}) == 1, together
    alone = [name for name, _ in run("-p", "no:xdist")]
    assert alone == ["long", *(f"g{i}" for i in range(8)), *(f"free{i}" for i in range(6))]

def _help(capsys, *args) -> str:
    from dbmkit.cli import main
    try:
        main([*args, "--help"])
    except SystemExit:
        pass
    return capsys.readouterr().out


def test_every_command_has_a_description_examples_and_config_help(capsys):
    from dbmkit.cli import COMMANDS
    out = _help(capsys)
    assert "exit codes: 0 success" in out
    names = out.split("{", 1)[1].split("}", 1)[0].split(",")
    assert set(names) == set(COMMANDS), "every command needs its examples in dbmkit.cli.COMMANDS"
    for name in names:
        page = _help(capsys, name)
        body = page.split("\n\n", 2)
        assert len(body) > 2 and body[1].strip(), f"{name}: no description"
        assert re.search(rf"examples:\n  dbmkit {name}[ \n]", page), name
        if "  config " in page:
            assert "the client's config file (YAML)" in page or "config (YAML)" in page, name
