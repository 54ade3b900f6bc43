"""The instructor path: the solution migration (on a scratch copy of the repository), the solution notebooks of
chapters 12 and 20 run with every exercise ✓, a student copy without any answer, and grading a class."""
from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

import dbmkit
from dbmkit.exercises import instructor as I

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "small_client.yaml"


def _norm(s: str) -> str:
    return " ".join(str(s).split())


def _secrets(instructor_dir: Path) -> list[str]:
    """Every solution, explanation and review answer of the instructor yaml files (normalised, > 15 characters)."""
    out = []
    for data in I.read_instructor(instructor_dir).values():
        out += [r.get("a", "") for r in data.get("review") or []]
        for d in (data.get("exercises") or {}).values():
            out += [(d or {}).get("solution", ""), (d or {}).get("explanation", "")]
    return [_norm(s) for s in out if len(_norm(s)) > 15]


def _texts(folder: Path):
    for p in folder.rglob("*"):
        if p.is_file() and p.suffix in (".py", ".ipynb", ".md", ".yaml", ".yml", ".txt", ".toml", ".sql", ".json"):
            text = p.read_text(encoding="utf-8", errors="ignore")
            if p.suffix == ".ipynb":                        # the cells' sources, as the student reads them
                nb = nbformat.reads(text, as_version=4)
                text = "\n".join(c.source for c in nb.cells)
            yield p, _norm(text)


def _leaks(folders, secrets) -> list[str]:
    return [f"{p}: {s[:60]}" for f in folders for p, text in _texts(f) for s in secrets if s in text]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """A copy of the repository's package, instructor files, notebooks, clients, data and docs, migrated."""
    root = tmp_path_factory.mktemp("repo")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for item in ("dbmkit", "instructor", "notebooks", "clients", "data", "docs"):
        shutil.copytree(ROOT / item, root / item, ignore=skip)
    for item in ("pyproject.toml", "environment.yml", "LICENSE"):
        if (ROOT / item).exists():
            shutil.copy2(ROOT / item, root / item)
    before = I.solutions(ROOT / "instructor", ROOT / "dbmkit" / "exercises")
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "move_solutions.py"), str(root)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    root.joinpath("before.yaml").write_text(yaml.safe_dump(before, allow_unicode=True), encoding="utf-8")
    return root


def test_migration_moves_every_solution_and_is_idempotent(scratch):
    before = yaml.safe_load(scratch.joinpath("before.yaml").read_text(encoding="utf-8"))
    after = I.solutions(scratch / "instructor", scratch / "dbmkit" / "exercises")
    assert {k: v["solution"] for k, v in after.items()} == {k: v["solution"] for k, v in before.items()}
    for p in sorted((scratch / "dbmkit" / "exercises").glob("ch[0-9]*.py")):
        assert I.decorator_solutions(p) == {}, p.name          # no solution= left in the source
        compile(p.read_text(encoding="utf-8"), str(p), "exec")
    snapshot = {p: p.read_bytes() for p in (scratch / "instructor").glob("*.yaml")}
    snapshot.update({p: p.read_bytes() for p in (scratch / "dbmkit" / "exercises").glob("ch*.py")})
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "move_solutions.py"), str(scratch)],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == ""
    assert all(p.read_bytes() == b for p, b in snapshot.items())
    r = subprocess.run(["/work/main/.venv/bin/ruff" if Path("/work/main/.venv/bin/ruff").exists() else "ruff",
                        "check", "--config", str(ROOT / "pyproject.toml"), str(scratch / "dbmkit" / "exercises")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


def test_the_migrated_chapters_register_the_same_exercises(scratch):
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from dbmkit import exercises as E; E.load_all(); "
            "print(sorted(E.REGISTRY))")
    here = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True)
    there = subprocess.run([sys.executable, "-c", code, str(scratch)], capture_output=True, text=True)
    assert there.returncode == 0, there.stderr
    assert here.stdout == there.stdout and "12.5" in there.stdout


