"""The project's own files: one version, the licence, the contributor guide and the changelog."""
from __future__ import annotations

import re
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
