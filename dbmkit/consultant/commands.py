"""The consultant's sub-commands of ``dbmkit``: ``new-client`` and ``batch``."""
from __future__ import annotations

import sys
from pathlib import Path

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
    print(format_batch_table(df))
    n_bad = int((df["status"] != "ok").sum())
    print(f"[dbmkit] {len(df) - n_bad} of {len(df)} client(s) ok" + (f", {n_bad} not: see the message column"
                                                                     if n_bad else ""))
    print(f"[dbmkit] summary: {Path(df.attrs['out']) / 'index.html'}")
    return 0 if n_bad == 0 else 1


def register_cli(sub) -> None:
    """Add ``new-client`` and ``batch`` to the ``dbmkit`` command."""
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
