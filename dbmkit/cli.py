"""The ``dbmkit`` command.

    dbmkit report CONFIG [--out DIR] [--workdir DIR] [--phases 1 2 30 …] [--timeout S] [--set key=value …]
    dbmkit check CONFIG          validate the config and the data through the mapping; run no notebook
    dbmkit build CONFIG          (re)build the client's marketing database only

Exit codes: 0 success, 1 a chapter failed or the data cannot support a report, 2 a config or data error.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _parse_sets(items: list[str] | None) -> dict:
    import yaml
    out = {}
    for it in items or []:
        if "=" not in it:
            raise SystemExit(f"--set needs key=value, got {it!r}")
        k, v = it.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


def _cmd_report(a) -> int:
    from .report import run_report
    res = run_report(a.config, out=a.out, workdir=a.workdir, phases=a.phases, timeout=a.timeout,
                     overrides=_parse_sets(a.set), include_cases=a.cases)
    failed = [r for r in res.runs if r.status == "failed"]
    print(f"\n[dbmkit] report for {res.client}: {len(res.runs) - len(failed)}/{len(res.runs)} chapters ran "
          f"in {res.seconds:.0f} s")
    for r in failed:
        print(f"[dbmkit]   FAILED {r.message}")
    print(f"[dbmkit] open {res.index}")
    return 0 if not failed else 1


def check_summary(ws) -> tuple[str, bool]:
    """A readable summary of a client's data after loading (used by ``dbmkit check``)."""
    lines = []
    with ws.connect() as con:
        log = con.execute("SELECT table_name, source, rows_read, rows_loaded, rows_quarantined, warnings FROM load_log").df()
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in
                  ("customers", "orders", "order_items", "products", "consents", "campaigns", "contacts",
                   "email_events", "anonymous_sales")}
        rng = con.execute("SELECT min(order_ts), max(order_ts) FROM orders").fetchall()[0]
        q = con.execute("""SELECT table_name, source, column_name, reason, count(*) AS n, min(source_row) AS first_row
            FROM quarantine GROUP BY ALL ORDER BY n DESC LIMIT 25""").df()
    lines.append(f"Client: {ws.cfg.client} — {ws.cfg.title}")
    lines.append("")
    lines.append("Sources (rows read = loaded + quarantined):")
    for r in log.itertuples():
        lines.append(f"  {r.table_name:<18} {Path(r.source).name:<32} read {r.rows_read:>9,}  loaded {r.rows_loaded:>9,}"
                     f"  quarantined {r.rows_quarantined:>7,}")
        if r.warnings:
            lines.append(f"      warning: {r.warnings}")
    lines.append("")
    lines.append("Database:")
    for k, v in counts.items():
        lines.append(f"  {k:<18} {v:>10,}")
    if rng[0] is not None:
        lines.append(f"  orders from {rng[0]:%Y-%m-%d} to {rng[1]:%Y-%m-%d}")
    if len(q):
        lines.append("")
        lines.append("Problems (quarantined rows; fix the source and run again):")
        for r in q.itertuples():
            row = f", first at row {int(r.first_row)}" if r.first_row == r.first_row and r.first_row is not None else ""
            lines.append(f"  {r.n:>6,} × {Path(str(r.source)).name} [{r.column_name}]: {r.reason}{row}")
    ok = counts["orders"] > 0 and counts["customers"] > 0
    lines.append("")
    lines.append("A report can run." if ok else "A report cannot run: no orders with customers were loaded.")
    return "\n".join(lines), ok


def _cmd_check(a) -> int:
    from .workspace import workspace
    ws = workspace(a.config, progress=lambda m: print(f"[dbmkit] {m}", flush=True))
    text, ok = check_summary(ws)
    print(text)
    return 0 if ok else 1


def _cmd_build(a) -> int:
    from .config import load_config
    from .workspace import Workspace
    ws = Workspace(load_config(a.config))
    ws.ensure_built(force=True, progress=lambda m: print(f"[dbmkit] {m}", flush=True))
    print(f"[dbmkit] built {ws.db_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dbmkit", description="Database marketing workbook: reports per client.")
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report", help="run the workbook for a client and write the HTML report")
    r.add_argument("config")
    r.add_argument("--out", help="report folder (default reports/<client>)")
    r.add_argument("--workdir", help="work folder for the database (default work/<client>)")
    r.add_argument("--phases", nargs="*", help="phases (1–4, 9) or chapter numbers (21) to run")
    r.add_argument("--timeout", type=int, help="seconds per notebook")
    r.add_argument("--set", action="append", metavar="KEY=VALUE", help="config override, e.g. campaign.budget=5000")
    r.add_argument("--cases", action="store_true", help="also run the case-study chapters (9x)")
    r.set_defaults(func=_cmd_report)
    c = sub.add_parser("check", help="validate the config and the data; run nothing else")
    c.add_argument("config")
    c.set_defaults(func=_cmd_check)
    b = sub.add_parser("build", help="rebuild the client's marketing database")
    b.add_argument("config")
    b.set_defaults(func=_cmd_build)
    _register_more(sub)
    a = p.parse_args(argv)
    from .config import ConfigError
    from .ingest import IngestError
    try:
        return a.func(a)
    except (ConfigError, IngestError) as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2


def _register_more(sub) -> None:
    """Commands contributed by other modules (e.g. new-client, batch)."""
    try:
        from . import consultant
    except ImportError:
        return
    consultant.register_cli(sub)


if __name__ == "__main__":
    sys.exit(main())
