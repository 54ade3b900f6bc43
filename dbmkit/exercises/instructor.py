"""The instructor path: solution notebooks from ``instructor/chNN.yaml``, a clean student copy, grading a class.

The worked solutions are not in the package. ``instructor/chNN.yaml`` (in the repository, not in a student copy)
holds per exercise the solution code and its explanation, and the answers of the chapter's review questions::

    chapter: "12"
    review:
      - q: "Why …?"          # the question as the notebook asks it
        a: "Because …"
    exercises:
      "12.1": {solution: "answer = ws.sql(...)", explanation: "…"}

``build_solutions`` writes ``solutions/NN_….ipynb``: after each exercise cell a cell that sets ``answer`` to the
solution and calls the same ``check`` (so it prints ✓), then the explanation; the review answers follow the review
questions. ``student_copy`` writes the folder students get; ``grade`` runs each student's notebooks and reads the
✓/✗ feedback into one CSV. ``decorator_solutions`` reads ``solution=`` keywords still left in a chapter module
(before ``tools/move_solutions.py`` has moved them), so the builder works before and after the migration.
"""
from __future__ import annotations

import ast
import copy
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import yaml

__all__ = ["repo_root", "read_instructor", "decorator_solutions", "strip_solutions", "solutions", "check_calls",
           "build_solutions", "student_copy", "feedback_lines", "run_notebook", "grade", "register_cli",
           "STUDENT_ITEMS"]

# what a student copy holds (relative to the repository); never instructor/ nor solutions/
STUDENT_ITEMS = ("notebooks", "clients", "data", "dbmkit", "docs/GLOSSARY.md", "pyproject.toml", "environment.yml",
                 "LICENSE")
FEEDBACK = re.compile(r"^([✓✗…]) Exercise (\S+?):", re.M)


def repo_root() -> Path:
    """The repository that holds this dbmkit (instructor/, notebooks/, clients/ …)."""
    return Path(__file__).resolve().parents[2]


def read_instructor(folder: Path | str | None = None) -> dict[str, dict]:
    """Chapter number → the parsed ``instructor/chNN.yaml`` (an empty dict when the folder is missing)."""
    folder = Path(folder) if folder else repo_root() / "instructor"
    out = {}
    for p in sorted(folder.glob("ch*.yaml")) if folder.is_dir() else ():
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise ValueError(f"{p}: not valid YAML ({e}); fix the file") from None
        out[str(data.get("chapter") or p.stem[2:])] = data
    return out


def _module_constants(tree: ast.Module) -> dict:
    """Top-level constant assignments of a chapter module (a solution may be an f-string that uses them)."""
    ns: dict = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            try:
                exec(compile(ast.Module([node], []), "<chapter>", "exec"), {}, ns)  # noqa: S102 - own source
            except Exception:  # noqa: BLE001 - not a constant: skipped
                continue
    return ns


def decorator_solutions(path: Path | str) -> dict[str, dict]:
    """Exercise id → {solution, node} for every ``@exercise(..., solution=...)`` in a chapter module's source."""
    path = Path(path)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    ns = None
    out = {}
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in node.decorator_list:
            if not (isinstance(deco, ast.Call) and getattr(deco.func, "id", getattr(deco.func, "attr", "")) ==
                    "exercise" and deco.args and isinstance(deco.args[0], ast.Constant)):
                continue
            for kw in deco.keywords:
                if kw.arg != "solution":
                    continue
                try:
                    value = ast.literal_eval(kw.value)
                except ValueError:
                    ns = _module_constants(tree) if ns is None else ns
                    value = eval(compile(ast.Expression(kw.value), str(path), "eval"), dict(ns))  # noqa: S307
                out[str(deco.args[0].value)] = dict(solution=str(value), keyword=kw, call=deco)
    return out


