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


# reason in the quarantine → what to do about it (first match wins)
FIXES = [
    (r"as a date", "set `date_format` for this source (e.g. '%d/%m/%Y'), or correct those dates in the export"),
    (r"is not a number", "check `decimal` (',' when amounts look like 1.234,50) or clean that column in the export"),
    (r"in the future", "day and month swapped? set `date_format`; otherwise check the export's clock"),
    (r"duplicate|appears again", "the export repeats rows or the id is not unique: remove duplicates, or map a "
                                 "truly unique id column"),
    (r"repeated header", "several exports were concatenated: the extra header line was set aside; nothing to fix"),
    (r"unreadable line", "the line has a different number of fields: check `delimiter` and quoting in the export"),
    (r"zero quantity", "lines with quantity 0 carry no sale; they can be ignored"),
    (r"negative price", "negative prices are adjustments (fees, bad debt), not sales; they can be ignored"),
    (r"unknown or quarantined order", "these lines belong to orders missing from (or rejected in) the orders file"),
    (r"different customers", "one invoice cannot belong to two customers: fix the customer id on its lines"),
    (r"is not one of opt_in/opt_out|is not a known consent word",
     "add the word to `data.consent_words` (under opt_in or opt_out) if you know what it means; until then the row "
     "counts as an opt-out"),
    (r"is not one of email/sms/phone/mail|is not a known channel",
     "add the channel word to `data.consent_words` (under email, sms, phone or mail); until then the row "
     "suppresses the person on every channel"),
    (r"without a sign-up date", "map `signup_date` in the customers source (or fill it in the export); until then "
                                "the flag 'no' counts as the latest evidence"),
    (r"_consent: .* is not yes/no", "a consent flag that is not yes/no is read with the consent vocabulary "
                                    "(`dbmkit check` lists it under consent when it counts as an opt-out)"),
    (r"opt-out without a date|counted as the latest evidence",
     "map the date column (`updated_at`) or set `date_format`; until then the opt-out counts as the latest evidence"),
    (r"no customer with this", "the id, e-mail or phone is not in the customers source: check `id_prefix` and "
                               "the files"),
    (r"too long", "the mapping probably points at the wrong column: check `columns:`"),
    (r"missing", "fill the column in the export (rows without it cannot be loaded), or map another column"),
]


def fix_for(reason: str) -> str:
    """The usual fix for a quarantine reason (used by ``dbmkit check``).

    >>> fix_for("order_ts: cannot read '31/02/2024' as a date")[:17]
    'set `date_format`'
    """
    import re
    for pattern, fix in FIXES:
        if re.search(pattern, str(reason), re.I):
            return fix
    return "look at these rows in the quarantine table (chapter 10 shows them) and correct the export"


_QUARANTINE_SQL = """
    SELECT table_name, source, column_name, regexp_replace(reason, '''[^'']*''|[0-9]{3,}', '…', 'g') AS kind,
           count(*) AS n, min(source_row) AS first_row, arg_min(reason, source_row) AS example
    FROM quarantine GROUP BY ALL ORDER BY n DESC LIMIT 25"""


