"""The consultant's sub-commands of ``dbmkit``: ``new-client`` and ``batch``; and a client's own chapters
(:mod:`dbmkit.client_chapters`): ``new-chapter``, ``override-chapter``, ``chapters`` and ``test``."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from .. import messages
from ..chapters import CHAPTERS
from ..overrides import parse_sets
from .batch import batch_language, format_batch_table, run_batch
from .draft import new_client

__all__ = ["register_cli"]


def _cmd_new_client(a) -> int:
    lang = messages.language()            # no config yet: DBMKIT_LANGUAGE
    try:
        path = new_client(a.name, a.files, directory=a.dir, force=a.force, lang=lang)
    except FileExistsError as e:
        print("[dbmkit] " + messages.msg("error", lang, text=messages.error_text(e, lang)), file=sys.stderr)
        return 2

    def say(key, **kw):
        return messages.msg(key, lang, **kw)
    print("[dbmkit] " + say("nc.wrote", path=path))
    for d in new_client.last_drafts:
        print(say("nc.source", file=Path(d.path).name, table=d.table, why=messages.draft_text(d.table_why, lang)))
        print(say("nc.read", fmt=d.info.get("format"), enc=d.info.get("encoding") or "–", dlm=d.info.get("delimiter"),
                  header=d.info.get("header_row"))
              + (say("nc.decimal_comma") if d.decimal == "," else "")
              + (say("nc.dates", fmt=d.date_format) if d.date_format else ""))
        for g in d.guesses:
            print(f"    {g.canonical:<16} ← {g.column}")
        if d.unplaced:
            print(say("nc.not_placed", columns=say("check.sep").join(c for c, _ in d.unplaced)))
        for n in d.notes:
            print(say("nc.note", text=messages.draft_text(n, lang)))
    print("[dbmkit] " + say("nc.next", path=path))
    return 0


def _cmd_batch(a) -> int:
    sets = parse_sets(a.set)
    extra = ["--wait", str(a.wait)] if a.wait else []
    lang = batch_language(a.configs)
    df = run_batch(a.configs, out=a.out, phases=a.phases, jobs=a.jobs, timeout=a.timeout,
                   workdir_root=a.workdir_root, overrides=sets or None, extra_args=extra, lang=lang)
    if not getattr(a, "quiet", False):
        print(format_batch_table(df, lang))
    n_bad = int((df["status"] != "ok").sum())
    print("[dbmkit] " + messages.msg("batch.ok", lang, ok=len(df) - n_bad, n=len(df))
          + (messages.msg("batch.not_ok", lang, bad=n_bad) if n_bad else ""))
    print("[dbmkit] " + messages.msg("batch.summary", lang, path=Path(df.attrs['out']) / 'index.html'))
    return 0 if n_bad == 0 else 1


def _fail(e: Exception, lang: str = "en") -> int:
    text = " ".join(str(e).split())
    print("[dbmkit] " + messages.msg("error", lang, text=messages.error_text(text, lang)), file=sys.stderr)
    return 2


def _cmd_new_chapter(a) -> int:
    from .. import client_chapters as cc
    from ..config import load_config
    cfg = load_config(a.config)
    lang = messages.language(cfg)
    try:
        path = cc.new_chapter(cfg, a.number, a.title, title_zh=a.zh, name=a.name, force=a.force)
    except (ValueError, FileExistsError) as e:
        return _fail(e, lang)
    print("[dbmkit] " + messages.msg("chapter.wrote", lang, path=path))
    if any(c.number == path.stem[:2] for c in CHAPTERS):
        print("[dbmkit] " + messages.msg("chapter.also_standard", lang, number=path.stem[:2], config=a.config))
    print("[dbmkit] " + messages.msg("chapter.next", lang, path=path, config=a.config))
    return 0


def _cmd_override_chapter(a) -> int:
    from .. import client_chapters as cc
    from ..config import load_config
    cfg = load_config(a.config)
    lang = messages.language(cfg)
    try:
        path = cc.override_chapter(cfg, a.chapter, force=a.force, rehash=a.rehash)
    except (ValueError, FileExistsError, FileNotFoundError) as e:
        return _fail(e, lang)
    std = cc.read_standard_record(path)
    if a.rehash:
        print("[dbmkit] " + messages.msg("override.rehashed", lang, path=path, name=std["name"],
                                         sha=std["sha256"][:12]))
    else:
        print("[dbmkit] " + messages.msg("override.wrote", lang, path=path, name=std["name"], client=cfg.client,
                                         sha=std["sha256"][:12]))
        print("[dbmkit] " + messages.msg("override.next", lang, config=a.config))
    return 0


def _cmd_chapters(a) -> int:
    from .. import client_chapters as cc
    from ..config import load_config
    cfg = load_config(a.config)
    rows = cc.chapter_rows(cfg)
    print(cc.format_chapter_rows(rows, cfg, messages.language(cfg)))
    stale = [r["file"] for r in rows if r["state"] in ("standard changed", "standard missing")]
    return 1 if a.fail_on_drift and stale else 0


def _cmd_test(a) -> int:
    from .. import client_chapters as cc
    from ..overrides import load_with_sets
    cfg, sets = load_with_sets(a.config, a.set)
    lang = messages.language(cfg)
    own = [s for s in cc.resolve(cfg) if s.kind != "standard"]
    if not own:
        return _fail(ValueError(messages.msg("test.none", lang, folder=cc.client_dir(cfg))), lang)
    problems = cc.check_client(cfg)
    if problems:
        print("[dbmkit] " + messages.msg("test.problems", lang, n=len(problems)))
        for p in problems:
            print(f"  {p.text(lang)}")
        return 1
    for s in own:                                     # an override whose standard moved on: say so, run it anyway
        if s.kind == "overridden" and (d := cc.drift(s))["state"] != "in step":
            print("[dbmkit] " + messages.msg("test.note", lang, file=s.file,
                                             text=messages.chapter_text(d["message"], lang)))
    wd = Path(a.workdir).resolve() if a.workdir else cfg.workdir_path()
    out = Path(a.out) if a.out else wd / "client-chapter-tests"
    if a.nbval:
        return _test_nbval(a, cfg, sets, own, wd, out, lang)
    from ..report import run_report
    res = run_report(a.config, out=out, workdir=a.workdir, phases=[s.file for s in own], timeout=a.timeout,
                     overrides=sets or None, include_cases=True, wait=a.wait)
    failed = [r for r in res.runs if r.status == "failed"]
    print("\n[dbmkit] " + messages.msg("test.head", lang, client=cfg.client))
    for r in res.runs:
        why = messages.msg("test.why", lang, message=r.message) if r.message else ""
        status = messages.msg(f"test.status_{r.status}", lang) if f"test.status_{r.status}" in messages.MESSAGES \
            else r.status.upper()
        kind = messages.msg(f"kind.{r.kind}", lang) if f"kind.{r.kind}" in messages.MESSAGES else r.kind
        print(messages.msg("test.line", lang, status=status, file=r.file, kind=kind, seconds=r.seconds, why=why))
    print("[dbmkit] " + messages.msg("test.ran", lang, ok=len(res.runs) - len(failed), n=len(res.runs),
                                     path=out / "notebooks"))
    return 1 if failed else 0


def _test_nbval(a, cfg, sets, own, wd: Path, out: Path, lang: str = "en") -> int:
    """``dbmkit test --nbval``: the client's notebooks under ``pytest --nbval-lax``, as they are (their own
    ``config`` replaced by the config given through ``DBMKIT_CONFIG``), after building the database."""
    from ..client_workspace import Workspace
    from ..preflight import workdir_lock, writable_dir
    if importlib.util.find_spec("nbval") is None:
        return _fail(ValueError(messages.msg("test.no_nbval", lang)), lang)
    if sets:
        return _fail(ValueError(messages.msg("test.nbval_set", lang)), lang)
    writable_dir(wd, "the work folder", "give --workdir a folder you can write to")
    out.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get("DBMKIT_WORKDIR")
    os.environ["DBMKIT_WORKDIR"] = str(wd)
    try:
        with workdir_lock(wd, wait=a.wait, command=f"dbmkit test {cfg.client}"):
            Workspace(cfg).ensure_built(progress=lambda m: print(f"[dbmkit] {messages.translate(m, lang)}",
                                                                 flush=True))
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
    print("[dbmkit] " + messages.msg("test.nbval_every" if r.returncode == 0 else "test.nbval_not_every", lang,
                                     files=", ".join(s.file for s in own)))
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
