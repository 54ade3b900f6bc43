"""Where the workbook's files are — the chapters (``notebooks/``, ``notebooks_zh/``), the client configs
(``clients/``), the bundled real data (``data/``) and the documents (``docs/``) — and ``dbmkit init``, which writes
them into a folder of the user's own.

The workbook folder is, in this order:

1. ``DBMKIT_WORKBOOK`` (a folder made by ``dbmkit init``);
2. the current folder or one of its parents, when it holds ``notebooks/00_start_here.ipynb`` (working inside a
   workbook folder or the repository);
3. the repository this package runs from (a source checkout);
4. the copy inside the installed package (``dbmkit/workbook_files``, put there by ``make dist``).

``DBMKIT_NOTEBOOKS`` and ``DBMKIT_DATA_DIR`` still point at a single folder of chapters or data.

>>> (root() / "notebooks" / "00_start_here.ipynb").exists()
True
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["root", "packaged_root", "init_workbook", "InitError", "PARTS", "MARKER"]

MARKER = Path("notebooks") / "00_start_here.ipynb"
PARTS = ("notebooks", "notebooks_zh", "clients", "data", "docs")      # what a workbook folder holds
PACKAGED = "workbook_files"
IGNORE = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc")


class InitError(RuntimeError):
    """``dbmkit init`` cannot write the folder (with the fix)."""


def packaged_root() -> Path:
    """The workbook copy inside the installed package (it exists only in a wheel built by ``make dist``)."""
    return Path(__file__).resolve().parent / PACKAGED


def _is_workbook(folder: Path) -> bool:
    return (folder / MARKER).is_file()


def root() -> Path:
    """The workbook folder in use (see the module docstring for the order)."""
    env = os.environ.get("DBMKIT_WORKBOOK")
    if env:
        return Path(env).expanduser().resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if _is_workbook(folder):
            return folder
    checkout = Path(__file__).resolve().parents[1]
    if _is_workbook(checkout):
        return checkout
    return packaged_root()


_README = """# {title}

A database-marketing workbook folder written by `dbmkit init` (dbmkit {version}).

* `notebooks/` — the chapters (English), `notebooks_zh/` — 中文版;
* `clients/` — client configs: `{client}.yaml` is the one to start with (copy it for a client of your own: see
  `docs/CONFIG.md`);
* `data/` — the real data of the case studies (with its sources and licences in `data/README.md`);
* `docs/` — the glossary, the config reference, the data model, notes for students.

Run from this folder:

```bash
dbmkit report clients/{client}.yaml        # the HTML report → reports/{client}/index.html
dbmkit lab clients/{client}.yaml           # JupyterLab on the chapters, every chapter on this client
dbmkit check clients/{client}.yaml         # the data checks only
```

Reports go to `reports/<client>/` and the client databases to `work/<client>/` in this folder.
"""


def init_workbook(dest: str | os.PathLike, client: str = "demo", force: bool = False) -> Path:
    """Write a self-contained workbook folder at ``dest``: the chapters in both languages, every client config, the
    bundled data, the documents and a README naming ``client`` (a config in ``clients/``) as the one to start with.
    Refuses a folder that already holds files unless ``force`` (existing workbook files are then replaced; nothing
    else is touched). Returns the folder.
    """
    from . import __version__
    src = root()
    dest = Path(dest).expanduser().resolve()
    if not (src / "clients" / f"{client}.yaml").is_file():
        known = sorted(p.stem for p in (src / "clients").glob("*.yaml"))
        raise InitError(f"no client config {client!r} in the workbook; choose one of: {', '.join(known)}")
    if dest.exists() and not dest.is_dir():
        raise InitError(f"{dest} is a file — give a folder name")
    if dest.exists() and any(dest.iterdir()) and not force:
        raise InitError(f"{dest} is not empty — choose a new folder, or add --force to replace the workbook files "
                        "in it")
    if src == dest:
        raise InitError(f"{dest} is the workbook itself")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for part in PARTS:
            if not (src / part).is_dir():
                continue
            target = dest / part
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(src / part, target, ignore=IGNORE)
        title = "数据库营销工作手册" if client.endswith("_zh") else "Database marketing workbook"
        (dest / "README.md").write_text(_README.format(title=title, version=__version__, client=client),
                                        encoding="utf-8")
    except OSError as e:
        raise InitError(f"cannot write the workbook folder {dest}: {e.strerror or e}") from None
    return dest


def _cmd_init(a) -> int:
    import sys

    from . import messages
    lang = "zh" if a.client.endswith("_zh") else messages.language()     # the Chinese demo: Chinese lines
    try:
        dest = init_workbook(a.dir, client=a.client, force=a.force)
    except InitError as e:
        print("[dbmkit] " + messages.msg("error", lang, text=messages.error_text(e, lang)), file=sys.stderr)
        return 2
    print("[dbmkit] " + messages.msg("init.written", lang, dest=dest) + "\n"
          "[dbmkit] " + messages.msg("init.next", lang, dest=dest, client=a.client))
    return 0


def register_cli(sub) -> None:
    """The ``init`` command."""
    p = sub.add_parser("init", help="write a workbook folder of your own (chapters, clients, data, docs)",
                       description="Write a self-contained workbook folder — the chapters in English and Chinese, the "
                                   "client configs, the bundled real data, the documents and a README — from which "
                                   "`dbmkit report`, `dbmkit lab` and JupyterLab work; reports and databases go "
                                   "beside it (reports/, work/).")
    p.add_argument("dir", help="a new (or empty) folder")
    p.add_argument("--client", default="demo", help="the client config to start with (demo, demo_zh, cdnow, "
                                                    "complete_journey; default demo)")
    p.add_argument("--force", action="store_true", help="replace the workbook files in a folder that is not empty")
    p.set_defaults(func=_cmd_init)
