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


def _offsets(text: str) -> list[int]:
    starts, pos = [0], 0
    for line in text.splitlines(keepends=True):
        pos += len(line)
        starts.append(pos)
    return starts


def _cut(text: str, found: dict) -> str:
    """The source without the ``solution=`` keywords (each with the comma that joins it to its neighbours)."""
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


def move_chapter(path: Path, instructor: Path) -> list[str]:
    """Move one chapter module's solutions; the messages (one per moved or conflicting solution)."""
    from dbmkit.exercises.instructor import decorator_solutions
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
    new = _cut(path.read_text(encoding="utf-8"), found)
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
