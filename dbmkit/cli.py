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
import json
import os
import sys
import textwrap
from pathlib import Path

from . import __version__, messages

__all__ = ["main", "run_command"]


def _engine_sets(a) -> None:
    """``--engine spark [--spark-master URL]`` are the settings ``engine.kind`` and ``engine.master`` for this run."""
    extra = []
    if getattr(a, "engine", None):
        extra.append(f"engine.kind={a.engine}")
    if getattr(a, "spark_master", None):
        extra.append(f"engine.master={a.spark_master}")
    if extra:
        a.set = list(a.set or []) + extra


def _spark_ready(cfg) -> bool:
    """With engine spark: say so, or say why Spark cannot start and how to install it (False)."""
    if cfg.engine.kind != "spark":
        return True
    from .sql.spark import missing
    lang = messages.language(cfg)
    lack = missing()
    if lack:
        why = (messages.msg("engine.no_module", lang, module=lack[1]) if lack[0] == "module"
               else messages.msg("engine.no_java", lang))
        print("[dbmkit] " + messages.msg("engine.unavailable", lang, why=why), file=sys.stderr)
        return False
    print("[dbmkit] " + messages.msg("engine.spark", lang, master=cfg.engine.master), flush=True)
    return True


def _cmd_report(a) -> int:
    from .overrides import load_with_sets
    from .report import run_report
    _engine_sets(a)
    cfg, sets = load_with_sets(a.config, a.set)        # a bad --set stops here, before anything runs
    if not _spark_ready(cfg):
        return 2
    res = run_report(a.config, out=a.out, workdir=a.workdir, phases=a.phases, timeout=a.timeout,
                     overrides=sets or None, include_cases=a.cases, wait=a.wait, progress=_verbosity(a),
                     jobs=a.jobs)
    lang = messages.language(cfg)
    failed = [r for r in res.runs if r.status == "failed"]
    settings = messages.msg("report.settings", lang, settings=", ".join(res.overrides)) if res.overrides else ""
    print("\n[dbmkit] " + messages.msg("report.summary", lang, client=res.client, ok=len(res.runs) - len(failed),
                                        n=len(res.runs), seconds=res.seconds) + settings)
    for r in failed:
        print("[dbmkit] " + messages.msg("report.failed", lang, message=r.message))
    print("[dbmkit] " + messages.msg("report.open", lang, path=res.index))
    return 0 if not failed else 1


