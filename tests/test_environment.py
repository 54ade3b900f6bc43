"""environment.yml and pyproject.toml list the same dependencies (names and lower bounds)."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict[str, str]:
    d = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(d["project"]["dependencies"])
    for extra in d["project"]["optional-dependencies"].values():
        reqs += extra
    return {_name(r): r.replace(" ", "") for r in reqs}


def _conda() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for r in items:
            if r.startswith("-e") or _name(r) in ("python", "pip"):
                continue
            out[_name(r)] = r.replace(" ", "")
    return out


def test_same_packages():
    py, co = _pyproject(), _conda()
    assert set(py) == set(co), f"only in pyproject: {set(py) - set(co)}; only in environment.yml: {set(co) - set(py)}"


def test_same_bounds():
    py, co = _pyproject(), _conda()
    diff = {k: (py[k], co[k]) for k in py if re.sub(r"^[^<>=!]*", "", py[k]) != re.sub(r"^[^<>=!]*", "", co[k])}
    assert not diff, f"version bounds differ: {diff}"


def test_every_dependency_is_commented():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if (re.match(r"^\s+- [a-z]", line) and "-e ." not in line
                and line.strip() not in ("- pip", "- pip:", "- conda-forge")):
            assert "#" in line, f"environment.yml: say where this is used: {line.strip()}"