def test_student_copy_of_the_migrated_repository_holds_no_answer(scratch, tmp_path):
    secrets = _secrets(scratch / "instructor")
    assert len(secrets) > 60                                    # every chapter's solutions are now in the yaml
    dest = I.student_copy(tmp_path / "class", root=scratch)
    assert not (dest / "instructor").exists() and not (dest / "solutions").exists()
    assert (dest / "notebooks" / "12_build_store_protect.ipynb").exists() and (dest / "docs" / "GLOSSARY.md").exists()
    assert _leaks([dest, scratch / "dbmkit"], secrets) == []


def test_student_copy_and_installed_package_hold_no_answer_of_this_repository(tmp_path):
    secrets = _secrets(ROOT / "instructor")
    assert any("HAVING count(DISTINCT channel) >= 2" in s for s in secrets)
    dest = I.student_copy(tmp_path / "class")
    assert (dest / "README.md").exists()
    for nb_path in (dest / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), nb_path.name
    assert _leaks([dest, Path(dbmkit.__file__).parent], secrets) == []


def test_solution_notebooks_of_12_and_20_run_with_every_exercise_correct(tmp_path, small_workdir):
    written = I.build_solutions(tmp_path / "solutions", ["12", "20"])
    assert [p.name[:2] for p, _ in written] == ["12", "20"] and all(not m for _, m in written)
    for path, _ in written:
        nb = nbformat.read(path, as_version=4)
        assert any("Review answers" in c.source for c in nb.cells if c.cell_type == "markdown")
        out = tmp_path / f"run-{path.name}"
        note = I.run_notebook(path, out, SMALL, small_workdir, 600)
        assert note == "", note
        seen = I.feedback_lines(nbformat.read(out, as_version=4))
        chapter = path.name[:2]
        dbmkit.exercises.load_all()
        ids = {i for i in dbmkit.exercises.REGISTRY if i.startswith(chapter + ".")}
        assert len(ids) >= 5 and {i: seen.get(i) for i in ids} == {i: "correct" for i in ids}


def test_grading_two_students(tmp_path, small_workdir):
    sols = I.build_solutions(tmp_path / "sol", ["12"])[0][0]
    (tmp_path / "class" / "ann").mkdir(parents=True)
    (tmp_path / "class" / "bob").mkdir(parents=True)
    nb = nbformat.read(sols, as_version=4)                       # ann: answers filled in, 12.4 answered wrong
    cells = []
    for c in nb.cells:
        if "solution" in c.metadata.get("tags", []):
            if c.cell_type == "code":
                if '"12.4"' in c.source:
                    c.source = 'answer = -1\ndbm.exercises.check("12.4", answer, ws)'
                cells[-1] = c
            continue
        cells.append(c)
    nb.cells = cells
    nbformat.write(nb, tmp_path / "class" / "ann" / sols.name)
    shutil.copy2(ROOT / "notebooks" / sols.name, tmp_path / "class" / "bob" / sols.name)   # bob: nothing answered
    out = I.grade(tmp_path / "class", SMALL, tmp_path / "grades.csv", workdir=small_workdir)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    dbmkit.exercises.load_all()
    got = {(r["student"], r["exercise"]): r["result"] for r in rows}
    ids = sorted(i for i in dbmkit.exercises.REGISTRY if re.match(r"12\.", i))
    assert {got[("bob", i)] for i in ids} == {"not answered"}
    assert got[("ann", "12.4")] == "wrong"
    assert {got[("ann", i)] for i in ids if i != "12.4"} == {"correct"}
    assert all(r["note"] == "" for r in rows)


def test_student_copy_strips_solutions_not_yet_migrated(tmp_path):
    """Before the migration a chapter module may still hold ``solution=``: the student copy never does."""
    root = tmp_path / "repo"
    (root / "dbmkit" / "exercises").mkdir(parents=True)
    (root / "notebooks").mkdir()
    src = ('from . import exercise\n\n\n@exercise("97.1", "t", hint="h",\n'
           '          solution="answer = the_secret_formula_of_97_1(ws)", rel_tol=0)\ndef _f(ws):\n    return 1\n')
    (root / "dbmkit" / "exercises" / "ch97.py").write_text(src, encoding="utf-8")
    dest = I.student_copy(tmp_path / "class", root=root)
    copied = (dest / "dbmkit" / "exercises" / "ch97.py").read_text(encoding="utf-8")
    assert "the_secret_formula" not in copied and "rel_tol=0" in copied
    compile(copied, "ch97.py", "exec")
