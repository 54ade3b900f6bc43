"""The commented YAML draft of a client config (:func:`draft_config`) and :func:`new_client`, which writes it after
checking that it loads: every guess says why, every column that could not be placed is listed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import textwrap
from pathlib import Path

from ..config import ConfigError, load_config
from ..ingest import IngestError
from .mapping import SALES_TABLES, SourceDraft, customers_column, draft_source

__all__ = ["draft_config", "new_client"]


def _y(v) -> str:
    """A YAML scalar (JSON strings are valid YAML and keep Chinese readable)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def _comment(text: str, width: int = 110, indent: str = "") -> list[str]:
    return [f"{indent}# {ln}" for ln in textwrap.wrap(text, width=width - len(indent) - 2)] or [f"{indent}#"]


_REGION = {"CNY": "CN", "EUR": "DE", "GBP": "GB", "USD": "US", "JPY": "JP"}


def draft_config(name: str, files: list, directory: str | os.PathLike = "clients") -> tuple[str, list[SourceDraft]]:
    """The YAML text of a commented client config for ``files`` (written into ``directory``) and the drafts."""
    directory = Path(directory).resolve()
    drafts = [draft_source(f) for f in files]
    if not any(d.table in SALES_TABLES for d in drafts):
        found = ", ".join(f"{Path(d.path).name} → {d.table}" for d in drafts)
        raise IngestError(f"none of the files looks like a sales file ({found})",
                          fix="give at least one file with one row per order (order id, customer, date, amount) or "
                              "per invoice line (order id, customer, date, product, quantity, unit price)")
    language = "zh" if any(d.language == "zh" for d in drafts) else "en"
    cur = next((d.currency for d in drafts if d.currency), None) or ("CNY" if language == "zh" else "USD")
    cur_why = ("found in the amounts" if any(d.currency for d in drafts) else
               "Chinese headers" if language == "zh" else "default; change it if the amounts are in another currency")
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    title = name.replace('_', ' ').replace('-', ' ').title() + (
        ' — 数据库营销报告' if language == 'zh' else ' — database marketing report')
    out = [f"# Client config drafted by `dbmkit new-client` on {now} from {len(files)} file(s).",
           "# Every guess is commented: check the mapping (canonical column: column in the file), then run",
           f"#     dbmkit check {_rel(directory / (name + '.yaml'))}",
           "# and fix what it reports. Every field is explained in docs/CONFIG.md.",
           f"client: {name}",
           f"title: {_y(title)}",
           f"language: {language}           # en or zh (Chinese headings, labels and charts)"
           + ("; guessed from the headers" if language == "zh" else ""),
           f"currency: {cur}           # {cur_why}",
           "# analysis_date: 2024-12-31   # the as-of date of the analysis; default: the last day with orders",
           "data:",
           f"  default_phone_region: {_REGION.get(cur, 'US')}   "
           "# country of phone numbers written without +<country code>",
           "  # timezone: UTC   # the client's time zone (e.g. Europe/Berlin, Asia/Shanghai): time-zone-aware "
           "timestamps are converted to its local time",
           "  sources:"]
    by_table: dict[str, list[SourceDraft]] = {}
    for d in drafts:
        by_table.setdefault(d.table, []).append(d)
    for table, ds in by_table.items():
        out.append(f"    {table}:")
        for d in ds:
            out += _source_yaml(d, directory)
    costs = any("cost" in d.columns or "unit_cost" in d.columns for d in drafts)
    out += ["economics:",
            "  gross_margin: 0.40       # " + ("used only where costs are missing" if costs else
                                              "no product costs in the files: margin = revenue × gross_margin; "
                                              "set the client's real margin"),
            "  # cost_per_contact: {email: 0.02, sms: 0.06, mail: 0.85, phone: 4.50}",
            "report:",
            "  phases: null             # all chapters; e.g. ['1', '2'] for phases 1–2. Chapters whose inputs are "
            "missing are skipped with a note"]
    missing_tables = [t for t in ("customers", "consents", "campaigns", "contacts", "email_events")
                      if t not in by_table]
    if missing_tables:
        out += ["", "# Not provided yet (the report skips or simplifies the chapters that need them):"]
        hints = {"customers": "customers — names, e-mails, phones, addresses: merge/purge, households, contactability",
                 "consents": "consents — opt-in/opt-out per channel: who may be contacted",
                 "campaigns": "campaigns — past campaigns with costs: response models",
                 "contacts": "contacts — who was mailed and who was held out: lift over control",
                 "email_events": "email_events — sends, opens, clicks: e-mail KPIs"}
        out += [f"#   {hints[t]}" for t in missing_tables]
    return "\n".join(out) + "\n", drafts


