"""The consultant's sub-commands of ``dbmkit``: ``new-client`` and ``batch``; and a client's own chapters
(:mod:`dbmkit.client_chapters`): ``new-chapter``, ``override-chapter``, ``chapters`` and ``test``."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from ..chapters import CHAPTERS
from ..overrides import parse_sets
from .batch import format_batch_table, run_batch
from .draft import new_client

__all__ = ["register_cli"]


def _cmd_new_client(a) -> int:
    try:
        path = new_client(a.name, a.files, directory=a.dir, force=a.force)
    except FileExistsError as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2
    print(f"[dbmkit] wrote {path}")
    for d in new_client.last_drafts:
        print(f"  {Path(d.path).name}: {d.table} ({d.table_why})")
        print(f"    format {d.info.get('format')}, encoding {d.info.get('encoding') or '–'}, delimiter "
              f"{d.info.get('delimiter')!r}, header row {d.info.get('header_row')}"
              + (", decimal comma" if d.decimal == "," else "") + (f", dates {d.date_format}" if d.date_format else ""))
        for g in d.guesses:
            print(f"    {g.canonical:<16} ← {g.column}")
        if d.unplaced:
            print("    not placed: " + ", ".join(c for c, _ in d.unplaced))
        for n in d.notes:
            print(f"    note: {n}")
    print(f"[dbmkit] next: check the guesses in {path}, then run  dbmkit check {path}")
    return 0


def _cmd_batch(a) -> int:
    sets = parse_sets(a.set)
    extra = ["--wait", str(a.wait)] if a.wait else []
    df = run_batch(a.configs, out=a.out, phases=a.phases, jobs=a.jobs, timeout=a.timeout,
                   workdir_root=a.workdir_root, overrides=sets or None, extra_args=extra)
    if not getattr(a, "quiet", False):
        print(format_batch_table(df))
    n_bad = int((df["status"] != "ok").sum())
    print(f"[dbmkit] {len(df) - n_bad} of {len(df)} client(s) ok" + (f", {n_bad} not: see the message column"
                                                                     if n_bad else ""))
    print(f"[dbmkit] summary: {Path(df.attrs['out']) / 'index.html'}")
    return 0 if n_bad == 0 else 1


def _fail(e: Exception) -> int:
    print(f"[dbmkit] error: {' '.join(str(e).split())}", file=sys.stderr)
    return 2


def _cmd_new_chapter(a) -> int:
    from .. import client_chapters as cc
    from ..config import load_config
    cfg = load_config(a.config)
    try:
        path = cc.new_chapter(cfg, a.number, a.title, title_zh=a.zh, name=a.name, force=a.force)
    except (ValueError, FileExistsError) as e:
        return _fail(e)
    print(f"[dbmkit] wrote {path}")
    if any(c.number == path.stem[:2] for c in CHAPTERS):
        print(f"[dbmkit] note: chapter {path.stem[:2]} is a standard chapter too; this one runs after it (to replace "
              f"the standard one, use  dbmkit override-chapter {a.config} {path.stem[:2]})")
    print(f"[dbmkit] next: open it in JupyterLab (jupyter lab {path}), write the chapter, then  dbmkit check "
          f"{a.config}  and  dbmkit test {a.config}")
    return 0


def _cmd_override_chapter(a) -> int:
    from .. import client_chapters as cc
    from ..config import load_config
    cfg = load_config(a.config)
    try:
        path = cc.override_chapter(cfg, a.chapter, force=a.force, rehash=a.rehash)
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        return _fail(e)
    std = cc.read_standard_record(path)
    if a.rehash:
        print(f"[dbmkit] {path}: recorded the standard {std['name']} as it is now (sha256 {std['sha256'][:12]}…)")
    else:
        print(f"[dbmkit] wrote {path}: a copy of the standard {std['name']} for {cfg.client} only "
              f"(sha256 {std['sha256'][:12]}… kept in its metadata)")
        print(f"[dbmkit] next: edit it in JupyterLab; `dbmkit chapters {a.config}` says when the standard changes")
    return 0


def _cmd_chapters(a) -> int:
    from .. import client_chapters as cc
    from ..config import load_config
    cfg = load_config(a.config)
    rows = cc.chapter_rows(cfg)
    print(cc.format_chapter_rows(rows, cfg))
    stale = [r["file"] for r in rows if r["state"] in ("standard changed", "standard missing")]
    return 1 if a.fail_on_drift and stale else 0


def _cmd_test(a) -> int:
    from .. import client_chapters as cc
    from ..overrides import load_with_sets
    cfg, sets = load_with_sets(a.config, a.set)
    own = [s for s in cc.resolve(cfg) if s.kind != "standard"]
    if not own:
        return _fail(ValueError(f"no client chapters to test in {cc.client_dir(cfg)} (the config's `notebooks:`, "
                                "default <config folder>/<client>/notebooks); write one with dbmkit new-chapter"))
    problems = cc.check_client(cfg)
    if problems:
        print(f"[dbmkit] {len(problems)} problem(s) in the client notebooks (fix them, then test again):")
        for p in problems:
            print(f"  {p}")
        return 1
    for s in own:                                     # an override whose standard moved on: say so, run it anyway
        if s.kind == "overridden" and (d := cc.drift(s))["state"] != "in step":
            print(f"[dbmkit] note: {s.file}: {d['message']}")
    wd = Path(a.workdir).resolve() if a.workdir else cfg.workdir_path()
    out = Path(a.out) if a.out else wd / "client-chapter-tests"
    if a.nbval:
        return _test_nbval(a, cfg, sets, own, wd, out)
    from ..report import run_report
    res = run_report(a.config, out=out, workdir=a.workdir, phases=[s.file for s in own], timeout=a.timeout,
                     overrides=sets or None, include_cases=True, wait=a.wait)
    failed = [r for r in res.runs if r.status == "failed"]
    print(f"\n[dbmkit] client chapters of {cfg.client}:")
    for r in res.runs:
        why = f": {r.message}" if r.message else ""
        print(f"  {r.status.upper():<8} {r.file} ({r.kind}) {r.seconds:.0f} s{why}")
    print(f"[dbmkit] {len(res.runs) - len(failed)} of {len(res.runs)} ran; executed notebooks in {out / 'notebooks'}")
    return 1 if failed else 0


def _test_nbval(a, cfg, sets, own, wd: Path, out: Path) -> int:
    """``dbmkit test --nbval``: the client's notebooks under ``pytest --nbval-lax``, as they are (their own
    ``config`` replaced by the config given through ``DBMKIT_CONFIG``), after building the database."""
    from ..client_workspace import Workspace
    from ..preflight import workdir_lock, writable_dir
    if importlib.util.find_spec("nbval") is None:
        return _fail(ValueError("nbval is not installed (pip install nbval, the `test` extra of dbmkit); or run "
                                "dbmkit test without --nbval (papermill)"))
    if sets:
        return _fail(ValueError("--set does not reach notebooks run by nbval (they run as saved); drop --nbval to "
                                "test with changed settings"))
    writable_dir(wd, "the work folder", "give --workdir a folder you can write to")
    out.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get("DBMKIT_WORKDIR")
    os.environ["DBMKIT_WORKDIR"] = str(wd)
    try:
        with workdir_lock(wd, wait=a.wait, command=f"dbmkit test {cfg.client}"):
            Workspace(cfg).ensure_built(progress=lambda m: print(f"[dbmkit] {m}", flush=True))
    finally:
        if saved is None:
            os.environ.pop("DBMKIT_WORKDIR", None)
        else:
            os.environ["DBMKIT_WORKDIR"] = saved
    env = dict(os.environ, DBMKIT_CONFIG=str(cfg.source_path), DBMKIT_WORKDIR=str(wd),
               DBMKIT_KPI_FILE=str(out / "kpis.json"), MPLBACKEND="Agg")
    env.pop("DBMKIT_REPORT_OUT", None)
    cmd = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider", "-q",
           f"--nbval-cell-timeout={a.timeout or cfg.report.timeout_per_notebook}", *[str(s.path) for s in own]]
    r = subprocess.run(cmd, env=env, cwd=str(own[0].path.parent))
    print(f"[dbmkit] nbval: {'every' if r.returncode == 0 else 'NOT every'} client chapter ran "
          f"({', '.join(s.file for s in own)})")
    return 0 if r.returncode == 0 else 1


def register_cli(sub) -> None:
    """Add ``new-client``, ``batch`` and the client-chapter commands to the ``dbmkit`` command."""
    n = sub.add_parser("new-client", help="draft a client config from the client's files")
    n.add_argument("name", help="short client name (letters, digits, - and _)")
    n.add_argument("files", nargs="+", help="the client's files (CSV/TSV, Excel, Parquet); at least one sales file")
    n.add_argument("--dir", default="clients", help="where to write NAME.yaml (default clients/)")
    n.add_argument("--force", action="store_true", help="overwrite an existing config")
    n.set_defaults(func=_cmd_new_client)
    b = sub.add_parser("batch", help="run the reports of several clients, each isolated; print a summary")
    b.add_argument("configs", nargs="+")
    b.add_argument("--out", help="folder for all reports (default reports/batch-<time>)")
    b.add_argument("--phases", nargs="*", help="phases or chapters to run for every client")
    b.add_argument("--jobs", type=int, default=1, help="clients run at once (default 1)")
    b.add_argument("--timeout", type=int, help="seconds per notebook")
    b.add_argument("--workdir-root", help="one work folder per client under this folder")
    b.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one config setting for every client, e.g. campaign.budget=5000 (repeatable)")
    b.add_argument("--wait", type=float, default=0, metavar="S",
                   help="a client whose work folder is busy waits up to S seconds")
    b.set_defaults(func=_cmd_batch)
    _register_chapter_commands(sub)


def _register_chapter_commands(sub) -> None:
    n = sub.add_parser("new-chapter", help="write a client chapter with the standard cells (client folder)")
    n.add_argument("config")
    n.add_argument("number", help="two digits: its place in the chapter order (35 runs after 31, before 40)")
    n.add_argument("title", help="the chapter's title in English, e.g. 'Loyalty programme review'")
    n.add_argument("--zh", help="the title in Chinese (shown in brackets)")
    n.add_argument("--name", help="file name NN_topic (default NN_<client>_<title words>)")
    n.add_argument("--force", action="store_true", help="overwrite an existing notebook")
    n.set_defaults(func=_cmd_new_chapter)
    o = sub.add_parser("override-chapter", help="copy a standard chapter into the client folder to edit it for "
                                                "this client only")
    o.add_argument("config")
    o.add_argument("chapter", help="number (21) or file name (21_analyze_rfm) of the standard chapter")
    g = o.add_mutually_exclusive_group()
    g.add_argument("--force", action="store_true", help="overwrite the client's copy")
    g.add_argument("--rehash", action="store_true",
                   help="after a re-merge: record the standard as it is now in the existing copy")
    o.set_defaults(func=_cmd_override_chapter)
    c = sub.add_parser("chapters", help="list the client's chapters: standard, overridden (in step with the "
                                        "standard or not) and added")
    c.add_argument("config")
    c.add_argument("--fail-on-drift", action="store_true",
                   help="exit 1 when the standard of an overridden chapter changed since it was copied")
    c.set_defaults(func=_cmd_chapters)
    t = sub.add_parser("test", help="check and run the client's own chapters (for CI)")
    t.add_argument("config")
    t.add_argument("--out", help="folder for the executed notebooks (default <workdir>/client-chapter-tests)")
    t.add_argument("--workdir", help="work folder for the database (default work/<client>)")
    t.add_argument("--set", action="append", metavar="KEY=VALUE", help="change one config setting for this run")
    t.add_argument("--timeout", type=int, help="seconds per notebook (nbval: per cell)")
    t.add_argument("--nbval", action="store_true", help="run them with pytest --nbval-lax instead of papermill")
    t.add_argument("--wait", type=float, default=0, metavar="S",
                   help="when another build runs on the work folder, wait up to S seconds")
    t.set_defaults(func=_cmd_test)