def _offsets(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def strip_solutions(text: str, found: dict) -> str:
    """A chapter module's source (``found``: its ``decorator_solutions``) without the ``solution=`` keywords, each
    with the comma that joins it to its neighbours."""
    line_start = _offsets(text)

    def at(lineno, col):          # ast columns are UTF-8 byte offsets
        line = text[line_start[lineno - 1]:line_start[lineno]]
        return line_start[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    spans = []
    for d in found.values():
        kw, call = d["keyword"], d["call"]
        start, end = at(kw.lineno, kw.col_offset), at(kw.end_lineno, kw.end_col_offset)
        rest = text[end:]
        stripped = rest.lstrip()
        if stripped.startswith(","):                 # solution=…, next=…  → drop through the comma and spaces
            after = end + (len(rest) - len(stripped)) + 1
            while after < len(text) and text[after] in " \t":
                after += 1
            if text[after:after + 1] == "\n":        # the keyword ended its line: keep the next line's indent
                after += 1
                line_begin = text.rfind("\n", 0, start) + 1
                if text[line_begin:start].strip() == "":
                    start = line_begin
            spans.append((start, after))
        else:                                        # the last argument: drop the comma before it
            items = [*call.args, *[k for k in call.keywords if k is not kw]]
            prev = max((at(n.end_lineno, n.end_col_offset) for n in items
                        if at(n.end_lineno, n.end_col_offset) <= start), default=None)
            spans.append((prev if prev is not None else start, end))
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + text[end:]
    return text


def solutions(instructor_dir: Path | str | None = None, exercises_dir: Path | str | None = None) -> dict[str, dict]:
    """Exercise id → {solution, explanation}: the instructor yaml first, ``solution=`` left in the source second."""
    out: dict[str, dict] = {}
    exercises_dir = Path(exercises_dir) if exercises_dir else Path(__file__).parent
    for p in sorted(exercises_dir.glob("ch*.py")):
        for ex_id, d in decorator_solutions(p).items():
            out[ex_id] = dict(solution=d["solution"], explanation="")
    for data in read_instructor(instructor_dir).values():
        for ex_id, d in (data.get("exercises") or {}).items():
            entry = out.setdefault(str(ex_id), dict(solution="", explanation=""))
            for k in ("solution", "explanation"):
                if (d or {}).get(k):
                    entry[k] = str(d[k])
    return out


def check_calls(source: str) -> list[tuple[str, str]]:
    """(exercise id, the call's source) of every ``…check("NN.k", answer, ws, …)`` call in a cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    out = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "check"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            out.append((node.args[0].value, ast.get_source_segment(source, node) or ""))
    return sorted(out, key=lambda x: (x[1] == "", source.find(x[1])))


def _review_cell(review: list[dict]) -> nbformat.NotebookNode:
    lines = ["### Review answers (复习题答案) — instructor copy", ""]
    for i, item in enumerate(review or (), 1):
        lines += [f"**{i}. {str(item.get('q', '')).strip()}**", "", str(item.get("a", "")).strip(), ""]
    return nbformat.v4.new_markdown_cell("\n".join(lines).rstrip() + "\n", metadata={"tags": ["solution"]})


def solution_notebook(nb: nbformat.NotebookNode, sols: dict[str, dict], review: list[dict]) -> tuple:
    """The solution version of a chapter notebook and the exercise ids it has no solution for."""
    nb = copy.deepcopy(nb)
    cells, missing = [], []
    for cell in nb.cells:
        cells.append(cell)
        text = cell.source if isinstance(cell.source, str) else "".join(cell.source)
        if cell.cell_type == "code" and "exercise" in cell.metadata.get("tags", []):
            for ex_id, call in check_calls(text):
                sol = sols.get(ex_id, {})
                if not sol.get("solution"):
                    missing.append(ex_id)
                    continue
                code = sol["solution"].rstrip() + "\n" + (call or f'dbm.exercises.check("{ex_id}", answer, ws)')
                cells.append(nbformat.v4.new_code_cell(code, metadata={"tags": ["solution"]}))
                explanation = sol.get("explanation", "").strip()
                if explanation:
                    cells.append(nbformat.v4.new_markdown_cell(f"**Solution {ex_id}** — {explanation}",
                                                               metadata={"tags": ["solution"]}))
        elif cell.cell_type == "markdown" and re.match(r"#+\s*Review questions", text.strip()) and review:
            cells.append(_review_cell(review))
    nb.cells = cells
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb, missing


def build_solutions(out: Path | str = "solutions", chapters: list[str] | None = None,
                    notebooks_dir: Path | str | None = None, instructor_dir: Path | str | None = None,
                    exercises_dir: Path | str | None = None) -> list[tuple[Path, list[str]]]:
    """Write the solution notebooks of the chapters (all when None); (path, exercise ids without solution) each."""
    root = repo_root()
    notebooks_dir = Path(notebooks_dir) if notebooks_dir else root / "notebooks"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sols = solutions(instructor_dir, exercises_dir)
    reviews = {k: v.get("review") or [] for k, v in read_instructor(instructor_dir).items()}
    written = []
    for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb")):
        number = path.name[:2]
        if chapters and number not in {str(c).zfill(2) for c in chapters}:
            continue
        nb = nbformat.read(path, as_version=4)
        sol_nb, missing = solution_notebook(nb, sols, reviews.get(number, []))
        target = out / path.name
        nbformat.write(sol_nb, target)
        written.append((target, missing))
    return written


def student_copy(dest: Path | str, root: Path | str | None = None) -> Path:
    """A clean folder for students: notebooks without outputs, clients, data, the package, a README, the glossary.

    Never instructor/ or solutions/; a destination inside the repository's instructor or solutions folder is
    refused."""
    root = Path(root) if root else repo_root()
    dest = Path(dest).resolve()
    for banned in ("instructor", "solutions"):
        if (root / banned).resolve() in (dest, *dest.parents):
            raise ValueError(f"{dest}: a student copy cannot be written inside {banned}/")
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} exists and is not empty: give a new folder for the student copy")
    dest.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.duckdb*", "*.egg-info")
    for item in STUDENT_ITEMS:
        src = root / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=skip)
        elif src.is_file():
            (dest / item).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / item)
    for module in (dest / "dbmkit" / "exercises").glob("ch[0-9]*.py"):   # solutions not yet migrated stay out
        found = decorator_solutions(module)
        if found:
            module.write_text(strip_solutions(module.read_text(encoding="utf-8"), found), encoding="utf-8")
    for nb_path in (dest / "notebooks").glob("*.ipynb"):
        nb = nbformat.read(nb_path, as_version=4)
        nb.cells = [c for c in nb.cells if "solution" not in c.metadata.get("tags", [])]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, nb_path)
    readme = root / "docs" / "STUDENTS.md"
    if readme.is_file():
        shutil.copy2(readme, dest / "README.md")
    return dest


def feedback_lines(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Exercise id → correct / wrong / not answered, read from the ✓/✗/… feedback in an executed notebook."""
    marks = {"✓": "correct", "✗": "wrong", "…": "not answered"}
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []) if cell.cell_type == "code" else ():
            text = o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", "")
            text = text if isinstance(text, str) else "".join(text)
            for mark, ex_id in FEEDBACK.findall(text):
                out[ex_id] = marks[mark]
    return out


def run_notebook(path: Path, out: Path, config: Path, workdir: Path, timeout: int) -> str:
    """Execute one notebook with papermill on ``config``; '' or the error in one line."""
    # the kernel imports the dbmkit that grades (its checker decides), wherever the notebook lies
    path_env = os.pathsep.join(x for x in (str(repo_root()), os.environ.get("PYTHONPATH", "")) if x)
    env = dict(os.environ, DBMKIT_CONFIG=str(config), DBMKIT_WORKDIR=str(workdir), MPLBACKEND="Agg",
               DBMKIT_KPI_FILE=str(out.with_suffix(".kpis.json")), PYTHONPATH=path_env)
    code = ("import sys, papermill as pm\n"
            "pm.execute_notebook(sys.argv[1], sys.argv[2], cwd=sys.argv[3], kernel_name='python3', "
            "progress_bar=False, execution_timeout=int(sys.argv[4]))\n")
    r = subprocess.run([sys.executable, "-c", code, str(path), str(out), str(path.parent), str(timeout)],
                       env=env, capture_output=True, text=True)
    if r.returncode == 0:
        return ""
    lines = [x for x in r.stderr.strip().splitlines() if x.strip()]
    return lines[-1][:200] if lines else f"exit code {r.returncode}"


def grade(students_dir: Path | str, config: Path | str, out_csv: Path | str | None = None,
          workdir: Path | str | None = None, timeout: int = 900) -> Path:
    """Run every student's notebooks (``STUDENTS/<name>/NN_*.ipynb``) on ``config`` and write one CSV row per
    student, chapter and exercise: correct / wrong / not answered (and a note when the notebook stopped)."""
    from . import REGISTRY, load_all
    load_all()
    students_dir, config = Path(students_dir), Path(config).resolve()
    if not students_dir.is_dir():
        raise FileNotFoundError(f"{students_dir}: no such folder (one sub-folder per student with the notebooks)")
    out_csv = Path(out_csv) if out_csv else students_dir / "grades.csv"
    workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="dbmkit-grade-"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="dbmkit-graded-") as tmp:
        for student in sorted(p for p in students_dir.iterdir() if p.is_dir()):
            for nb_path in sorted(student.glob("[0-9][0-9]_*.ipynb")):
                chapter = nb_path.name[:2]
                executed = Path(tmp) / f"{student.name}-{nb_path.name}"
                note = run_notebook(nb_path, executed, config, workdir, timeout)
                seen = feedback_lines(nbformat.read(executed, as_version=4)) if executed.exists() else {}
                ids = sorted({i for i in REGISTRY if i.split(".")[0] == chapter} | set(seen),
                             key=lambda x: [int(p) if p.isdigit() else p for p in x.split(".")])
                for ex_id in ids:
                    rows.append(dict(student=student.name, chapter=chapter, exercise=ex_id,
                                     result=seen.get(ex_id, "not answered"), note=note))
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["student", "chapter", "exercise", "result", "note"])
        w.writeheader()
        w.writerows(rows)
    return out_csv