def _rel(p: Path) -> str:
    try:
        r = os.path.relpath(p, Path.cwd())
    except ValueError:
        return str(p)
    return str(p) if r.startswith(".." + os.sep + "..") else r


def _path_for(d: SourceDraft, directory: Path) -> str:
    p = Path(d.path).resolve()
    try:
        r = os.path.relpath(p, directory)
    except ValueError:
        return str(p)
    return str(p) if r.count("..") > 2 else r


def _source_yaml(d: SourceDraft, directory: Path) -> list[str]:
    i = d.info
    out = _comment(f"{Path(d.path).name}: {d.table} — {d.table_why}", indent="      ")
    out.append(f"      - path: {_y(_path_for(d, directory))}")
    fmt = i.get("format")
    out.append(f"        format: {fmt}")
    if fmt == "csv":
        enc = i.get("encoding") or "utf-8"
        out.append(f"        encoding: {_y(enc.replace('+mixed', ''))}" + ("    # detected" if enc else ""))
        out.append(f"        delimiter: {_y(i.get('delimiter'))}     # detected")
    if fmt == "excel" and i.get("sheets"):
        sheet = i.get("sheet") or i["sheets"][0]
        others = [x for x in i["sheets"] if x != sheet]
        out.append(f"        sheet: {_y(sheet)}" + (f"    # the workbook also has {others}" if others else ""))
    if fmt in ("csv", "excel"):
        h = i.get("header_row") or 0
        out.append(f"        header_row: {h}" + (f"      # {h} title row(s) above the column names" if h else
                                                 "      # the first row holds the column names"))
    if d.decimal == ",":
        out.append('        decimal: ","        # amounts are written with a decimal comma (1.234,50)')
    if d.date_format:
        note = d.date_note or "detected from the values"
        out.append(f"        date_format: {_y(d.date_format)}   # {note}")
    out.append(f"        source_system: {_y('sales' if d.table in SALES_TABLES else d.table)}")
    out.append("        columns:")
    if not d.columns:
        out.append("          {}")
    for g in d.guesses:
        out.append(f"          {g.canonical}: {_y(g.column)}")
        out += _comment(g.why, indent="            ")
    if d.missing:
        out += _comment("NOT FOUND (required): " + ", ".join(d.missing) + " — add `canonical: column` lines above",
                        indent="          ")
    if d.unplaced:
        out.append("        # columns not placed:")
        for c, note in d.unplaced:
            out += [ln.replace("# ", "#   ", 1) if k else ln.replace("# ", "# - ", 1)
                    for k, ln in enumerate(_comment(f"'{c}': {note}", indent="        "))]
    people = {c: customers_column(c, d) for c, _ in d.unplaced}
    people = {k: v for k, v in people.items() if v}
    if d.table in SALES_TABLES and people and "customer_id" in d.columns:
        out.append("    # customers:   # the file also names the buyers; uncomment to load them as customer records")
        out.append("    #              # (repeated rows of one buyer are quarantined as duplicates; a separate")
        out.append("    #              # customer file is better)")
        out.append(f"    #   - path: {_y(_path_for(d, directory))}")
        for k in ("format", "encoding", "delimiter", "header_row"):
            if d.info.get(k) is not None and not (k == "header_row" and d.info.get("format") == "parquet"):
                out.append(f"    #     {k}: {_y(d.info[k]) if isinstance(d.info[k], str) else d.info[k]}")
        cols = {"customer_id": d.columns["customer_id"], **{v: k for k, v in people.items()}}
        out.append("    #     columns: {" + ", ".join(f"{k}: {_y(v)}" for k, v in cols.items()) + "}")
    for n in d.notes:
        out += _comment("note: " + n, indent="        ")
    return out


def new_client(name: str, files: list, directory: str | os.PathLike = "clients", force: bool = False) -> Path:
    """Write ``directory/NAME.yaml``, a commented draft config for the client's files; returns its path.

    The draft is validated with :func:`dbmkit.config.load_config` before it is written (it never writes a config
    that cannot be read). Raises ``FileExistsError`` when the file exists and ``force`` is False.
    """
    if not files:
        raise IngestError("no files given", fix="dbmkit new-client NAME sales.csv [customers.xlsx …]")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}", name):
        raise ConfigError([("client", "use letters, digits, '-' and '_' only (it names folders), e.g. 'acme_retail'")])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.yaml"
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; choose another name or pass --force to overwrite it")
    text, drafts = draft_config(name, [Path(f) for f in files], directory)
    tmp = directory / f".{name}.draft.yaml"
    tmp.write_text(text, encoding="utf-8")
    try:
        load_config(tmp)
    except BaseException:
        tmp.unlink()
        raise
    os.replace(tmp, target)
    new_client.last_drafts = drafts
    return target


new_client.last_drafts = []
