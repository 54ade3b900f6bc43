"""A client's own chapters: notebooks in the client's folder that replace a standard chapter for this client only
(an *override*: same file name) or add one (a new name, placed by its number in the chapter order).

The folder is the config's ``notebooks:`` (relative to the config file), by default
``<config folder>/<client>/notebooks/`` (``clients/acme.yaml`` → ``clients/acme/notebooks/``). The standard chapters
are ``notebooks/`` of the workbook (or the folder named by ``DBMKIT_NOTEBOOKS``).

* :func:`resolve` — the client's ordered chapter list, each a :class:`ChapterSource` of kind ``standard``,
  ``overridden`` or ``added`` with the notebook that runs; :func:`select` picks from it like ``--phases``.
* :func:`source_hash` — SHA-256 of a notebook's cell types and sources (not outputs, not metadata, not the
  generated navigation cells), so stripping outputs or saving in JupyterLab does not change it. An override made by
  :func:`override_chapter` keeps the standard's hash in ``metadata.dbmkit.standard``; :func:`drift` compares it with
  the standard now ("in step" / "standard changed since copy — re-merge").
* :func:`check_notebook` / :func:`check_client` — the rules a client chapter must keep (parameters cell, no stored
  outputs, no absolute paths, only dbmkit's public names, the setup and provenance cells), each problem with the
  notebook, the cell and the fix.
* :func:`new_chapter` / :func:`override_chapter` — the scaffold of a new chapter with the standard cells, and the
  copy of a standard chapter; both stored without outputs, with the navigation of the client's chapter order.
"""
from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, messages, workbook
from . import chapters as _chapters
from .chapter_scaffold import NAV_WORDS, scaffold_cells
from .chapters import Chapter

__all__ = ["ChapterSource", "Problem", "standard_dir", "client_dir", "resolve", "select", "source_hash", "drift",
           "chapter_rows", "format_chapter_rows", "check_notebook", "check_client", "new_chapter",
           "override_chapter", "sync_navigation", "check_lines", "client_notebooks",
           "read_standard_record", "CHAPTER_NAME", "KINDS"]

KINDS = ("standard", "overridden", "added")
CHAPTER_NAME = re.compile(r"^(\d{2})_[A-Za-z0-9][A-Za-z0-9_\-]*$")   # NN_topic (file name without .ipynb)


def standard_dir(language: str | None = None) -> Path:
    """The standard chapters: ``DBMKIT_NOTEBOOKS`` or the workbook's ``notebooks/`` folder; for ``language="zh"``
    the Chinese edition beside it (``notebooks_zh/``, generated from the English notebooks and
    ``translations/zh/`` by ``make notebooks-sync``), the English folder when there is none."""
    env = os.environ.get("DBMKIT_NOTEBOOKS")
    base = Path(env) if env else workbook.root() / "notebooks"
    if language == "zh":
        zh = base.with_name(base.name + "_zh")
        if any(zh.glob("*.ipynb")):
            return zh
    return base


def client_dir(cfg) -> Path | None:
    """The folder of the client's own chapters (it need not exist): see ``ClientConfig.client_notebooks_path``."""
    return cfg.client_notebooks_path()


@dataclass(frozen=True)
class ChapterSource:
    """One chapter of a client's report: the chapter, its kind and the notebook that runs."""
    chapter: Chapter
    kind: str                          # standard | overridden | added
    path: Path                         # the notebook that runs (a standard one may be missing: the report says so)
    standard_path: Path | None = None  # the standard notebook (standard and overridden chapters)

    @property
    def file(self) -> str:
        return self.chapter.file


def _read(path: Path):
    import nbformat
    return nbformat.read(str(path), as_version=4)


def _is_nav(cell) -> bool:
    return "nav" in cell.get("metadata", {}).get("tags", [])


def _title_of(nb, file: str) -> tuple[str, str]:
    """(English, 中文) title from the title cell ``# NN · Title (中文)`` (or ``# NN · 中文（English）``); the file
    name's words without one (or without a readable notebook, ``nb`` None)."""
    for c in (nb.cells if nb is not None else []):
        if c.cell_type != "markdown" or _is_nav(c) or not c.source.startswith("# "):
            continue
        head = re.sub(r"^#\s+(\d{2}\s*·\s*)?", "", c.source.splitlines()[0]).strip()
        m = re.match(r"^(.*?)\s*[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]\s*$", head)
        if m:
            return m.group(1), m.group(2)
        # … or 中文（English）
        m = re.match(r"^(.*[\u4e00-\u9fff][^()（）]*?)\s*[(（]([^()（）\u4e00-\u9fff]+)[)）]\s*$", head)
        return (m.group(2), m.group(1)) if m else (head, head)
    words = file.split("_", 1)[1].replace("_", " ").replace("-", " ") if "_" in file else file
    return words, words