def check_summary(ws) -> tuple[str, bool]:
    """A readable summary of a client's data after loading (used by ``dbmkit check``): sources, tables, the
    period, customers, problems with file, column, row and fix, and the chapters the data cannot support.
    Returns (text, ok) where ok means a report can run."""
    from . import chapters as _chapters
    lines = []
    with ws.connect() as con:
        log = con.execute("SELECT table_name, source, rows_read, rows_loaded, rows_quarantined, encoding, delimiter, "
                          "warnings FROM load_log").df()
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in
                  ("customers", "orders", "order_items", "products", "consents", "campaigns", "contacts",
                   "responses", "email_events", "sms_events", "anonymous_sales", "test_orders") if t in names}
        rng = con.execute("SELECT min(order_ts), max(order_ts), count(DISTINCT customer_id), "
                          "count(*) FILTER (WHERE status = 'returned'), "
                          "count(*) FILTER (WHERE status = 'cancelled') FROM orders").fetchall()[0]
        reach = con.execute("SELECT count(*) FILTER (WHERE email IS NOT NULL), count(*) FILTER (WHERE phone IS NOT NULL), "
                            "count(*) FILTER (WHERE street IS NOT NULL) FROM customers").fetchall()[0]
        q = con.execute(_QUARANTINE_SQL).df()
        vi = con.execute("""SELECT table_name, source, column_name, count(*) AS n, min(source_row) AS first_row,
            arg_min(problem, source_row) AS problem FROM value_issues GROUP BY ALL ORDER BY n DESC LIMIT 10""").df() \
            if "value_issues" in names else None
        missing = {c.file: _chapters.missing_inputs(c, con) for c in _chapters.workbook_chapters()}
        from .database import latest_consents, uncertain_consents
        lat = latest_consents(con)
        unsure = uncertain_consents(con)
    lines.append(f"Client: {ws.cfg.client} — {ws.cfg.title}")
    lines.append("")
    lines.append("Sources (rows read = loaded + quarantined):")
    for r in log.itertuples():
        enc = r.encoding if isinstance(r.encoding, str) and r.encoding else None
        dlm = r.delimiter if isinstance(r.delimiter, str) and r.delimiter else None
        how = ", ".join(x for x in (enc and f"encoding {enc}", dlm and f"delimiter {dlm!r}") if x)
        lines.append(f"  {r.table_name:<17} {Path(str(r.source)).name:<28} read {r.rows_read:>9,}  loaded "
                     f"{r.rows_loaded:>9,}  quarantined {r.rows_quarantined:>7,}" + (f"  ({how})" if how else ""))
        if isinstance(r.warnings, str) and r.warnings:
            for w in r.warnings.split("; "):
                lines.append(f"      warning: {w}")
    lines.append("")
    lines.append("Database:")
    for k, v in counts.items():
        lines.append(f"  {k:<18} {v:>10,}")
    if rng[0] is not None:
        lines.append("")
        lines.append(f"Period: orders from {rng[0]:%Y-%m-%d} to {rng[1]:%Y-%m-%d} "
                     f"({(rng[1] - rng[0]).days / 30.44:.0f} months); analysis date {ws.as_of.date()}")
        lines.append(f"Customers: {counts.get('customers', 0):,} people, {rng[2]:,} of them with orders; "
                     f"{rng[3] or 0:,} returns, {rng[4] or 0:,} cancellations")
        anon = counts.get("anonymous_sales", 0)
        if anon:
            share = anon / max(anon + counts.get("orders", 0), 1)
            lines.append(f"Anonymous sales (no customer id): {anon:,} orders ({100 * share:.1f} %), counted in revenue "
                         "but not in customer analysis")
        lines.append(f"Reachable: {reach[0]:,} with an e-mail, {reach[1]:,} with a phone, {reach[2]:,} with an address")
    if len(q):
        lines.append("")
        lines.append("Problems (rows quarantined; fix the source and run again):")
        for r in q.itertuples():
            row = f", first at row {int(r.first_row)}" if r.first_row is not None and r.first_row == r.first_row else ""
            col = f" [{r.column_name}]" if isinstance(r.column_name, str) and r.column_name else ""
            lines.append(f"  {r.n:>6,} × {Path(str(r.source)).name}{col}{row}: {r.example}")
            lines.append(f"           fix: {fix_for(r.example)}")
    if vi is not None and len(vi):
        lines.append("")
        lines.append("Values left empty (the rows were loaded):")
        for r in vi.itertuples():
            row = f", first at row {int(r.first_row)}" if r.first_row is not None and r.first_row == r.first_row else ""
            lines.append(f"  {r.n:>6,} × {Path(str(r.source)).name} [{r.column_name}]{row}: {r.problem}")
            lines.append(f"           fix: {fix_for(r.problem)}")
    lines += _uncertain_consent_lines(lat, unsure)
    skipped = {f: m for f, m in missing.items() if m}
    if skipped:
        lines.append("")
        lines.append("Chapters the report will skip (their inputs are missing):")
        for f, m in skipped.items():
            lines.append(f"  {f}: needs " + "; ".join(n.what for _, n in m))
            for _, n in m:
                lines.append(f"      to provide it: {n.fix}")
    ok = counts.get("orders", 0) > 0 and counts.get("customers", 0) > 0
    lines.append("")
    if ok:
        lines.append("A report can run.")
    else:
        why = "no orders were loaded" if not counts.get("orders") else "no customers were loaded"
        lines.append(f"A report cannot run: {why}. Look at the problems above (customer ids mapped? dates read?).")
    return "\n".join(lines), ok


def _uncertain_consent_lines(lat, unsure) -> list[str]:
    """The check's section on consent read fail-safe: how many people are suppressed because their latest consent
    evidence could not be read with certainty, and where the rows are (file and rows) with the fix."""
    if not len(unsure):
        return []
    who = lat[lat["uncertain"].astype(bool)]
    per = who.groupby("channel")["customer_id"].nunique()
    chans = ", ".join(f"{ch} {int(per[ch]):,}" for ch in ("email", "sms", "phone", "mail") if ch in per.index)
    out = ["", f"Consent read fail-safe: {who['customer_id'].nunique():,} people suppressed for uncertain consent "
               f"({chans}); each row below counts as an opt-out until it is fixed:"]
    for r in unsure.itertuples():
        who_ = f"{r.people:,} {'person' if r.people == 1 else 'people'}"
        out.append(f"  {r.rows:>6,} × {Path(str(r.source)).name}, rows {r.first_rows}: {r.example} "
                   f"[{r.channels}; the latest evidence of {who_}]")
        out.append(f"           fix: {fix_for(r.example)}")
    return out


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
