"""Which canonical table a client's file feeds and how its columns map onto it: header names first
(:mod:`~dbmkit.consultant.headers`), then the values (:mod:`~dbmkit.consultant.profile`) for required columns no
header named; :func:`draft_source` returns the :class:`SourceDraft` of one file, every guess with its reason.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import schema
from ..ingest import IngestError, detect_file, read_table_preview
from .headers import header_score, normalise_header
from .profile import ColumnProfile, profile_column
from .sniff import not_a_table

__all__ = ["SALES_TABLES", "GUESSABLE", "KIND_FITS", "Guess", "SourceDraft", "draft_source", "customers_column"]

SALES_TABLES = ("orders", "sales_lines")
# the tables a draft may propose, in the order they are tried when scores tie
GUESSABLE = ("sales_lines", "orders", "order_items", "customers", "products", "campaigns", "contacts",
             "responses", "consents", "email_events", "sms_events", "area_demographics")


@dataclass
class Guess:
    canonical: str
    column: str
    score: float
    why: str


@dataclass
class SourceDraft:
    """The draft for one file: detected settings, the table it feeds, the mapping and notes."""
    path: str
    info: dict
    table: str
    table_why: str
    columns: dict[str, str]
    guesses: list[Guess]
    unplaced: list[tuple[str, str]]          # (column, description)
    missing: list[str]                        # required canonical columns not found
    notes: list[str] = field(default_factory=list)
    decimal: str = "."
    date_format: str | None = None
    date_note: str = ""
    currency: str | None = None
    language: str | None = None
    rows: int = 0
    profiles: pd.DataFrame | None = None


# what the values of a column may be for each canonical column type
KIND_FITS = {
    "id": {"id", "int", "code"},
    "text": {"text", "code", "id", "int", "email", "phone"},
    "date": {"date", "datetime"},
    "timestamp": {"date", "datetime"},
    "money": {"decimal", "int"},
    "number": {"decimal", "int"},
    "int": {"int"},
    "bool": {"bool", "int"},
    "enum": {"text", "code", "bool"},
}


_STRICT_ENUMS = {"order_status", "consent_channel", "consent_status", "contact_group", "email_event", "sms_event",
                 "gender"}


def _enum_share(enum: str, prof: ColumnProfile) -> float:
    """Share of the column's frequent values that are known values (or synonyms) of ``enum``."""
    if not prof.top_values:
        return 0.0
    syn = schema.SYNONYMS[enum]
    key = [str(v).strip().lower().replace("-", "_").replace(" ", "_") for v in prof.top_values]
    known = {k.replace("-", "_").replace(" ", "_") for k in syn}
    return sum(k in known for k in key) / len(key)


def _fits(canon_type: str, canon: str, prof: ColumnProfile, enum: str | None = None) -> bool:
    if prof.kind == "empty":
        return False
    if enum in _STRICT_ENUMS and _enum_share(enum, prof) < 0.5:
        return False
    if canon == "email":
        return prof.kind == "email"
    if canon == "phone":
        return prof.kind in ("phone", "int", "id", "code")
    if canon in ("quantity",):
        return prof.kind in ("int", "decimal")
    return prof.kind in KIND_FITS.get(canon_type, {"text"})


def _value_note(prof: ColumnProfile) -> str:
    ex = ", ".join(repr(x) for x in prof.examples[:2])
    what = {"date": "dates", "datetime": "dates with times", "int": "whole numbers", "decimal": "amounts",
            "id": "ids", "code": "codes", "email": "e-mail addresses", "phone": "phone numbers", "bool": "yes/no flags",
            "text": "text"}.get(prof.kind, prof.kind)
    extra = ""
    if prof.kind in ("int", "decimal") and prof.negative_share:
        extra = f"; {100 * prof.negative_share:.1f} % negative"
    if prof.letter_prefix and prof.letter_prefix_share < 0.5:
        extra = f"; {100 * prof.letter_prefix_share:.1f} % start with '{prof.letter_prefix}'"
    return f"values are {what} (e.g. {ex}){extra}"