def _dbmkit_meta(nb) -> dict:
    meta = nb.get("metadata", {}).get("dbmkit", {})
    return dict(meta) if isinstance(meta, dict) else {}


def client_notebooks(cfg) -> list[Path]:
    """The client's notebooks (``*.ipynb`` directly in the client folder, sorted by name)."""
    d = client_dir(cfg)
    return sorted(p for p in d.glob("*.ipynb") if p.is_file()) if d and d.is_dir() else []


def resolve(cfg) -> list[ChapterSource]:
    """The client's chapters in order: the standard ones, those the client's folder overrides (same file name), and
    the client's added chapters placed by their number (after a standard chapter of the same number). Notebooks
    whose name is not ``NN_topic.ipynb`` are left out (``dbmkit check`` names them)."""
    std = standard_dir(getattr(cfg, "language", None))
    own = {p.stem: p for p in client_notebooks(cfg) if CHAPTER_NAME.match(p.stem)}
    out = []
    for ch in _chapters.CHAPTERS:
        path = own.pop(ch.file, None)
        out.append(ChapterSource(ch, "overridden" if path else "standard", path or std / f"{ch.file}.ipynb",
                                 std / f"{ch.file}.ipynb"))
    for file, path in own.items():
        try:
            nb = _read(path)
            title, title_zh = _title_of(nb, file)
            needs = tuple(k for k in _dbmkit_meta(nb).get("needs", []) or [] if k in _chapters.NEEDS)
        except Exception:  # noqa: BLE001 - an unreadable notebook still runs (and fails with its reason)
            (title, title_zh), needs = _title_of(None, file), ()
        out.append(ChapterSource(Chapter(file, title, title_zh, needs), "added", path))
    return sorted(out, key=lambda s: (int(s.chapter.number), s.kind == "added", s.file))


def select(sources: list[ChapterSource], phases: list[str] | None,
           include_cases: bool = False) -> list[ChapterSource]:
    """The chapters of ``sources`` matching ``phases`` (phase digits, chapter numbers, file names), as
    :func:`dbmkit.chapters.select`; raises ValueError when nothing matches."""
    chosen = _chapters.select(phases, include_cases=include_cases, chapters=[s.chapter for s in sources])
    files = {c.file for c in chosen}
    return [s for s in sources if s.file in files]


# ------------------------------------------------------------------------------------------------ hashes and drift
def source_hash(nb_or_path) -> str:
    """SHA-256 of a notebook's cells (type and source, in order), without outputs, metadata, cell ids and the
    generated navigation cells (tag ``nav``): what a consultant merges.

    >>> import nbformat
    >>> a = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", outputs=[])])
    >>> b = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", execution_count=3)])
    >>> source_hash(a) == source_hash(b)
    True
    """
    nb = _read(Path(nb_or_path)) if isinstance(nb_or_path, (str, os.PathLike)) else nb_or_path
    cells = [[c.cell_type, c.source] for c in nb.cells if not _is_nav(c)]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def drift(source: ChapterSource) -> dict:
    """For an overridden chapter: ``state`` "in step" (the standard is as it was when copied), "standard changed"
    (re-merge), "unknown" (the copy records no standard hash) or "standard missing"; ``edited`` whether the copy
    was changed since it was made (None when unknown); ``message`` in words. Other kinds: ``state`` "".
    """
    if source.kind != "overridden":
        return {"state": "", "edited": None, "message": ""}
    try:
        meta = _dbmkit_meta(_read(source.path))
        copy_now = source_hash(source.path)
    except Exception as e:  # noqa: BLE001
        return {"state": "unknown", "edited": None, "message": f"cannot read the copy: {e}"}
    std = meta.get("standard") if isinstance(meta.get("standard"), dict) else {}
    edited = (copy_now != meta["copy_sha256"]) if meta.get("copy_sha256") else None
    if not source.standard_path or not source.standard_path.exists():
        return {"state": "standard missing", "edited": edited,
                "message": "the standard chapter is no longer in the workbook: keep the copy as an added chapter "
                           "(give it a new name) or delete it"}
    if not std.get("sha256"):
        return {"state": "unknown", "edited": edited,
                "message": "the copy records no standard hash (metadata.dbmkit.standard): compare it with the "
                           "standard by hand, or copy it again with `dbmkit override-chapter` and re-apply the edits"}
    if std["sha256"] == source_hash(source.standard_path):
        return {"state": "in step", "edited": edited, "message": "in step with the standard"}
    return {"state": "standard changed", "edited": edited,
            "message": "standard changed since copy — re-merge (compare the copy with "
                       f"{source.standard_path.name} of the workbook, carry the changes over, then run "
                       "`dbmkit override-chapter --rehash`)"}


