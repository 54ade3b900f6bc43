"""The Chinese edition of the notebooks: one source of code, two languages of narrative.

    python tools/translate.py status [NN ...]     translated / out of date / missing narrative cells per chapter
    python tools/translate.py todo NN             add the chapter's untranslated cells to its translation file
                                                  (English text and hash filled in, ``zh`` empty) and list the
                                                  out-of-date ones with what changed in the English
    python tools/translate.py stamp NN [ID ...]   after reviewing a translation against the current English, record
                                                  the English it now matches (all out-of-date cells, or the IDs)
    python tools/translate.py build               write notebooks_zh/ from notebooks/ and translations/zh/
    python tools/translate.py check               exit 1 when a narrative cell has no translation, when the English
                                                  changed since its translation was made, or notebooks_zh/ is stale

How it works. The English notebooks in ``notebooks/`` are the source of every code cell. A chapter's Chinese
narrative lives in ``translations/zh/<chapter>.yaml``: for each markdown cell (by its nbformat cell id) the Chinese
text (``zh``), the English it was translated from (``en``) and that English text's SHA-256 (``en_sha``, 12 hex
digits). ``build`` writes ``notebooks_zh/<chapter>.ipynb``: the English notebook with each markdown cell replaced by
its Chinese, the navigation and the chapter index generated in Chinese, and the Chinese demo client
(``../clients/demo_zh.yaml``) as the default config. ``check`` (run by ``make test`` through
``tools/notebooks.py check``) fails when an English cell changed and its translation was not reviewed — the
stored hash no longer matches — and names the cell and the command that shows the change. Reports never mention
it: a report of a Chinese client runs ``notebooks_zh/`` as built.
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402
import yaml  # noqa: E402

from dbmkit.chapters import CHAPTERS, neighbours  # noqa: E402

NB_DIR = ROOT / "notebooks"
ZH_DIR = ROOT / "notebooks_zh"
TR_DIR = ROOT / "translations" / "zh"
DEMO_EN, DEMO_ZH = '"../clients/demo.yaml"', '"../clients/demo_zh.yaml"'
ENDING_ZH = ("## 小结", "## 复习题", "对营销人员的意义")     # the chapter ending's headings in Chinese
INDEX_ANCHOR = '<a id="Chapters"></a>'


def en_sha(text: str) -> str:
    """The hash a translation records of the English it was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def is_nav(cell) -> bool:
    return "nav" in cell.get("metadata", {}).get("tags", [])


def is_narrative(cell) -> bool:
    """A markdown cell a translator writes (not the generated navigation or chapter index)."""
    return (cell.cell_type == "markdown" and not is_nav(cell)
            and not "".join(cell.source).lstrip().startswith(INDEX_ANCHOR))


def chapter_file(arg: str) -> str:
    for c in CHAPTERS:
        if arg in (c.number, c.file):
            return c.file
    raise SystemExit(f"no chapter {arg!r}; chapters: {', '.join(c.number for c in CHAPTERS)}")


def read_en(file: str):
    return nbformat.read(NB_DIR / f"{file}.ipynb", as_version=4)


def tr_path(file: str) -> Path:
    return TR_DIR / f"{file}.yaml"


def load_translation(file: str) -> dict:
    """The chapter's translations: cell id → {en_sha, en, zh} (empty when there is no file)."""
    p = tr_path(file)
    if not p.exists():
        return {}
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return {str(k): v for k, v in (data.get("cells") or {}).items()}


def _scalar(text: str, indent: str) -> str:
    """A YAML block literal of ``text`` (or a quoted string when a block cannot hold it exactly)."""
    text = str(text)
    if text and "\n" not in text and len(text) < 60 and not text.startswith((" ", "|", ">", "#")):
        candidate = json.dumps(text, ensure_ascii=False)
        return " " + candidate
    lines = text.split("\n")
    ok = (text and not text[0].isspace() and "\t" not in text and "\r" not in text
          and not any(line.rstrip(" ") != line for line in lines) and not text.endswith("\n"))
    if not ok:
        return " " + json.dumps(text, ensure_ascii=False)
    body = "\n".join((indent + line) if line else "" for line in lines)
    return " |-\n" + body