def _map_table(table: str, profiles: dict[str, ColumnProfile]) -> tuple[dict[str, Guess], float]:
    """Header-and-value mapping of the file's columns onto ``table``; returns guesses and a fit score."""
    cols = {c.name: c for c in schema.source_columns(table)}
    cand = []
    for canon, col in cols.items():
        for src, prof in profiles.items():
            hs, why = header_score(canon, src)
            if hs <= 0:
                continue
            if not _fits(col.type, canon, prof, col.enum):
                continue
            cand.append(Guess(canon, src, hs, f"{why}; {_value_note(prof)}"))
    cand.sort(key=lambda g: (-g.score, list(cols).index(g.canonical)))
    chosen: dict[str, Guess] = {}
    used: set[str] = set()
    for g in cand:
        if g.canonical in chosen or g.column in used:
            continue
        chosen[g.canonical] = g
        used.add(g.column)
    _fill_by_values(table, profiles, chosen, used)
    required = _required(table)
    if table == "orders":          # one of the two amounts is required
        required += ["net_amount"] if "net_amount" in chosen else ["gross_amount"]
    got = set(chosen)
    score = sum(2 * g.score for c, g in chosen.items() if c in required) + \
        sum(0.5 * g.score for c, g in chosen.items() if c not in required)
    missing = [r for r in required if r not in got]
    score -= 2.5 * len(missing)
    return chosen, score


def _id_like_header(name: str) -> bool:
    """Headers that name a key ('campaign_id', 'Kunden-Nr', '客户编号'): their numbers are never amounts."""
    h = normalise_header(name)
    return bool(re.search(r"(id|key|code|nr|no|number|num|编号|号|代码|编码)$", h)) or h in ("upc", "ean", "sku")


def _required(table: str) -> list[str]:
    """Canonical columns a source of ``table`` must map (an order file may leave out order_id: ingest then numbers
    its rows, one order per row)."""
    return [c for c in schema.REQUIRED_MAPPING.get(table, []) if not (table == "orders" and c == "order_id")]