def read_standard_record(path: Path) -> dict:
    """``metadata.dbmkit.standard`` of a client's copy: {"name": the standard notebook, "sha256": its
    :func:`source_hash` when copied}; {} when the copy records none."""
    std = _dbmkit_meta(_read(Path(path))).get("standard")
    return dict(std) if isinstance(std, dict) else {}


def chapter_rows(cfg) -> list[dict]:
    """One row per chapter of the client (``dbmkit chapters``): number, file, title, kind, notebook, state, message,
    edited."""
    rows = []
    for s in resolve(cfg):
        d = drift(s)
        rows.append({"number": s.chapter.number, "file": s.file, "title": s.chapter.title, "kind": s.kind,
                     "notebook": str(s.path), "state": d["state"], "edited": d["edited"], "message": d["message"]})
    return rows


def format_chapter_rows(rows: list[dict], cfg, lang: str | None = None) -> str:
    """The table ``dbmkit chapters`` prints, in ``lang`` (default: the config's language)."""
    lang = lang or messages.language(cfg)

    def say(key, **kw):
        return messages.msg(key, lang, **kw)
    d = client_dir(cfg)
    std = standard_dir(getattr(cfg, "language", None))
    edition = say("edition.zh" if std.name.endswith("_zh") else "edition.en")
    lines = [say("chapters.head", client=cfg.client, std=std, edition=edition, own=d if d else say("chapters.no_file"),
                 missing="" if d and d.is_dir() else say("chapters.no_folder"))]
    width = 11 if lang != "zh" else 6
    for r in rows:
        where = "" if r["kind"] == "standard" else f"  {r['notebook']}"
        kind = say(f"kind.{r['kind']}")
        lines.append(f"  {r['number']}  {r['file']:<34} {kind:<{width}}{where}".rstrip())
        if r["kind"] == "overridden":
            ed = {True: say("chapters.edited"), False: say("chapters.unchanged"), None: ""}[r["edited"]]
            lines.append(f"        {messages.chapter_text(r['message'], lang)}{ed}")
    n = {k: sum(r["kind"] == k for r in rows) for k in KINDS}
    lines.append(say("chapters.totals", **n))
    ignored = [p.name for p in client_notebooks(cfg) if not CHAPTER_NAME.match(p.stem)]
    if ignored:
        lines.append(say("chapters.ignored", names=say("check.sep").join(ignored)))
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------ the checks
@dataclass
class Problem:
    """A rule a client notebook breaks: the notebook, the cells (1-based, as JupyterLab counts them), what and fix."""
    notebook: str
    what: str
    fix: str
    cells: tuple = field(default_factory=tuple)

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: str = "en") -> str:
        """The problem as ``dbmkit check`` and ``dbmkit test`` print it, in ``lang`` (``str()`` is the English)."""
        where = ""
        if self.cells:
            sep = messages.msg("own.cells_sep", lang)
            where = (messages.msg("own.cell", lang, cell=self.cells[0]) if len(self.cells) == 1 else
                     messages.msg("own.cells", lang, cells=sep.join(str(c) for c in self.cells[:8])
                                  + (" …" if len(self.cells) > 8 else "")))
        return messages.msg("own.problem", lang, notebook=self.notebook, where=where,
                            what=messages.chapter_text(self.what, lang), fix=messages.chapter_text(self.fix, lang))


