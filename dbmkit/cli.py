"""The ``dbmkit`` command.

    dbmkit report CONFIG [--out DIR] [--workdir DIR] [--phases 1 2 30 …] [--timeout S] [--set key=value …] [--wait S]
    dbmkit check CONFIG [--workdir DIR] [--set key=value …]   validate the config, the data and the client's own
                                 notebooks; run no notebook
    dbmkit build CONFIG [--workdir DIR] [--set key=value …]   (re)build the client's marketing database only
    dbmkit compare REPORT_A REPORT_B [--all]   the key numbers that moved between two report folders
    dbmkit lab CONFIG [--port N] [--no-browser]   JupyterLab on the notebooks, every chapter on CONFIG's client
    dbmkit init DIR [--client demo|demo_zh|…]   a workbook folder of your own (chapters, clients, data, docs)
    dbmkit site [REPORT_DIR] [--out DIR]   the course website from an executed report (default reports/demo → site)
    dbmkit erase CONFIG (--customer-id ID | --email ADDRESS | --phone NUMBER) [--reason TEXT] [--workdir DIR]
                                 erase a person for good: from the database now, and through the client's
                                 erasure ledger (hashes only) from every later build and export of any work folder
    dbmkit new-client NAME FILES …   draft a client config from the client's files; dbmkit batch CONFIG …: many clients
    dbmkit new-chapter CONFIG NUMBER TITLE [--zh 中文] [--name NN_topic]   a chapter for this client only
    dbmkit override-chapter CONFIG CHAPTER [--force | --rehash]   an editable copy of a standard chapter
    dbmkit chapters CONFIG [--fail-on-drift]   standard / overridden / added chapters; overrides to re-merge
    dbmkit test CONFIG [--out DIR] [--nbval] …   check and run the client's own chapters (for CI)
                                 (the last four: docs/CONFIG.md, Adapting the workbook for a client)

``--set campaign.budget=500`` changes one setting of the config for this run (dotted names as in
docs/CONFIG.md; values read as YAML: 500, 0.2, true, [1, 2], null). It is validated with the config before anything
runs: a misspelt name or a value the setting refuses is one error line (with the closest setting's name).

Exit codes: 0 success, 1 a chapter failed or the data cannot support a report, 2 nothing ran: a config, data or
``--set`` error, a folder that cannot be written, or another build on the same work folder; 3 an unexpected error
(a bug: ``DBMKIT_DEBUG=1`` shows the traceback).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import textwrap
from pathlib import Path

from . import __version__

__all__ = ["main", "run_command"]


def _cmd_report(a) -> int:
    from .overrides import load_with_sets
    from .report import run_report
    _, sets = load_with_sets(a.config, a.set)        # a bad --set stops here, before anything runs
    res = run_report(a.config, out=a.out, workdir=a.workdir, phases=a.phases, timeout=a.timeout,
                     overrides=sets or None, include_cases=a.cases, wait=a.wait, progress=_verbosity(a))
    failed = [r for r in res.runs if r.status == "failed"]
    print(f"\n[dbmkit] report for {res.client}: {len(res.runs) - len(failed)}/{len(res.runs)} chapters ran "
          f"in {res.seconds:.0f} s" + (f" (settings changed: {', '.join(res.overrides)})" if res.overrides else ""))
    for r in failed:
        print(f"[dbmkit]   FAILED {r.message}")
    print(f"[dbmkit] open {res.index}")
    return 0 if not failed else 1


# reason in the quarantine → what to do about it (first match wins)
FIXES = [
    (r"as a date", "set `date_format` for this source (e.g. '%d/%m/%Y'), or correct those dates in the export"),
    (r"is not a number", "check `decimal` (',' when amounts look like 1.234,50) or clean that column in the export"),
    (r"decimal (comma|point) but|does not read with `decimal|is ambiguous \(a thousands",
     "set `decimal` for this source (',' when amounts look like 1.234,50, '.' for 1,234.50), or correct those "
     "values in the export"),
    (r"is beyond the limit|is not a finite number", "a typing error or a test value: correct it in the export (or "
                                                    "raise `data.max_amount` / `data.max_quantity` if it is real)"),
    (r"(before|after) the plausible dates \(",
     "a placeholder or broken date (year 1, Excel's 1899-12-30): correct it in the export, or widen `data.dates` if "
     "the history really is that old"),
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
    (r"no customers source has the system", "a known id link names a system no customers source has: write each "
     "side's system as the `source_system` of a customers source (the reason lists them), or add its customer file"),
    (r"has no record with the id", "a known id link names an id its system does not hold: write the id as that "
     "system's customers file writes it (the build adds the source's `id_prefix`)"),
    (r"placeholder id or a shared card", "one id is in very many known id links: a placeholder (0, UNKNOWN) or a "
     "shared card in the crosswalk? correct those rows; the person's other links still count"),
    (r"links a record to itself|repeats the link", "the crosswalk names one record twice or repeats a link: the row "
     "was set aside, nothing is lost"),
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
        reach = con.execute("SELECT count(*) FILTER (WHERE email IS NOT NULL), "
                            "count(*) FILTER (WHERE phone IS NOT NULL), "
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
                lines.append(f"      note: {w[6:]}" if w.startswith("note: ") else f"      warning: {w}")
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
    build = ws.build_summary()
    if build.get("identity_large_blocks"):       # merge/purge never skips a large block silently
        from .identity import large_block_summary
        lines.append("")
        lines += large_block_summary(build.get("identity_large_block_list") or [], n=10,
                                     count=build["identity_large_blocks"],
                                     not_compared=build.get("identity_not_compared"))
    if (build.get("identity_links") or {}).get("given"):     # the client's known id links (customer_links)
        from .database import BuildReport
        lines += ["", BuildReport(build).summary().splitlines()[-1]]
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


@contextlib.contextmanager
def _built_workspace(a, force: bool = False):
    """The client's workspace, built if missing or stale (``force``: always), with the work folder checked and
    locked while the command runs (``--workdir`` holds for the command only)."""
    from .client_workspace import Workspace
    from .overrides import load_with_sets
    from .preflight import workdir_lock, writable_dir
    saved = os.environ.get("DBMKIT_WORKDIR")
    if a.workdir:
        os.environ["DBMKIT_WORKDIR"] = str(Path(a.workdir).resolve())
    try:
        cfg, sets = load_with_sets(a.config, a.set)
        wd = writable_dir(cfg.workdir_path(), "the work folder",
                          "give --workdir a folder you can write to (or set `workdir:` in the config)")
        ws = Workspace(cfg)
        ws.overrides = sets
        with workdir_lock(wd, wait=a.wait, command=f"dbmkit {a.cmd} {cfg.client}"):
            quiet = _verbosity(a) == 0
            ws.ensure_built(force=force, progress=None if quiet else lambda m: print(f"[dbmkit] {m}", flush=True))
            yield ws
    finally:
        if saved is None:
            os.environ.pop("DBMKIT_WORKDIR", None)
        else:
            os.environ["DBMKIT_WORKDIR"] = saved


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
    from .client_chapters import check_lines
    with _built_workspace(a) as ws:
        text, ok = check_summary(ws)
        own, own_ok = check_lines(ws.cfg, ws)         # the client's own chapters (docs/CONFIG.md, Adapting …)
    print(text + ("\n\n" + "\n".join(own) if own else ""))
    return 0 if ok and own_ok else 1


def _cmd_build(a) -> int:
    with _built_workspace(a, force=True) as ws:
        print(f"[dbmkit] built {ws.db_path}")
    return 0


def _cmd_erase(a) -> int:
    import os

    from .client_workspace import workspace
    from .database import erase_identifier
    if a.workdir:
        os.environ["DBMKIT_WORKDIR"] = a.workdir
    ws = workspace(a.config, progress=lambda m: print(f"[dbmkit] {m}", flush=True))
    how = "customer id" if a.customer_id is not None else "e-mail address" if a.email is not None else "phone number"
    done = erase_identifier(ws, customer_id=a.customer_id, email=a.email, phone=a.phone, reason=a.reason)
    if done["persons"]:
        rows = sum(v for k, v in done["removed"].items() if k != "quarantine_scrubbed")
        print(f"[dbmkit] erased {done['persons']} person{'s' if done['persons'] > 1 else ''} with this {how} "
              f"({rows:,} rows removed from {ws.db_path}; orders kept as anonymous sales)")
    else:
        print(f"[dbmkit] nobody with this {how} is in the database now; it is recorded so that no record "
              "carrying it is ever loaded")
    print(f"[dbmkit] erasure ledger: {done['ledger']} (salted hashes only, no personal data) — every build and "
          "every export of this client, in any work folder, applies it; keep the ledger with the client's config")
    return 0


def _cmd_compare(a) -> int:
    from .report.compare import CompareError, compare_reports
    try:
        print(compare_reports(a.report_a, a.report_b, show_all=a.all, lang=a.language))
    except CompareError as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2
    return 0


def _cmd_lab(a) -> int:
    from .lab import LabError, run_lab
    try:
        return run_lab(a.config, port=a.port, browser=not a.no_browser)
    except LabError as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2


def _cmd_site(a) -> int:
    from .report.site import SiteError, build_site
    try:
        res = build_site(a.report_dir, a.out)
    except SiteError as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2
    print(f"[dbmkit] course site: {len(res['pages'])} pages, {res['search_entries']} search entries — open "
          f"{(Path(res['out']) / 'index.html').resolve().as_uri()} (or: python -m http.server --directory {a.out})")
    return 0


def _verbosity(a) -> int:
    """0 with -q, 2 with -v, else 1 (the default)."""
    return 0 if getattr(a, "quiet", False) else 2 if getattr(a, "verbose", 0) else 1


def _talk_flags(p, top: bool = False) -> None:
    """-v/-q, accepted before the command (dbmkit -q report …) and after it (dbmkit report … -q)."""
    kw = {} if top else {"default": argparse.SUPPRESS}
    g = p.add_mutually_exclusive_group()
    g.add_argument("-v", "--verbose", action="count", help="say more: one line per chapter (also in report.log)",
                   **({"default": 0} if top else kw))
    g.add_argument("-q", "--quiet", action="store_true", help="say only errors and the final summary", **kw)


def _common(p, report: bool = False) -> None:
    p.add_argument("config")
    _talk_flags(p)
    if report:
        p.add_argument("--out", help="report folder (default reports/<client>)")
    p.add_argument("--workdir", help="work folder for the database (default work/<client>)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="change one config setting for this run, e.g. campaign.budget=5000 (repeatable; "
                        "names as in docs/CONFIG.md)")
    p.add_argument("--wait", type=float, default=0, metavar="S",
                   help="when another build runs on the work folder, wait up to S seconds (default: stop at once)")


# per command: what it does (the help page's description) and examples; `dbmkit CMD --help` shows both
COMMANDS = {
    "report": ("Run the workbook's chapters for a client (building its database when needed) and write the report "
               "folder: one HTML page per chapter, index.html, kpis.json, status.json and the send file.",
               ["dbmkit report clients/demo.yaml",
                "dbmkit report clients/acme.yaml --out reports/acme-2026-12 --phases 2 30",
                "dbmkit report clients/acme.yaml --phases 3 --set campaign.budget=5000"]),
    "check": ("Validate the config and read every source as the build would: problems with their fixes, the period "
              "and customers found, the chapters that will be skipped and why, and the client's own notebooks. "
              "Exit 1 when something must be fixed.",
              ["dbmkit check clients/acme.yaml", "dbmkit check clients/acme.yaml --set analysis_date=2026-06-30"]),
    "build": ("Build (or rebuild) the client's marketing database in its work folder, printing each step.",
              ["dbmkit build clients/acme.yaml",
               "dbmkit build clients/acme.yaml --workdir /data/work/acme --wait 600"]),
    "erase": ("Erase a person for good (right to erasure): from the database now, and through the client's erasure "
              "ledger (salted hashes only) from every later build and export of any work folder.",
              ["dbmkit erase clients/acme.yaml --email ann@example.org --reason \"customer request\"",
               "dbmkit erase clients/acme.yaml --customer-id C00042"]),
    "compare": (None, ["dbmkit compare reports/acme-2026-11 reports/acme",
                       "dbmkit compare reports/acme reports/acme-budget5000 --all"]),
    "lab": (None, ["dbmkit lab clients/acme.yaml", "dbmkit lab clients/demo.yaml --no-browser --port 8890"]),
    "init": (None, ["dbmkit init my-workbook", "dbmkit init 工作手册 --client demo_zh"]),
    "site": ("Build the course website from an executed report: the chapter pages with a sidebar by phase, the "
             "glossary, the notebooks to download, a page on running them in JupyterLab, and a search that works "
             "from file:// (no server, no internet).",
             ["dbmkit site", "dbmkit site reports/demo --out site"]),
    "new-client": ("Draft a commented client config from the client's files: the format, header and column mapping "
                   "guessed from names and values (English and Chinese headers). Check the draft, then report.",
                   ["dbmkit new-client acme data/acme/*.csv", "dbmkit new-client shop sales.xlsx --dir clients"]),
    "batch": ("Run the reports of several clients, each in its own process; a broken client does not stop the "
              "others, and a summary table ends the run.",
              ["dbmkit batch clients/*.yaml", "dbmkit batch clients/acme.yaml clients/shop.yaml --phases 2"]),
    "new-chapter": (None, ['dbmkit new-chapter clients/acme.yaml 35 "Loyalty programme review"']),
    "override-chapter": (None, ["dbmkit override-chapter clients/acme.yaml 21",
                                "dbmkit override-chapter clients/acme.yaml 21 --rehash"]),
    "chapters": (None, ["dbmkit chapters clients/acme.yaml", "dbmkit chapters clients/acme.yaml --fail-on-drift"]),
    "test": (None, ["dbmkit test clients/acme.yaml", "dbmkit test clients/acme.yaml --nbval"]),
    "solutions": ("Write the solution notebooks for instructors into solutions/: after every exercise its worked "
                  "solution (checked, so it shows ✓) and explanation, the review answers after the review questions "
                  "— built from instructor/chNN.yaml, which students do not get.",
                  ["dbmkit solutions --chapters 12 20", "dbmkit solutions --out solutions"]),
    "student": ("Write a clean student copy of the workbook into a new folder: notebooks without outputs, clients, "
                "data, the package, a README for students and the glossary — no instructor/ and no solutions/.",
                ["dbmkit student ../dbm-course-2027"]),
    "grade": ("Run every student's notebooks (one sub-folder per student) on a client and write a CSV with one row "
              "per student, chapter and exercise: correct, wrong or not answered.",
              ["dbmkit grade submissions/ --config clients/demo.yaml",
               "dbmkit grade submissions/ --config tests/small_client.yaml --out grades.csv"]),
}
EXIT_CODES = ("exit codes: 0 success · 1 a chapter failed or a check found problems · 2 nothing ran (a config, data "
              "or --set error, a folder that cannot be written, another build on the work folder) · 3 an unexpected "
              "error (a bug: DBMKIT_DEBUG=1 shows the traceback)")


def _describe(p, sub) -> None:
    """Give every command its description, examples and the help of its CONFIG argument."""
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ("examples:\n  dbmkit report clients/demo.yaml\n  dbmkit check clients/acme.yaml\n"
                "  dbmkit CMD --help\n\n" + textwrap.fill(EXIT_CODES, 100))
    for name, parser in sub.choices.items():
        about, examples = COMMANDS.get(name, (None, []))
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        if about:
            parser.description = textwrap.fill(about, 100)
        elif not parser.description:
            helps = {a.dest: a.help for a in sub._choices_actions}  # noqa: SLF001 - argparse keeps help there
            parser.description = (helps.get(name) or "").capitalize() or None
        if examples:
            parser.epilog = "examples:\n" + "\n".join(f"  {x}" for x in examples)
        for action in parser._actions:  # noqa: SLF001 - argparse has no public list of a parser's arguments
            if action.dest == "config" and not action.help:
                action.help = "the client's config file (YAML), e.g. clients/acme.yaml — see docs/CONFIG.md"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dbmkit", description="Database marketing workbook: reports per client.")
    p.add_argument("--version", action="version", version=f"dbmkit {__version__}")
    _talk_flags(p, top=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report", help="run the workbook for a client and write the HTML report")
    _common(r, report=True)
    r.add_argument("--phases", nargs="*", help="phases (1–4, 9) or chapter numbers (21) to run")
    r.add_argument("--timeout", type=int, help="seconds per notebook")
    r.add_argument("--cases", action="store_true", help="also run the case-study chapters (9x)")
    r.set_defaults(func=_cmd_report)
    c = sub.add_parser("check", help="validate the config, the data and the client's own notebooks; run nothing "
                                     "else")
    _common(c)
    c.set_defaults(func=_cmd_check)
    b = sub.add_parser("build", help="rebuild the client's marketing database")
    _common(b)
    b.set_defaults(func=_cmd_build)
    e = sub.add_parser("erase", help="erase a person for good (right to erasure), in every work folder of the client")
    e.add_argument("config")
    who = e.add_mutually_exclusive_group(required=True)
    who.add_argument("--customer-id", help="a customer id of the client's files (or a person id of the database)")
    who.add_argument("--email", help="an e-mail address (any spelling: it is standardised)")
    who.add_argument("--phone", help="a phone number (any format: it is standardised to E.164)")
    e.add_argument("--reason", default="erasure request",
                   help="why (kept in the ledger and the audit log; contact details in it are masked)")
    e.add_argument("--workdir", help="work folder of the database to erase from now (default work/<client>)")
    e.set_defaults(func=_cmd_erase)
    cmp_ = sub.add_parser("compare", help="print the key numbers that moved between two reports",
                          description="Line up the key numbers (kpis.json) of two report folders: what moved since "
                                      "last month, or what a --set changed.")
    cmp_.add_argument("report_a", help="the earlier report folder (or its kpis.json)")
    cmp_.add_argument("report_b", help="the later report folder (or its kpis.json)")
    cmp_.add_argument("--all", action="store_true", help="also list the numbers that stayed the same")
    cmp_.add_argument("--language", choices=["en", "zh"], help="labels in English or Chinese (default: B's report)")
    cmp_.set_defaults(func=_cmd_compare)
    lab = sub.add_parser("lab", help="open the workbook in JupyterLab on a client's data",
                         description="Start JupyterLab on the notebooks with CONFIG as every chapter's client (no "
                                     "notebook edited); JupyterLab prints the URL to open.")
    lab.add_argument("config", help="the client's config (YAML)")
    lab.add_argument("--port", type=int, help="the server's port (default: JupyterLab's, 8888 or the next free one)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL yourself")
    lab.set_defaults(func=_cmd_lab)
    site = sub.add_parser("site", help="build the course website from an executed report")
    site.add_argument("report_dir", nargs="?", default="reports/demo",
                      help="the report folder (dbmkit report wrote it; default reports/demo)")
    site.add_argument("--out", default="site", help="the site folder (default site; replaced when it holds a site)")
    site.set_defaults(func=_cmd_site)
    _register_more(sub)
    _describe(p, sub)
    a = p.parse_args(argv)
    return run_command(a.func, a)


def run_command(func, a) -> int:
    """Run one sub-command; every error a user can fix is one message (exit code 2), never a traceback."""
    from .config import ConfigError, OverrideError
    from .database import LedgerError
    from .ingest import IngestError
    from .preflight import PreflightError
    try:
        return func(a)
    except OverrideError as e:
        for line in e.lines():
            print(f"[dbmkit] error: --set {line}", file=sys.stderr)
        return 2
    except (ConfigError, IngestError, PreflightError, LedgerError, FileExistsError) as e:
        print(f"[dbmkit] error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("[dbmkit] interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a message, not a traceback; DBMKIT_DEBUG=1 shows it
        if os.environ.get("DBMKIT_DEBUG"):
            raise
        text = " ".join(str(e).split())
        print(f"[dbmkit] error: unexpected {type(e).__name__}{': ' + text[:300] if text else ''} — this is a bug in "
              "dbmkit; please report it with the command you ran (DBMKIT_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 3


def _register_more(sub) -> None:
    """Commands contributed by other modules (e.g. new-client, batch; the instructor's solutions, student, grade)."""
    from . import workbook
    from .exercises import instructor
    workbook.register_cli(sub)
    instructor.register_cli(sub)
    try:
        from . import consultant
    except ImportError:
        return
    consultant.register_cli(sub)


if __name__ == "__main__":
    sys.exit(main())