def _fill_by_values(table: str, profiles: dict[str, ColumnProfile], chosen: dict[str, Guess], used: set) -> None:
    """Place required columns of ``table`` that no header named, from what the values look like."""
    free = {k: p for k, p in profiles.items() if k not in used and p.kind != "empty"}
    numbers = {k for k in free if not _id_like_header(k)}       # 'campaign_id' holds numbers, not amounts

    need = set(schema.REQUIRED_MAPPING.get(table, []))
    if table in ("orders", "sales_lines"):
        need |= {"customer_id", "order_ts"}
    if table == "orders" and "gross_amount" not in chosen:
        need.add("net_amount")
    # dates first: the first date column with times, else the first date column
    if "order_ts" in need or "response_ts" in need or "event_ts" in need or "updated_at" in need:
        target = next(c for c in ("order_ts", "response_ts", "event_ts", "updated_at") if c in need)
        dates = sorted([(k, p) for k, p in free.items() if p.kind in ("date", "datetime")],
                       key=lambda kp: (kp[1].kind != "datetime"))
        if dates and target not in chosen:
            k, p = dates[0]
            chosen[target] = Guess(target, k, 0.4,
                                   f"guessed from the values: the {'only' if len(dates) == 1 else 'first'} "
                                   f"date column; {_value_note(p)}")
            used.add(k)
            free.pop(k)
    # numbers: quantities are small whole numbers, amounts have decimals
    if "quantity" in need and "quantity" not in chosen:
        qs = [(k, p) for k, p in free.items() if k in numbers and p.kind == "int" and p.median is not None
              and abs(p.median) <= 50 and (p.max_abs or 0) < 100_000]
        if qs:
            k, p = min(qs, key=lambda kp: abs(kp[1].median or 0))
            chosen["quantity"] = Guess("quantity", k, 0.4,
                                       f"guessed from the values: small whole numbers; {_value_note(p)}")
            used.add(k)
            free.pop(k)
    for canon in ("unit_price", "net_amount"):
        if canon in need and canon not in chosen:
            am = [(k, p) for k, p in free.items() if k in numbers and p.kind == "decimal"] or \
                 [(k, p) for k, p in free.items() if k in numbers and p.kind == "int" and (p.median or 0) > 0]
            if am:
                # the order amount is the larger one (a gross or tax column aside); a unit price the first one
                k, p = (max(am, key=lambda kp: kp[1].median or 0) if canon == "net_amount" else am[0])
                chosen[canon] = Guess(canon, k, 0.4, f"guessed from the values: amounts; {_value_note(p)}")
                used.add(k)
                free.pop(k)
    # keys: an order id is (nearly) unique per order, repeats on invoice lines; a customer id repeats more
    ids = [(k, p) for k, p in free.items() if p.kind in ("id", "int", "code") and p.distinct >= 2
           and not (p.kind == "int" and (p.max_abs or 0) < 100 and p.distinct < 20)]
    ids_unique = []
    if table == "orders":
        need.add("order_id")
        ids_unique = [kp for kp in ids if kp[1].unique_ratio >= 0.95]     # an order id is unique per row
    if "order_id" in need and "order_id" not in chosen and (ids_unique if table == "orders" else ids):
        if table == "orders":
            k, p = max(ids_unique, key=lambda kp: kp[1].unique_ratio)
        else:
            k, p = max(ids, key=lambda kp: (kp[1].kind != "code", kp[1].letter_prefix is not None, kp[1].distinct))
        chosen["order_id"] = Guess("order_id", k, 0.35, f"guessed from the values: "
                                                      f"{100 * p.unique_ratio:.0f} % distinct ids; {_value_note(p)}")
        used.add(k)
        free.pop(k)
        ids = [(a, b) for a, b in ids if a != k]
    if "product_id" in need and "product_id" not in chosen and ids:
        codes = [kp for kp in ids if kp[1].kind == "code"] or ids
        k, p = codes[0]
        chosen["product_id"] = Guess("product_id", k, 0.35, f"guessed from the values: product codes; {_value_note(p)}")
        used.add(k)
        free.pop(k)
        ids = [(a, b) for a, b in ids if a != k]
    if "customer_id" in need and "customer_id" not in chosen and ids:
        rep = [kp for kp in ids if kp[1].unique_ratio < 0.95] or ids
        k, p = min(rep, key=lambda kp: kp[1].unique_ratio)
        chosen["customer_id"] = Guess("customer_id", k, 0.35, f"guessed from the values: ids that repeat "
                                                            f"({p.distinct:,} distinct); {_value_note(p)}")
        used.add(k)
        free.pop(k)


def _choose_table(profiles: dict[str, ColumnProfile]) -> tuple[str, dict[str, Guess], str]:
    """The table a file feeds: invoice lines and orders need real evidence (named columns, an amount); otherwise
    the table whose mapping scores best."""
    maps = {t: _map_table(t, profiles) for t in GUESSABLE}
    lines, lscore = maps["sales_lines"]
    orders, oscore = maps["orders"]
    others = max(score for t, (_, score) in maps.items() if t not in SALES_TABLES)
    has = set(lines)
    named = sum(1 for c in ("product_id", "quantity", "unit_price") if c in lines and lines[c].score >= 0.55)
    line_shape = {"product_id", "quantity", "unit_price"} <= has and "order_ts" in has and named >= 2
    if line_shape and lscore >= others:
        oid = lines.get("order_id")
        rep = profiles[oid.column].unique_ratio if oid else 1.0
        why = ("one row per invoice line: product, quantity and unit price"
               + (f"; an order id repeats over lines ({100 * rep:.0f} % distinct)" if oid and rep < 1 else ""))
        return "sales_lines", lines, why
    amount = orders.get("net_amount") or orders.get("gross_amount")
    if "order_ts" in orders and amount is not None and oscore >= others and (
            amount.score >= 0.55 or profiles[amount.column].kind == "decimal"):
        return "orders", orders, "one row per order: a date and an order amount"
    best = max(GUESSABLE, key=lambda t: (maps[t][1], -GUESSABLE.index(t)))
    return best, maps[best][0], "the columns fit this table best"