# absolute paths in code: Unix homes and system folders, Windows drives and shares, a home folder (~/)
ABS_PATH = re.compile(r"(?:^|[\s\"'=(,;:])(?:[A-Za-z]:[\\/]|\\\\[\w.$-]+\\|~[\\/]|"
                      r"/(?:home|Users|tmp|var|mnt|media|opt|srv|root|data|private|Volumes|usr|etc|work)(?:/|$))")
PRIVATE_FIX = "use the public names (`dbm.rfm.…`, `dbm.plots.…`: those in the module's documentation and __all__)"


def _python(src: str) -> str:
    """A cell's source as Python (IPython magics and shell lines turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(src)
    except Exception:  # noqa: BLE001
        return src


def _public_in(module: str, name: str) -> str | None:
    """Why ``name`` is not a public name of dbmkit module ``module`` (None when it is)."""
    if name.startswith("_"):
        return f"`{name}` is private (its name starts with _)"
    if _is_package(module) and importlib.util.find_spec(f"{module}.{name}"):
        return None                                   # a sub-module
    try:
        mod = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - cannot tell; the run will say
        return None
    public = getattr(mod, "__all__", None)
    if public is not None and name not in public and module != "dbmkit":
        return f"`{name}` is not a public name of {module} (not in its __all__)"
    if not hasattr(mod, name):
        return f"{module} has no `{name}`"
    return None


def _is_package(module: str) -> bool:
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return False
    return bool(spec and spec.submodule_search_locations)


def _module_problem(module: str) -> str | None:
    parts = module.split(".")
    if any(p.startswith("_") for p in parts):
        return f"`{module}` is a private module"
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    return None if found else f"dbmkit has no module `{module}`"


def _dbmkit_names(tree) -> set[str]:
    """The names an import binds to dbmkit or one of its modules (``dbm`` of ``import dbmkit as dbm`` …)."""
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.asname or a.name.split(".")[0] for a in node.names
                      if a.name == "dbmkit" or a.name.startswith("dbmkit.")}
        elif isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "dbmkit":
            roots |= {a.asname or a.name for a in node.names if a.name != "*"}
    return roots


def _import_problems(tree, roots: set[str]) -> list[str]:
    """Imports of dbmkit's private names or of names it does not have, and ``dbm._x`` attribute uses (``roots``:
    the names bound to dbmkit anywhere in the notebook)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "dbmkit" or a.name.startswith("dbmkit."):
                    if (why := _module_problem(a.name)):
                        out.append(why)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level == 0 and not (mod == "dbmkit" or mod.startswith("dbmkit.")):
                continue
            if node.level:
                out.append("a relative import (`from .x import …`) does not work in a notebook")
                continue
            if (why := _module_problem(mod)):
                out.append(why)
                continue
            for a in node.names:
                if a.name == "*":
                    out.append(f"`from {mod} import *` hides which names the chapter uses")
                elif (why := _public_in(mod, a.name)):
                    out.append(why)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in roots:
                out.append(f"`{ast.unparse(node)}` uses a private name of dbmkit")
    return list(dict.fromkeys(out))