def _user_error(e: Exception) -> int:
    print(f"[dbmkit] error: {e}", file=sys.stderr)
    return 2


def _cmd_solutions(a) -> int:
    try:
        written = build_solutions(a.out, a.chapters, instructor_dir=a.instructor)
    except (ValueError, OSError) as e:
        return _user_error(e)
    for path, missing in written:
        extra = f" (no solution for {', '.join(missing)})" if missing else ""
        print(f"[dbmkit] wrote {path}{extra}")
    return 1 if any(m for _, m in written) else 0


def _cmd_student(a) -> int:
    try:
        dest = student_copy(a.dir)
    except (ValueError, OSError) as e:
        return _user_error(e)
    print(f"[dbmkit] student copy in {dest} (notebooks without outputs, clients, data, the package; no solutions)")
    return 0


def _cmd_grade(a) -> int:
    try:
        out = grade(a.students, a.config, a.out, timeout=a.timeout)
    except (ValueError, OSError) as e:
        return _user_error(e)
    print(f"[dbmkit] grades in {out}")
    return 0


def register_cli(sub) -> None:
    """The instructor's commands: solutions, student, grade."""
    s = sub.add_parser("solutions", help="write the solution notebooks (instructors) from instructor/")
    s.add_argument("--out", default="solutions", help="folder for the solution notebooks (default solutions/)")
    s.add_argument("--chapters", nargs="*", help="chapter numbers (default: every chapter), e.g. 12 20")
    s.add_argument("--instructor", help="folder of the instructor yaml files (default: the repository's instructor/)")
    s.set_defaults(func=_cmd_solutions)
    st = sub.add_parser("student", help="write a clean student copy of the workbook (no solutions)")
    st.add_argument("dir", help="a new (or empty) folder for the copy")
    st.set_defaults(func=_cmd_student)
    g = sub.add_parser("grade", help="run a class's notebooks and write the ✓/✗ of every exercise to a CSV")
    g.add_argument("students", help="folder with one sub-folder of notebooks per student")
    g.add_argument("--config", required=True, help="the client config every notebook runs on")
    g.add_argument("--out", help="the CSV (default STUDENTS/grades.csv)")
    g.add_argument("--timeout", type=int, default=900, help="seconds per notebook cell (default 900)")
    g.set_defaults(func=_cmd_grade)