def _one_line(e: Exception) -> str:
    text = str(e).splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def draft_source(path: str | os.PathLike, sample_rows: int = 5000, **detect) -> SourceDraft:
    """Detect the format of one file and draft its mapping: the table it feeds, canonical → file column.

    Returns a :class:`SourceDraft` with ``table``, ``columns`` (the mapping), ``guesses`` (each with its reason),
    ``unplaced`` columns and the ``missing`` required ones.
    """
    path = Path(path)
    if not path.exists():
        raise IngestError(f"file not found: {path}", file=str(path), fix="check the path of the file")
    problem = not_a_table(path)
    if problem:
        raise IngestError(problem[0], file=str(path), fix=problem[1])
    try:
        info = detect_file(path, **detect)
    except IngestError:
        raise
    except Exception as e:  # noqa: BLE001 - a file no reader can make out: say so, never a deep traceback
        raise IngestError(f"cannot make out a table in the file ({_one_line(e)})", file=str(path),
                          fix="open it to check it is a table with a header row and one row per record; "
                              "export it again as CSV or Excel") from None
    try:
        sample = read_table_preview(path, n=sample_rows, **detect)
    except IngestError:
        raise
    except Exception as e:  # noqa: BLE001 - report what could not be read, never a deep traceback
        raise IngestError(f"cannot read a preview of the file ({_one_line(e)})",
                          file=str(path),
                          fix="open the file to check it is a table; export it as CSV or Excel") from None
    for c in list(sample.columns):
        if c.startswith("_"):
            sample = sample.drop(columns=c)
    profiles = {c: profile_column(c, sample[c]) for c in sample.columns}
    table, chosen, why = _choose_table(profiles)
    columns = {c.name: chosen[c.name].column for c in schema.source_columns(table) if c.name in chosen}
    required = _required(table)
    missing = [r for r in required if r not in columns]
    if table == "orders" and not ({"net_amount", "gross_amount"} & set(columns)):
        missing.append("net_amount")
    used = set(columns.values())
    unplaced = []
    for c, p in profiles.items():
        if c in used:
            continue
        unplaced.append((c, _unplaced_note(c, p, table)))
    draft = SourceDraft(path=str(path), info=info, table=table, table_why=why, columns=columns,
                        guesses=[chosen[k] for k in columns], unplaced=unplaced, missing=missing,
                        rows=len(sample), profiles=pd.DataFrame([p.__dict__ for p in profiles.values()]))
    mapped = [profiles[s] for s in columns.values()]
    if any(p.decimal_comma for p in mapped if p.kind in ("decimal", "int")):
        draft.decimal = ","
    dates = [profiles[columns[c]] for c in ("order_ts",) if c in columns] or \
        [p for p in mapped if p.kind in ("date", "datetime")]
    if dates and dates[0].date_format:
        draft.date_format = dates[0].date_format
        draft.date_note = dates[0].date_note
    cur = [p.currency for p in mapped if p.currency]
    draft.currency = cur[0] if cur else None
    cjk_headers = sum(bool(re.search(r"[\u4e00-\u9fff]", str(c))) for c in profiles) / max(len(profiles), 1)
    cjk_values = max([p.cjk_share for p in profiles.values()] or [0])
    draft.language = "zh" if cjk_headers >= 0.5 or cjk_values >= 0.5 else None
    _notes(draft, profiles)
    return draft