def fix_for(reason: str, lang: str = "en") -> str:
    """The usual fix for a quarantine reason (used by ``dbmkit check``; the list: :data:`dbmkit.messages.FIXES`).

    >>> fix_for("order_ts: cannot read '31/02/2024' as a date")[:17]
    'set `date_format`'
    >>> fix_for("order_ts: cannot read '31/02/2024' as a date", "zh")[:21]
    '为该数据源设置 `date_format`'
    """
    return messages.fix_for(reason, lang)


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
        from .database import channels_in_use, latest_consents, uncertain_consents
        lat = latest_consents(con)
        lat = lat[lat["channel"].isin(channels_in_use(con))]      # WeChat / app push only where the client uses them
        unsure = uncertain_consents(con)
    lang = messages.language(ws.cfg)

    def say(key, **kw):
        lines.append(messages.msg(key, lang, **kw))

    def row_at(first_row) -> str:
        ok_ = first_row is not None and first_row == first_row
        return messages.msg("check.first_row", lang, row=int(first_row)) if ok_ else ""

    say("check.client", client=ws.cfg.client, title=ws.cfg.title)
    say("check.edition", edition=messages.msg(f"edition.{lang}", lang), folder=edition_folder(ws.cfg))
    lines.append("")
    say("check.sources")
    for r in log.itertuples():
        enc = r.encoding if isinstance(r.encoding, str) and r.encoding else None
        dlm = r.delimiter if isinstance(r.delimiter, str) and r.delimiter else None
        how = messages.msg("check.sep", lang).join(x for x in (
            enc and messages.msg("check.encoding", lang, enc=enc),
            dlm and messages.msg("check.delimiter", lang, dlm=dlm)) if x)
        lines.append(messages.msg("check.source_line", lang, table=r.table_name, file=Path(str(r.source)).name,
                                  read=r.rows_read, loaded=r.rows_loaded, quarantined=r.rows_quarantined)
                     + (messages.msg("check.how", lang, how=how) if how else ""))
        if isinstance(r.warnings, str) and r.warnings:
            for w in r.warnings.split("; "):
                if w.startswith("note: "):
                    say("check.note", text=messages.translate(w[6:], lang))
                else:
                    say("check.warning", text=messages.translate(w, lang))
    lines.append("")
    say("check.database")
    for k, v in counts.items():
        say("check.table_line", table=k, n=v, label=messages.TABLE_ZH.get(k, ""))
    if rng[0] is not None:
        lines.append("")
        say("check.period", first=messages.day_text(rng[0], lang), last=messages.day_text(rng[1], lang),
            months=(rng[1] - rng[0]).days / 30.44, as_of=messages.day_text(ws.as_of.date(), lang))
        say("check.customers", people=counts.get("customers", 0), buyers=rng[2], returns=rng[3] or 0,
            cancelled=rng[4] or 0)
        anon = counts.get("anonymous_sales", 0)
        if anon:
            share = anon / max(anon + counts.get("orders", 0), 1)
            say("check.anonymous", n=anon, share=100 * share)
        say("check.reachable", email=reach[0], phone=reach[1], street=reach[2])
    if len(q):
        lines.append("")
        say("check.problems")
        for r in q.itertuples():
            col = f" [{r.column_name}]" if isinstance(r.column_name, str) and r.column_name else ""
            say("check.problem_line", n=r.n, file=Path(str(r.source)).name, col=col, row=row_at(r.first_row),
                example=messages.translate(r.example, lang))
            say("check.fix", fix=fix_for(r.example, lang))
    if vi is not None and len(vi):
        lines.append("")
        say("check.values_empty")
        for r in vi.itertuples():
            say("check.problem_line", n=r.n, file=Path(str(r.source)).name, col=f" [{r.column_name}]",
                row=row_at(r.first_row), example=messages.translate(r.problem, lang))
            say("check.fix", fix=fix_for(r.problem, lang))
    lines += _uncertain_consent_lines(lat, unsure, lang)
    build = ws.build_summary()
    if build.get("identity_large_blocks"):       # merge/purge never skips a large block silently
        from .i18n import get_language, set_language
        from .identity import large_block_summary
        lines.append("")
        before = get_language()
        set_language(lang)                         # its lines are i18n.pick's: in the client's language
        try:
            lines += large_block_summary(build.get("identity_large_block_list") or [], n=10,
                                         count=build["identity_large_blocks"],
                                         not_compared=build.get("identity_not_compared"))
        finally:
            set_language(before)
    if (build.get("identity_links") or {}).get("given"):     # the client's known id links (customer_links)
        from .database import BuildReport
        lines += ["", messages.translate(BuildReport(build).summary().splitlines()[-1], lang)]
    skipped = {f: m for f, m in missing.items() if m}
    if skipped:
        lines.append("")
        say("check.skip_head")
        for f, m in skipped.items():
            say("check.skip_line", file=f, what=messages.msg("check.and", lang).join(
                n.what_zh if lang == "zh" else n.what for _, n in m))
            for key, n in m:
                say("check.skip_fix", fix=messages.need_fix(key, n, lang))
    ok = counts.get("orders", 0) > 0 and counts.get("customers", 0) > 0
    lines.append("")
    if ok:
        say("check.can_run")
    else:
        why = messages.msg("check.no_orders" if not counts.get("orders") else "check.no_customers", lang)
        say("check.cannot_run", why=why)
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
            lang = messages.language(cfg)
            ws.ensure_built(force=force, progress=None if quiet else lambda m: print(
                f"[dbmkit] {messages.translate(m, lang)}", flush=True))
            yield ws
    finally:
        if saved is None:
            os.environ.pop("DBMKIT_WORKDIR", None)
        else:
            os.environ["DBMKIT_WORKDIR"] = saved