def _strings(tree) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def check_notebook(path: Path) -> list[Problem]:
    """The problems of one client notebook (empty when it keeps every rule): its name, the parameters cell, stored
    outputs, absolute paths in code, imports of dbmkit's private names, the setup and provenance cells, and the
    needs it declares in ``metadata.dbmkit.needs``."""
    path = Path(path)
    name = path.name
    out: list[Problem] = []
    if not CHAPTER_NAME.match(path.stem):
        out.append(Problem(name, "the name is not a chapter name (two digits, then a topic)",
                           "rename it NN_topic.ipynb, e.g. 35_acme_loyalty.ipynb: the number places it in the "
                           "chapter order; a standard chapter's name replaces that chapter"))
    try:
        nb = _read(path)
    except Exception as e:  # noqa: BLE001
        why = " ".join(str(e).split())[:120]
        return out + [Problem(name, f"cannot be read as a notebook ({type(e).__name__}: {why})",
                              "open it in JupyterLab and save it again, or restore it from version control")]
    cells = list(enumerate(nb.cells, start=1))
    code = [(i, c) for i, c in cells if c.cell_type == "code"]
    params = [(i, c) for i, c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    fix_params = ("make the first code cell `config = \"../../<client>.yaml\"` and `overrides = None` and give it the "
                  "tag `parameters` (JupyterLab: the property inspector, Cell Tags), as `dbmkit new-chapter` writes it")
    if not params:
        out.append(Problem(name, "no parameters cell (a code cell tagged `parameters`): the report cannot pass the "
                                 "client's config and settings", fix_params))
    elif len(params) > 1:
        out.append(Problem(name, "more than one cell is tagged `parameters`", "keep the tag on one cell",
                           tuple(i for i, _ in params)))
    else:
        i, c = params[0]
        missing = [v for v in ("config", "overrides") if not re.search(rf"^{v}\s*=", c.source, re.M)]
        if missing:
            out.append(Problem(name, "the parameters cell does not set " + " and ".join(f"`{v}`" for v in missing),
                               fix_params, (i,)))
        for ln in c.source.splitlines():
            if "#" in ln and "=" in ln.split("#", 1)[1]:
                out.append(Problem(name, f"papermill cannot read a parameter whose comment contains '=': {ln!r}",
                                   "reword the comment without '='", (i,)))
    with_out = tuple(i for i, c in code if c.get("outputs") or c.get("execution_count"))
    if with_out:
        out.append(Problem(name, "stored with outputs (results, and possibly customer data, would go into the "
                                 "client folder and its version control)",
                           f"clear them: `nbstripout {name}` or JupyterLab Edit → Clear Outputs of All Cells, then "
                           "save", with_out))
    abs_cells, private, broken, trees = [], {}, [], []
    for i, c in code:
        try:
            trees.append((i, ast.parse(_python(c.source))))
        except SyntaxError as e:
            broken.append((i, e))
    roots = set().union(*(_dbmkit_names(tree) for _, tree in trees))
    for i, tree in trees:
        if any(ABS_PATH.search(s) for s in _strings(tree)):
            abs_cells.append(i)
        for why in _import_problems(tree, roots):
            private.setdefault(why, []).append(i)
    for i, e in broken:
        out.append(Problem(name, f"the code does not parse (line {e.lineno}: {e.msg})", "correct the cell", (i,)))
    if abs_cells:
        out.append(Problem(name, "an absolute path in the code (it works on one computer only)",
                           "give paths relative to the config file and resolve them with `ws.cfg.resolve(\"data/"
                           "file.csv\")`, or add the file as a source in the config", tuple(abs_cells)))
    for why, where in private.items():
        out.append(Problem(name, f"imports or uses a name dbmkit does not offer: {why}", PRIVATE_FIX, tuple(where)))
    setup = ("workspace(config, overrides=overrides)", "load_config(config, overrides=overrides)")
    if code and not any(s in c.source for _, c in code for s in setup):
        out.append(Problem(name, "no setup cell passing the report's settings",
                           "open the workspace with `ws = dbm.workspace(config, overrides=overrides)`"))
    if code and "provenance(" not in code[-1][1].source:
        out.append(Problem(name, "the last code cell does not show the provenance",
                           "end the chapter with a code cell `dbm.provenance(ws)`", (code[-1][0],)))
    if not code:
        out.append(Problem(name, "the notebook has no code cells", "start from `dbmkit new-chapter`"))
    needs = _dbmkit_meta(nb).get("needs", []) or []
    unknown = [k for k in needs if k not in _chapters.NEEDS] if isinstance(needs, list) else [str(needs)]
    if unknown:
        out.append(Problem(name, f"metadata.dbmkit.needs names unknown inputs: {', '.join(map(str, unknown))}",
                           "use keys of dbmkit.chapters.NEEDS: " + ", ".join(_chapters.NEEDS)))
    return out


def check_client(cfg) -> list[Problem]:
    """The problems of every notebook in the client's folder."""
    return [p for path in client_notebooks(cfg) for p in check_notebook(path)]


# ---------------------------------------------------------------------------------------------------- the scaffold
def _rel(target: Path, start: Path) -> str:
    try:
        return Path(os.path.relpath(target, start)).as_posix()
    except ValueError:          # another drive (Windows): the name only
        return target.name


def _nav_markdown(sources: list[ChapterSource], file: str, here: Path, bottom: bool = False,
                  lang: str = "en") -> str:
    seq = [s for s in sources if (s.chapter.phase == "9") == (file.split("_")[0][0] == "9")]
    i = [s.file for s in seq].index(file)
    prev, nxt = (seq[i - 1] if i > 0 else None), (seq[i + 1] if i + 1 < len(seq) else None)
    link = {s.file: _rel(s.path, here) for s in sources}
    start = next((s for s in sources if s.file == "00_start_here"), None)
    first, index, end = NAV_WORDS["zh" if lang == "zh" else "en"]

    def title(s: ChapterSource) -> str:
        return s.chapter.title_zh if lang == "zh" else s.chapter.title
    parts = [f"[← {prev.chapter.number} {title(prev)}]({link[prev.file]})" if prev else first]
    if start:
        parts.append(f"[{index}]({link[start.file]}#Chapters)")
    parts.append(f"[{nxt.chapter.number} {title(nxt)} →]({link[nxt.file]})" if nxt else end)
    return ("---\n" if bottom else "") + " · ".join(parts)


def sync_navigation(cfg) -> list[Path]:
    """Rewrite the navigation cells (tag ``nav``, first and last) of the client's chapters for the client's chapter
    order, links relative to the client folder, words and titles in the client's language; other cells are left as
    they are. Returns the notebooks changed."""
    import nbformat
    sources = resolve(cfg)
    lang = getattr(cfg, "language", None) or "en"
    changed = []
    for s in sources:
        if s.kind == "standard":
            continue
        try:
            nb = _read(s.path)
        except Exception:  # noqa: BLE001 - an unreadable notebook is left as it is (`dbmkit check` names it)
            continue
        before = nbformat.writes(nb)
        cells = [c for c in nb.cells if not _is_nav(c)]
        here = s.path.parent
        nb.cells = ([nbformat.v4.new_markdown_cell(_nav_markdown(sources, s.file, here, lang=lang),
                                                   metadata={"tags": ["nav"]})]
                    + cells + [nbformat.v4.new_markdown_cell(_nav_markdown(sources, s.file, here, True, lang),
                                                             metadata={"tags": ["nav"]})])
        for k, c in enumerate(nb.cells):
            c["id"] = f"{s.file[:2]}-{k:03d}"
        if nbformat.writes(nb) != before:
            nbformat.write(nb, str(s.path))
            changed.append(s.path)
    return changed


def _target(cfg, file: str, force: bool) -> Path:
    d = client_dir(cfg)
    if d is None:
        raise ValueError("the config has no file, so its client folder is unknown: give `notebooks:` in the config")
    path = d / f"{file}.ipynb"
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; give --force to overwrite it")
    d.mkdir(parents=True, exist_ok=True)
    return path


def _config_line(cfg, here: Path) -> str:
    rel = f'"{_rel(Path(cfg.source_path), here)}"' if cfg.source_path else "None"
    return f"config = {rel}".ljust(34) + "# the client config (papermill replaces this for report runs)"


OVERRIDES_LINE = ("overrides = None".ljust(34)
                  + '# changed settings, e.g. {"campaign.budget": 5000} (dbmkit report --set)')


def _write(nb, path: Path) -> None:
    import nbformat
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
            c.metadata.pop("execution", None)
            c.metadata.pop("papermill", None)
    nb.metadata.pop("papermill", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(path))


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "_".join(words)[:40].strip("_")


def new_chapter(cfg, number: str | int, title: str, title_zh: str | None = None, name: str | None = None,
                force: bool = False) -> Path:
    """Write a client chapter ``<client folder>/NN_<client>_<title words>.ipynb`` (or ``name``) with the standard
    cells: navigation, title and objectives, parameters, setup through ``dbm.workspace``, one example query and chart,
    "what this means for the marketer", provenance — without outputs, ready to open in JupyterLab; in Chinese for a
    Chinese client (:func:`dbmkit.chapter_scaffold.scaffold_cells`). Returns its path.
    """
    import nbformat
    num = f"{int(number):02d}" if str(number).strip().isdigit() else str(number)
    if not re.fullmatch(r"\d{2}", num):
        raise ValueError(f"chapter number {number!r}: give two digits, 00–99 (the place in the chapter order)")
    file = name[:-6] if name and name.endswith(".ipynb") else name
    file = file or f"{num}_{_slug(cfg.client)}_{_slug(title) or 'chapter'}".rstrip("_")
    if not CHAPTER_NAME.match(file) or not file.startswith(num + "_"):
        raise ValueError(f"chapter name {file!r}: write it {num}_topic (letters, digits, _ and -)")
    path = _target(cfg, file, force)
    cells = scaffold_cells(num, title, title_zh, cfg.title or cfg.client, _config_line(cfg, path.parent),
                           OVERRIDES_LINE, getattr(cfg, "language", None) or "en")
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["dbmkit"] = {"kind": "added", "needs": [], "made_by": f"dbmkit new-chapter ({__version__})"}
    _write(nb, path)
    sync_navigation(cfg)
    return path


def _standard_source(chapter: str, language: str | None = None) -> ChapterSource:
    try:
        chosen = _chapters.select([str(chapter)], include_cases=True)
    except ValueError:
        chosen = []
    if len(chosen) != 1:
        raise ValueError(f"no single standard chapter {chapter!r}; give its number (21) or file name "
                         f"(21_analyze_rfm); chapters: {', '.join(c.number for c in _chapters.CHAPTERS)}")
    ch = chosen[0]
    path = standard_dir(language) / f"{ch.file}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"the standard notebook {path} is missing")
    return ChapterSource(ch, "standard", path, path)


def override_chapter(cfg, chapter: str | int, force: bool = False, rehash: bool = False) -> Path:
    """Copy the standard chapter (number or file name) into the client folder, without outputs, its default
    ``config`` pointing at the client's config, and the standard's hash in ``metadata.dbmkit.standard`` ({name,
    sha256}), so :func:`drift` can tell when the standard changes. ``rehash``: after a re-merge, record the
    standard's current hash in the existing copy instead of copying. Returns the copy's path."""
    std = _standard_source(str(chapter), getattr(cfg, "language", None))   # the edition the client runs
    d = client_dir(cfg)
    if rehash:
        path = (d / f"{std.file}.ipynb") if d else None
        if not path or not path.exists():
            raise FileNotFoundError(f"no override {std.file}.ipynb in the client folder {d}")
        nb = _read(path)
    else:
        path = _target(cfg, std.file, force)
        nb = _read(std.path)
        for c in nb.cells:
            if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", []):
                c.source = re.sub(r"^config\s*=.*$", _config_line(cfg, path.parent), c.source, count=1, flags=re.M)
    meta = _dbmkit_meta(nb)
    meta.update({"kind": "overridden", "standard": {"name": f"{std.file}.ipynb", "sha256": source_hash(std.path)},
                 "made_by": f"dbmkit override-chapter ({__version__})"})
    if not (rehash and meta.get("copy_sha256")):      # the copy as made: `drift` tells whether it was edited
        meta["copy_sha256"] = source_hash(nb)
    nb.metadata["dbmkit"] = meta
    _write(nb, path)
    sync_navigation(cfg)
    return path


def check_lines(cfg, ws=None, lang: str | None = None) -> tuple[list[str], bool]:
    """The client-chapter section of ``dbmkit check``: the client's overridden and added chapters, overrides whose
    standard changed, added chapters the report will skip (their ``metadata.dbmkit.needs`` unmet in the workspace
    ``ws``), and every problem of its notebooks (notebook, cell, fix). Returns (lines, ok); ok is False when a client
    notebook breaks a rule. ``lang``: the language of the lines (default: the config's)."""
    lang = lang or messages.language(cfg)

    def say(key, **kw):
        return messages.msg(key, lang, **kw)
    d = client_dir(cfg)
    paths = client_notebooks(cfg)
    if not paths:                 # nothing to say (`dbmkit chapters` names the folder they would be in)
        return [], True
    own = [s for s in resolve(cfg) if s.kind != "standard"]
    lines = [say("own.head", folder=d, chapters=say("own.sep").join(
        say("own.item", file=s.file, kind=say(f"kind.{s.kind}")) for s in own) if own else say("own.none"))]
    for s in own:
        d_ = drift(s)
        if s.kind == "overridden" and d_["state"] != "in step":
            lines.append(say("own.note", file=s.file, text=messages.chapter_text(d_["message"], lang)))
        if s.kind == "added" and s.chapter.needs and ws is not None:
            with ws.connect() as con:
                missing = _chapters.missing_inputs(s.chapter, con)
            if missing:
                lines.append(say("own.skip", file=s.file, what=say("check.and").join(
                    n.what_zh if lang == "zh" else n.what for _, n in missing)))
    problems = check_client(cfg)
    if problems:
        lines.append(say("own.problems", n=len(problems)))
        lines += [f"  {p.text(lang)}" for p in problems]
    else:
        lines.append(say("own.ok"))
    return lines, not problems