def save_translation(file: str, cells: dict, order: list[str]) -> None:
    """Write the translation file with cells in notebook order (round trip checked)."""
    out = [f"# {file} — Chinese narrative for notebooks_zh/{file}.ipynb (tools/translate.py; docs/TRANSLATING.md).",
           "# Per markdown cell (nbformat id): en_sha = SHA-256 of the English the translation matches, en = that",
           "# English, zh = the Chinese. Edit zh; after revising it to a changed English, run `translate.py stamp`.",
           "cells:"]
    ids = [i for i in order if i in cells] + [i for i in cells if i not in order]
    for cid in ids:
        c = cells[cid]
        out.append(f"  {json.dumps(cid)}:")
        out.append(f"    en_sha: {json.dumps(str(c.get('en_sha', '')))}")
        out.append("    en:" + _scalar(c.get("en", ""), " " * 6))
        out.append("    zh:" + _scalar(c.get("zh", "") or "", " " * 6))
    text = "\n".join(out) + "\n"
    back = {str(k): v for k, v in (yaml.safe_load(text).get("cells") or {}).items()}
    for cid in ids:
        for k in ("en", "zh"):
            assert str(back[cid].get(k) or "") == str(cells[cid].get(k) or ""), (file, cid, k)
    TR_DIR.mkdir(parents=True, exist_ok=True)
    tr_path(file).write_text(text, encoding="utf-8")


def chapter_state(file: str) -> dict:
    """The chapter's narrative cells by state — ``ok``, ``stale`` (English changed since), ``missing`` (no Chinese),
    ``orphans`` (translated cells no longer in the notebook) — and ``ending``, the Chinese ending headings lacking."""
    nb = read_en(file)
    tr = load_translation(file)
    state = {"ok": [], "stale": [], "missing": [], "orphans": []}
    ids = []
    for cell in nb.cells:
        if not is_narrative(cell):
            continue
        cid = cell.get("id")
        ids.append(cid)
        t = tr.get(cid)
        if not t or not str(t.get("zh") or "").strip():
            state["missing"].append(cid)
        elif str(t.get("en_sha")) != en_sha(cell.source):
            state["stale"].append(cid)
        else:
            state["ok"].append(cid)
    state["orphans"] = [cid for cid in tr if cid not in ids]
    zh_text = "\n".join(str((tr.get(cid) or {}).get("zh") or "") for cid in ids)
    state["ending"] = [h for h in ENDING_ZH if h not in zh_text] if not state["missing"] else []
    return state


NAV_ZH = {"start": "← （开始）", "end": "（结束） →", "index": "目录"}


def nav_markdown_zh(file: str, bottom: bool = False) -> str:
    prev, nxt = neighbours(file)
    parts = [f"[← {prev.number} {prev.title_zh}]({prev.file}.ipynb)" if prev else NAV_ZH["start"],
             f"[{NAV_ZH['index']}](00_start_here.ipynb#Chapters)",
             f"[{nxt.number} {nxt.title_zh} →]({nxt.file}.ipynb)" if nxt else NAV_ZH["end"]]
    line = " · ".join(parts)
    return ("---\n" + line) if bottom else line


def chapter_index_zh() -> str:
    lines = [INDEX_ANCHOR, "## 章节", "", "| # | 章节 | English |", "|---|---|---|"]
    for c in CHAPTERS:
        lines.append(f"| {c.number} | [{c.title_zh}]({c.file}.ipynb) | {c.title} |")
    return "\n".join(lines)


def build_notebook(file: str):
    """The Chinese notebook of a chapter (English code cells, Chinese narrative where translated)."""
    nb = copy.deepcopy(read_en(file))
    tr = load_translation(file)
    navs = [i for i, c in enumerate(nb.cells) if is_nav(c)]
    for i, cell in enumerate(nb.cells):
        if is_nav(cell):
            cell.source = nav_markdown_zh(file, bottom=(i == navs[-1] and len(navs) > 1))
        elif cell.cell_type == "markdown" and "".join(cell.source).lstrip().startswith(INDEX_ANCHOR):
            cell.source = chapter_index_zh()
        elif is_narrative(cell):
            t = tr.get(cell.get("id")) or {}
            if str(t.get("zh") or "").strip():
                cell.source = str(t["zh"])
        elif cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(DEMO_EN, DEMO_ZH)
    nb.metadata.setdefault("dbmkit", {})
    nb.metadata["dbmkit"] = {**nb.metadata["dbmkit"], "language": "zh", "generated_from": f"notebooks/{file}.ipynb"}
    return nb