def _unplaced_note(col: str, p: ColumnProfile, table: str) -> str:
    hints = []
    for other in ("customers", "products"):
        if other == table:
            continue
        for c in schema.source_columns(other):
            if c.name in ("customer_id", "product_id"):
                continue
            hs, _ = header_score(c.name, col)
            if hs >= 0.85 and _fits(c.type, c.name, p, c.enum):
                hints.append(f"a {other} file could use it as `{c.name}`")
                break
    if p.kind in ("email", "phone"):
        hints.append("personal data: map it in a `customers` source "
                     "(then it is cleaned, matched and masked in reports)")
    desc = _value_note(p) if p.kind != "empty" else "empty in the sample"
    if p.kind == "text" and p.distinct <= 30:
        desc += f"; {p.distinct} distinct value(s)"
    return desc + ("; " + "; ".join(hints) if hints else "; no canonical column: ignored")


def customers_column(col: str, d: SourceDraft) -> str | None:
    """The customers column an unplaced column of a sales file would feed (names, e-mails, phones …)."""
    prof = d.profiles.set_index("column").loc[col] if d.profiles is not None else None
    for c in schema.source_columns("customers"):
        if c.name == "customer_id":
            continue
        hs, _ = header_score(c.name, col)
        if hs >= 0.85 and (prof is None or _fits(c.type, c.name, _as_profile(prof, col), c.enum)):
            return c.name
    return None


def _as_profile(row: pd.Series, col: str) -> ColumnProfile:
    d = row.to_dict()
    d["column"] = col
    return ColumnProfile(**d)


def _notes(d: SourceDraft, profiles: dict[str, ColumnProfile]) -> None:
    cols = d.columns
    if d.table == "sales_lines":
        q = profiles.get(cols.get("quantity", ""), None)
        oid = profiles.get(cols.get("order_id", ""), None)
        if oid is not None and oid.letter_prefix:
            d.notes.append(f"order ids starting with '{oid.letter_prefix}' "
                           f"({100 * oid.letter_prefix_share:.1f} % of the lines) look like cancellations; "
                           "lines with negative quantities become returns in the build")
        elif q is not None and q.negative_share:
            d.notes.append(f"{100 * q.negative_share:.1f} % of the lines have negative quantities: the build treats "
                           "them as returns (negative revenue)")
        for c, p in profiles.items():
            if c not in cols.values() and p.kind == "decimal" and header_score("net_amount", c)[0] > 0:
                d.notes.append(f"'{c}' looks like a line total; the build computes quantity × unit price itself")
        up = cols.get("unit_price")
        if up and header_score("unit_price", up)[0] == 0 and header_score("net_amount", up)[0] > 0:
            d.notes.append(f"CHECK: unit_price ← '{up}', which is named like a line total. If it is quantity × price, "
                           f"map unit_price to a price column, or keep it and set `constants: {{quantity: 1}}` "
                           f"(revenue right, unit counts lost)")
    cid = profiles.get(cols.get("customer_id", ""), None)
    if cid is not None and d.rows:
        missing = 1 - cid.non_null / d.rows
        if missing > 0.001:
            d.notes.append(f"{100 * missing:.1f} % of the rows have no customer id: they are kept as anonymous sales "
                           "(counted in revenue, left out of customer analysis)")
    if d.table == "orders" and "order_id" not in cols:
        d.notes.append("no order id found: each row is taken as one order and numbered by its row in the file; "
                       "map `order_id` if the file has one")
    if d.table in SALES_TABLES and "customer_id" not in cols:
        d.notes.append("no customer id found: without it no customer analysis is possible; map the column that "
                       "identifies the buyer (member card, account, e-mail …)")
    if d.date_note.startswith("AMBIGUOUS"):
        d.notes.append("dates: " + d.date_note)
    for m in d.missing:
        d.notes.append(f"required column `{m}` of {d.table} not found: map it by hand under `columns:`")
