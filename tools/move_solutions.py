"""Move every ``solution=`` keyword of the ``@exercise`` decorators into ``instructor/chNN.yaml``.

    python tools/move_solutions.py [REPO]            # default: the repository this script is in
    python tools/move_solutions.py REPO --only 12 20  # only these chapters

The keyword is located with ``ast`` (its exact span), removed from the source text (with its comma), and its value
is written as ``exercises.<id>.solution`` of the chapter's yaml, merged with what the yaml holds (a solution already
in the yaml is kept, and the script says so when the two differ). Running it again changes nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def move_chapter(path: Path, instructor: Path) -> list[str]:
    """Move one chapter module's solutions; the messages (one per moved or conflicting solution)."""
    from dbmkit.exercises.instructor import decorator_solutions, strip_solutions
    found = decorator_solutions(path)
    if not found:
        return []
    chapter = path.stem[2:]
    target = instructor / f"ch{chapter}.yaml"
    data = yaml.safe_load(target.read_text(encoding="utf-8")) if target.exists() else None
    data = data or {"chapter": chapter, "review": []}
    exercises = data.setdefault("exercises", {}) or {}
    data["exercises"] = exercises
    notes = []
    for ex_id, d in found.items():
        entry = exercises.setdefault(ex_id, {}) or {}
        exercises[ex_id] = entry
        if entry.get("solution") and entry["solution"].strip() != d["solution"].strip():
            notes.append(f"{ex_id}: the yaml's solution is kept (the decorator's differed)")
        else:
            entry["solution"] = d["solution"]
            notes.append(f"{ex_id}: moved")
    instructor.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110),
                      encoding="utf-8")
    new = strip_solutions(path.read_text(encoding="utf-8"), found)
    compile(new, str(path), "exec")                  # never write a module that no longer parses
    path.write_text(new, encoding="utf-8")
    return notes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("repo", nargs="?", default=str(ROOT), help="the repository (default: this one)")
    p.add_argument("--only", nargs="*", help="chapter numbers to migrate (default: every dbmkit/exercises/chNN.py)")
    a = p.parse_args(argv)
    repo = Path(a.repo)
    for path in sorted((repo / "dbmkit" / "exercises").glob("ch[0-9]*.py")):
        if a.only and path.stem[2:] not in {c.zfill(2) for c in a.only}:
            continue
        for note in move_chapter(path, repo / "instructor"):
            print(f"{path.name} {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