def _uncertain_consent_lines(lat, unsure, lang: str = "en") -> list[str]:
    """The check's section on consent read fail-safe: how many people are suppressed because their latest consent
    evidence could not be read with certainty, and where the rows are (file and rows) with the fix."""
    if not len(unsure):
        return []
    who = lat[lat["uncertain"].astype(bool)]
    per = who.groupby("channel")["customer_id"].nunique()
    chans = messages.msg("check.sep", lang).join(messages.msg("check.consent_chan", lang, channel=ch, n=int(per[ch]))
                                                 for ch in ("email", "sms", "phone", "mail", "wechat", "app_push")
                                                 if ch in per.index)
    out = ["", messages.msg("check.consent_head", lang, people=who["customer_id"].nunique(), chans=chans)]
    for r in unsure.itertuples():
        who_ = messages.msg("check.consent_people" if r.people == 1 else "check.consent_people_n", lang, n=r.people)
        out.append(messages.msg("check.consent_line", lang, rows=r.rows, file=Path(str(r.source)).name,
                                first_rows=r.first_rows, example=messages.translate(r.example, lang),
                                channels=r.channels, who=who_))
        out.append(messages.msg("check.fix", lang, fix=fix_for(r.example, lang)))
    return out


def edition_folder(cfg) -> str:
    """The folder of the standard chapters a client runs, as ``dbmkit check`` names it (``notebooks_zh/`` for a
    Chinese client)."""
    from .client_chapters import standard_dir
    return standard_dir(cfg.language).name + "/"


def _cmd_check(a) -> int:
    from .client_chapters import check_lines
    from .overrides import load_with_sets
    _engine_sets(a)
    if not _spark_ready(load_with_sets(a.config, a.set)[0]):     # before the build: say at once what is missing
        return 1
    with _built_workspace(a) as ws:
        text, ok = check_summary(ws)
        own, own_ok = check_lines(ws.cfg, ws)         # the client's own chapters (docs/CONFIG.md, Adapting …)
    print(text + ("\n\n" + "\n".join(own) if own else ""))
    return 0 if ok and own_ok else 1


def _cmd_build(a) -> int:
    with _built_workspace(a, force=True) as ws:
        print("[dbmkit] " + messages.msg("build.built", messages.language(ws.cfg), path=ws.db_path))
    return 0


def _cmd_erase(a) -> int:
    import os

    from .client_workspace import workspace
    from .database import erase_identifier
    if a.workdir:
        os.environ["DBMKIT_WORKDIR"] = a.workdir
    lang = cli_language(a)
    ws = workspace(a.config, progress=lambda m: print(f"[dbmkit] {messages.translate(m, lang)}", flush=True))
    lang = messages.language(ws.cfg)
    how = messages.msg("erase.customer_id" if a.customer_id is not None else "erase.email" if a.email is not None
                       else "erase.phone", lang)
    done = erase_identifier(ws, customer_id=a.customer_id, email=a.email, phone=a.phone, reason=a.reason)
    if done["persons"]:
        rows = sum(v for k, v in done["removed"].items() if k != "quarantine_scrubbed")
        print("[dbmkit] " + messages.msg("erase.done", lang, n=done["persons"], s="s" if done["persons"] > 1 else "",
                                         how=how, rows=rows, db=ws.db_path))
    else:
        print("[dbmkit] " + messages.msg("erase.nobody", lang, how=how))
    print("[dbmkit] " + messages.msg("erase.ledger", lang, ledger=done["ledger"]))
    return 0


def _cmd_compare(a) -> int:
    from .report.compare import CompareError, compare_reports
    try:
        print(compare_reports(a.report_a, a.report_b, show_all=a.all, lang=a.language))
    except CompareError as e:
        lang = a.language or messages.language()
        print("[dbmkit] " + messages.msg("error", lang, text=messages.error_text(e, lang)), file=sys.stderr)
        return 2
    return 0


def _cmd_lab(a) -> int:
    from .lab import LabError, run_lab
    try:
        return run_lab(a.config, port=a.port, browser=not a.no_browser, lang=cli_language(a))
    except LabError as e:
        lang = cli_language(a)
        print("[dbmkit] " + messages.msg("error", lang, text=messages.error_text(e, lang)), file=sys.stderr)
        return 2


