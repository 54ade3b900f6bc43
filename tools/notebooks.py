"""Keep the notebooks in line with the workbook's conventions.

    python tools/notebooks.py sync            rewrite navigation cells from dbmkit.chapters, strip outputs, write
                                              the Chinese edition notebooks_zh/ (tools/translate.py build)
    python tools/notebooks.py check           fail (exit 1) when a notebook drifts from the conventions or a
                                              translation from its English (tools/translate.py check)
    python tools/notebooks.py from-py SRC.py OUT.ipynb
                                              build a notebook from a percent-format script (authoring aid)

Conventions checked: stored without outputs; first and last cells are the generated navigation (tag ``nav``); the
second cell is the title "# NN · Title (中文)"; a cell tagged ``parameters`` holds ``config`` and ``overrides`` (the
settings ``dbmkit report --set`` changes, None when the notebook is opened by hand); the setup cell calls
``dbm.workspace(config, overrides=overrides)`` (case studies: ``dbm.load_config(config, overrides=overrides)``); the
closing code cell calls ``provenance(``; every chapter has at least four "Your turn" exercises (cells tagged
``exercise`` calling ``dbm.exercises.check``) and ends with a recap, review questions and what it means for the
marketer. ``sync`` adds the ``overrides`` parameter and passes it in the setup
call where a notebook lacks them.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import nbformat  # noqa: E402

from dbmkit.chapters import BY_FILE, CHAPTERS, neighbours  # noqa: E402

NB_DIR = ROOT / "notebooks"
MIN_EXERCISES = 4           # every chapter: at least four "Your turn" exercises, half of them build or decide
ENDING = ("## Recap", "## Review questions", "What this means for the marketer")


def nav_markdown(file: str, bottom: bool = False) -> str:
    prev, nxt = neighbours(file)
    parts = []
    parts.append(f"[← {prev.number} {prev.title}]({prev.file}.ipynb)" if prev else "← (start)")
    parts.append("[Index](00_start_here.ipynb#Chapters)")
    parts.append(f"[{nxt.number} {nxt.title} →]({nxt.file}.ipynb)" if nxt else "(end) →")
    line = " · ".join(parts)
    return ("---\n" + line) if bottom else line


def chapter_index_markdown() -> str:
    lines = ['<a id="Chapters"></a>', "## Chapters (章节)", "", "| # | chapter | 中文 |", "|---|---|---|"]
    for c in CHAPTERS:
        lines.append(f"| {c.number} | [{c.title}]({c.file}.ipynb) | {c.title_zh} |")
    return "\n".join(lines)


def _is_nav(cell) -> bool:
    return "nav" in cell.get("metadata", {}).get("tags", [])


# the report's --set settings reach every chapter as one parameter, passed to the setup call
OVERRIDES_COMMENT = '# changed settings, e.g. {"campaign.budget": 5000} (dbmkit report --set)'
SETUP_CALLS = {"dbm.workspace(config)": "dbm.workspace(config, overrides=overrides)",
               "dbm.load_config(config)": "dbm.load_config(config, overrides=overrides)"}
_OVERRIDES_LINE = re.compile(r"^overrides\s*=", re.M)


def _with_overrides_parameter(source: str) -> str:
    """The parameters cell with an ``overrides = None`` line after ``config`` (aligned with its comment)."""
    if _OVERRIDES_LINE.search(source):
        return source
    lines = source.splitlines()
    i = next((k for k, ln in enumerate(lines) if ln.startswith("config")), 0)
    col = lines[i].find("#") if lines and "#" in lines[i] else 34
    lines.insert(i + 1, "overrides = None".ljust(col) + OVERRIDES_COMMENT)
    return "\n".join(lines)


def _with_overrides_setup(source: str) -> str:
    for old, new in SETUP_CALLS.items():
        source = source.replace(old, new)
    return source


def sync_notebook(path: Path) -> bool:
    """Rewrite the navigation cells and strip outputs; returns True when the file changed."""
    nb = nbformat.read(str(path), as_version=4)
    before = nbformat.writes(nb)
    file = path.stem
    if file not in BY_FILE:
        return False
    cells = [c for c in nb.cells if not _is_nav(c)]
    top = nbformat.v4.new_markdown_cell(nav_markdown(file), metadata={"tags": ["nav"]})
    bottom = nbformat.v4.new_markdown_cell(nav_markdown(file, bottom=True), metadata={"tags": ["nav"]})
    nb.cells = [top] + cells + [bottom]
    for c in nb.cells:
        if "chapter-index" in c.get("metadata", {}).get("tags", []):
            c.source = chapter_index_markdown()
        if "parameters" in c.get("metadata", {}).get("tags", []):
            c.source = _with_overrides_parameter(c.source)
        elif c.cell_type == "code":
            c.source = _with_overrides_setup(c.source)
    for i, c in enumerate(nb.cells):
        c["id"] = f"{file[:2]}-{i:03d}"
        if c.cell_type == "code":
            c.outputs = []
            c.execution_count = None
            c.metadata.pop("execution", None)
            c.metadata.pop("papermill", None)
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after, encoding="utf-8")
        return True
    return False


def check_notebook(path: Path) -> list[str]:
    problems = []
    nb = nbformat.read(str(path), as_version=4)
    file = path.stem
    if file not in BY_FILE:
        return [f"{path.name}: not in dbmkit.chapters.CHAPTERS"]
    ch = BY_FILE[file]
    cells = nb.cells
    if any(c.cell_type == "code" and (c.get("outputs") or c.get("execution_count")) for c in cells):
        problems.append(f"{path.name}: stored with outputs (run `make notebooks-sync`)")
    if len(cells) < 4 or not _is_nav(cells[0]) or not _is_nav(cells[-1]):
        problems.append(f"{path.name}: first and last cells must be navigation cells (run `make notebooks-sync`)")
    else:
        if cells[0].source != nav_markdown(file) or cells[-1].source != nav_markdown(file, bottom=True):
            problems.append(f"{path.name}: navigation cells are out of date (run `make notebooks-sync`)")
        title = cells[1].source.splitlines()[0] if cells[1].source else ""
        if cells[1].cell_type != "markdown" or not re.match(rf"^# {ch.number} · ", title):
            problems.append(f"{path.name}: the second cell must be the title '# {ch.number} · {ch.title} (…)'")
    for c in cells:
        if "chapter-index" in c.get("metadata", {}).get("tags", []) and c.source != chapter_index_markdown():
            problems.append(f"{path.name}: the chapter index is out of date (run `make notebooks-sync`)")
    params = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(params) != 1 or "config" not in params[0].source:
        problems.append(f"{path.name}: needs exactly one cell tagged 'parameters' that sets `config`")
    else:
        for ln in params[0].source.splitlines():
            if "#" in ln and "=" in ln.split("#", 1)[1]:
                problems.append(f"{path.name}: papermill cannot parse a parameter whose comment contains '=': {ln!r}")
        if not _OVERRIDES_LINE.search(params[0].source):
            problems.append(f"{path.name}: the parameters cell must set `overrides = None` (the report's --set "
                            "settings; run `make notebooks-sync`)")
    code = [c for c in cells if c.cell_type == "code"]
    if not any("dbm.workspace(" in c.source or "dbm.datasets" in c.source for c in code):
        problems.append(f"{path.name}: no setup cell calling dbm.workspace(config)")
    if not any(new in c.source for c in code for new in SETUP_CALLS.values()):
        problems.append(f"{path.name}: the setup cell must pass the overrides: dbm.workspace(config, "
                        "overrides=overrides) (run `make notebooks-sync`)")
    for c in code:
        for old in SETUP_CALLS:
            if old in c.source:
                problems.append(f"{path.name}: `{old}` ignores the report's --set settings; write "
                                f"`{SETUP_CALLS[old]}` (run `make notebooks-sync`)")
    if not code or "provenance(" not in code[-1].source:
        problems.append(f"{path.name}: the last code cell must show provenance (dbm.provenance(...))")
    ex = [c for c in cells if "exercise" in c.get("metadata", {}).get("tags", []) and "exercises.check" in c.source]
    if len(ex) < MIN_EXERCISES:
        problems.append(f"{path.name}: needs at least {MIN_EXERCISES} 'Your turn' exercises (cells tagged "
                        f"'exercise'), has {len(ex)}")
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    for heading in ENDING:
        if heading not in text:
            problems.append(f"{path.name}: the chapter must end with '{heading}' (recap, three review questions, "
                            "what this means for the marketer: see CONTRIBUTING.md)")
    for c in code:
        n = len([ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")])
        if n > 25:
            problems.append(f"{path.name}: a code cell has {n} lines; move the logic into dbmkit")
    return problems


def from_py(src: Path, out: Path) -> None:
    """Percent-format script → notebook. Cells start with '# %%' ('# %% [markdown]' for text;
    '# %% tags=["a", "b"]' for tags). Markdown lines lose their leading '# '."""
    text = src.read_text(encoding="utf-8")
    chunks = re.split(r"^# %%(.*)$", text, flags=re.M)
    cells = []
    for header, body in zip(chunks[1::2], chunks[2::2]):
        tags = re.findall(r'"([^"]+)"', header.split("tags=", 1)[1]) if "tags=" in header else []
        body = body.strip("\n")
        if "[markdown]" in header:
            lines = [ln[2:] if ln.startswith("# ") else ("" if ln.strip() == "#" else ln) for ln in body.splitlines()]
            cells.append(nbformat.v4.new_markdown_cell("\n".join(lines), metadata={"tags": tags} if tags else {}))
        else:
            cells.append(nbformat.v4.new_code_cell(body, metadata={"tags": tags} if tags else {}))
    nb = nbformat.v4.new_notebook(cells=cells)
    out.write_text(nbformat.writes(nb), encoding="utf-8")
    sync_notebook(out)


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "check"
    if cmd == "from-py":
        from_py(Path(argv[1]), Path(argv[2]))
        return 0
    paths = sorted(NB_DIR.glob("*.ipynb"))
    import translate  # tools/translate.py: the Chinese edition
    if cmd == "sync":
        for p in paths:
            if sync_notebook(p):
                print(f"synced {p.name}")
        for name in translate.build():
            print(f"wrote notebooks_zh/{name}")
        return 0
    problems = [x for p in paths for x in check_notebook(p)] + translate.problems()
    missing = [c.file for c in CHAPTERS if not (NB_DIR / f"{c.file}.ipynb").exists()]
    for m in missing:
        problems.append(f"{m}.ipynb: listed in dbmkit.chapters but missing")
    for x in problems:
        print(x)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