def build(write: bool = True, files: list[str] | None = None) -> list[str]:
    """Write (or, with ``write=False``, compare) every notebooks_zh/ file (or those of ``files``); returns the files
    that differ."""
    ZH_DIR.mkdir(exist_ok=True)
    stale = []
    for c in CHAPTERS:
        if files is not None and c.file not in files:
            continue
        text = nbformat.writes(build_notebook(c.file)) + "\n"
        path = ZH_DIR / f"{c.file}.ipynb"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path.name)
            if write:
                path.write_text(text, encoding="utf-8")
    extra = [] if files is not None else [p.name for p in ZH_DIR.glob("*.ipynb")
                                          if p.stem not in {c.file for c in CHAPTERS}]
    return stale + [f"{e} (no such chapter)" for e in extra]


def problems(files: list[str] | None = None) -> list[str]:
    """What ``check`` fails on, one line each (every chapter, or those of ``files``)."""
    out = []
    for c in CHAPTERS:
        if files is not None and c.file not in files:
            continue
        s = chapter_state(c.file)
        if s["missing"]:
            out.append(f"translations/zh/{c.file}.yaml: {len(s['missing'])} narrative cell(s) without Chinese "
                       f"({', '.join(s['missing'][:5])}{' …' if len(s['missing']) > 5 else ''}) — "
                       f"`python tools/translate.py todo {c.number}`, then write zh")
        if s["stale"]:
            out.append(f"translations/zh/{c.file}.yaml: the English of cell(s) {', '.join(s['stale'])} changed since "
                       f"they were translated — `python tools/translate.py todo {c.number}` shows the change; revise "
                       f"zh, then `python tools/translate.py stamp {c.number}`")
        if s["orphans"]:
            out.append(f"translations/zh/{c.file}.yaml: cell(s) {', '.join(s['orphans'])} are no longer in "
                       f"notebooks/{c.file}.ipynb — delete them from the file")
        if s.get("ending"):
            out.append(f"translations/zh/{c.file}.yaml: the Chinese chapter ending lacks {', '.join(s['ending'])}")
    stale = build(write=False, files=files)
    if stale:
        out.append(f"notebooks_zh/ is out of date ({', '.join(stale[:4])}{' …' if len(stale) > 4 else ''}) — "
                   "run `make notebooks-sync`")
    return out


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _todo(file: str) -> None:
    nb = read_en(file)
    tr = load_translation(file)
    order = [c.get("id") for c in nb.cells if is_narrative(c)]
    added = 0
    for cell in nb.cells:
        if not is_narrative(cell):
            continue
        cid = cell.get("id")
        t = tr.get(cid)
        if t is None:
            tr[cid] = {"en_sha": en_sha(cell.source), "en": cell.source, "zh": ""}
            added += 1
        elif str(t.get("en_sha")) != en_sha(cell.source) and str(t.get("zh") or "").strip():
            print(f"--- cell {cid}: the English changed since the translation (old → new):")
            for line in difflib.unified_diff(str(t.get("en", "")).splitlines(), cell.source.splitlines(),
                                             "translated from", "English now", lineterm=""):
                print(line)
    save_translation(file, tr, order)
    print(f"{_shown(tr_path(file))}: {added} cell(s) added with an empty zh")


def _stamp(file: str, ids: list[str]) -> None:
    nb = read_en(file)
    tr = load_translation(file)
    order = [c.get("id") for c in nb.cells if is_narrative(c)]
    n = 0
    for cell in nb.cells:
        cid = cell.get("id")
        if is_narrative(cell) and cid in tr and (not ids or cid in ids) and str(tr[cid].get("zh") or "").strip():
            if tr[cid].get("en_sha") != en_sha(cell.source):
                tr[cid].update(en_sha=en_sha(cell.source), en=cell.source)
                n += 1
    save_translation(file, tr, order)
    print(f"{_shown(tr_path(file))}: {n} cell(s) stamped as matching the current English")


def main(argv: list[str]) -> int:
    cmd, args = (argv[0], argv[1:]) if argv else ("status", [])
    if cmd == "status":
        for c in CHAPTERS:
            if args and c.number not in args and c.file not in args:
                continue
            s = chapter_state(c.file)
            print(f"{c.file:32s} translated {len(s['ok']):3d}  out of date {len(s['stale']):3d}  "
                  f"missing {len(s['missing']):3d}" + (f"  orphans {len(s['orphans'])}" if s["orphans"] else ""))
        return 0
    if cmd == "todo" and args:
        _todo(chapter_file(args[0]))
        return 0
    if cmd == "stamp" and args:
        _stamp(chapter_file(args[0]), args[1:])
        return 0
    if cmd == "build":
        changed = build()
        print(f"notebooks_zh/: {len(changed)} notebook(s) written")
        return 0
    if cmd == "check":
        found = problems()
        for p in found:
            print(p)
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