def _cmd_site(a) -> int:
    from .report.site import SiteError, build_site
    try:
        res = build_site(a.report_dir, a.out)
    except SiteError as e:
        lang = _report_language(a.report_dir) or cli_language(a)
        print("[dbmkit] " + messages.msg("error", lang, text=messages.error_text(e, lang)), file=sys.stderr)
        return 2
    print("[dbmkit] " + messages.msg("site.built", res.get("language") or cli_language(a), pages=len(res["pages"]),
                                     entries=res["search_entries"], uri=(Path(res["out"]) / "index.html").resolve()
                                     .as_uri(), out=a.out))
    return 0


def _report_language(report_dir) -> str | None:
    """The language of the report in ``report_dir`` (its status.json), None when it has none or cannot be read."""
    try:
        lang = json.loads((Path(report_dir) / "status.json").read_text(encoding="utf-8")).get("language")
    except (OSError, ValueError, AttributeError):
        return None
    return lang if lang in ("en", "zh") else None


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
    p.add_argument("--engine", choices=["duckdb", "spark"],
                   help="where the transaction-level SQL runs, and the session of `url: spark` sources (default: "
                        "the config's engine, else duckdb; the build itself always runs on DuckDB); docs/SCALE.md")
    p.add_argument("--spark-master", metavar="URL",
                   help="the Spark master with --engine spark: local[N], spark://host:7077, yarn or sc://host:15002")
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


def _jobs(text: str) -> int:
    """``--jobs N``: a whole number, 1 or more."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"--jobs {text}: give a whole number of chapters to run at a time, 1 or "
                                         "more (1 runs them one after another)")
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dbmkit", description="Database marketing workbook: reports per client.")
    p.add_argument("--version", action="version", version=f"dbmkit {__version__}")
    _talk_flags(p, top=True)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report", help="run the workbook for a client and write the HTML report")
    _common(r, report=True)
    r.add_argument("--phases", nargs="*", help="phases (1–4, 9) or chapter numbers (21) to run")
    r.add_argument("--timeout", type=int, help="seconds per notebook")
    r.add_argument("--jobs", type=_jobs, metavar="N",
                   help="chapters run at a time when they do not depend on each other (default: report.jobs, or "
                        "the cores, at most 4; 1 = one after another)")
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
    lang = cli_language(a)
    try:
        return func(a)
    except OverrideError as e:
        for line in e.lines():
            if lang == "zh":
                key, _, text = line.partition(": ")
                line = messages.config_error_text([(key, text)], None, lang).splitlines()[1][4:]
            print("[dbmkit] " + messages.msg("error.set", lang, text=line), file=sys.stderr)
        return 2
    except (ConfigError, IngestError, PreflightError, LedgerError, FileExistsError) as e:
        text = e
        if lang == "zh" and isinstance(e, ConfigError):
            text = messages.config_error_text(e.problems, e.source, lang)
        elif lang == "zh" and isinstance(e, IngestError):
            text = messages.ingest_error_text(str(e), e.file, e.column, e.row, e.fix, lang)
        elif lang == "zh":                  # a folder, a busy work folder, an existing file, the erasure ledger
            text = messages.error_text(e, lang)
        print("[dbmkit] " + messages.msg("error", lang, text=text), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("[dbmkit] " + messages.msg("error.interrupted", lang), file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - a message, not a traceback; DBMKIT_DEBUG=1 shows it
        if os.environ.get("DBMKIT_DEBUG"):
            raise
        text = " ".join(str(e).split())
        print("[dbmkit] " + messages.msg("error.unexpected", lang, kind=type(e).__name__,
                                         text=": " + text[:300] if text else ""), file=sys.stderr)
        return 3


def cli_language(a) -> str:
    """The language of a command's messages: the ``language:`` of the config it was given (read without
    validating it, so that an error in the config is told in the client's language too), else ``DBMKIT_LANGUAGE``.

    >>> import argparse
    >>> zh = Path(__file__).resolve().parents[1] / "clients" / "demo_zh.yaml"
    >>> cli_language(argparse.Namespace(config=str(zh))), cli_language(argparse.Namespace(config="no/such.yaml"))
    ('zh', 'en')
    """
    path = getattr(a, "config", None)
    return (messages.config_language(path) if isinstance(path, str) else None) or messages.language()


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
