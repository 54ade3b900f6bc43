"""Typing values: the DuckDB SQL that turns a source's text into the canonical types (ids, dates in many formats,
amounts with currency symbols and decimal commas, yes/no, codes) and names the problem of a value it cannot read.

>>> import duckdb
>>> duckdb.sql(f"SELECT {trimmed_or_null(quote_text(' N/A '))}, {trimmed_or_null(quote_text(' 12 '))}").fetchall()
[(None, '12')]
"""
from __future__ import annotations

import datetime as dt

from .. import schema
from ..config import SourceFile
from .errors import NULL_LIKE, quote_name, quote_text
from .numbers import Convention, number_problem, number_value


def trimmed_or_null(expr: str) -> str:
    null_list = ", ".join(quote_text(x) for x in NULL_LIKE)
    return (f"(CASE WHEN lower(trim(CAST({expr} AS VARCHAR))) IN ({null_list}) THEN NULL "
            f"ELSE trim(CAST({expr} AS VARCHAR)) END)")


# Time-zone suffixes ("Z", "+08:00") are dropped before parsing: timestamps are the client's local time, without zone
# (a %z format would turn every value into a TIMESTAMPTZ and shift it by the machine's zone).
DATE_FORMATS_ISO = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d",
                    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d", "%Y年%m月%d日", "%Y年%m月%d日 %H:%M:%S",
                    "%Y.%m.%d", "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y",
                    "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S"]


def _date_formats(con, stg: str, col: str, fmt: str | None) -> list[str]:
    """Formats to try, in order: the config's, then ISO and Chinese, then day- or month-first by the data."""
    out = []
    if fmt:
        out += [fmt, fmt + " %H:%M", fmt + " %H:%M:%S"]
    # day-first or month-first? count slash-dates whose first number exceeds 12 vs whose second does
    r = con.execute(
        f"SELECT sum(CASE WHEN TRY_CAST(split_part(v, '/', 1) AS INT) > 12 THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN TRY_CAST(split_part(split_part(v, '/', 2), ' ', 1) AS INT) > 12 THEN 1 ELSE 0 END) "
        f"FROM (SELECT trim(CAST({quote_name(col)} AS VARCHAR)) AS v FROM {stg} "
        f"WHERE regexp_matches(trim(CAST({quote_name(col)} AS VARCHAR)), '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') "
        f"LIMIT 200000)").fetchall()[0]
    day_first = (r[0] or 0) >= (r[1] or 0)
    slash = ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]
    slash_m = ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"]
    out += DATE_FORMATS_ISO + (slash + slash_m if day_first else slash_m + slash) + ["%d/%m/%y", "%m/%d/%y"]
    seen = set()
    return [f for f in out if not (f in seen or seen.add(f))]


def coerce(c: schema.Col, v: str, out: str, con, stg: str, src_col: str | None, spec: SourceFile,
           conv: Convention | None = None, limit: tuple[float | None, str | None] = (None, None),
           window: tuple[dt.date, dt.date] | None = None):
    """SQL expressions of the typed value (from the cleaned text column ``v``) and of the problem, which may refer
    to the typed column ``out`` (NULL when fine). Each expression is used once, so the SQL stays small.

    ``conv``: a numeric column's decimal convention (:func:`dbmkit.ingest.numbers.decide_convention`; default a
    decimal point); ``limit``: the largest absolute value of a numeric column and the setting that holds it;
    ``window``: the first and last plausible day of a date column (values outside are refused)."""
    name = c.name
    q3 = "''''"     # SQL literal of one quote
    if c.type == "id":       # text, never a number: leading zeros stay; "123.0" from a spreadsheet becomes "123"
        val = f"regexp_replace(regexp_replace({v}, '^([0-9]+)\\.0+$', '\\1'), '\\s+', ' ', 'g')"
        if name == "customer_id" and spec.id_prefix:
            val = f"({quote_text(spec.id_prefix)} || {val})"
        return val, "NULL"
    if c.type == "text":
        return v, "NULL"
    if c.type in ("date", "timestamp"):
        fmts = _date_formats(con, stg, src_col, spec.date_format) if src_col else DATE_FORMATS_ISO
        fl = "[" + ", ".join(quote_text(f) for f in fmts) + "]"
        # Excel serial day numbers (e.g. 45123) as well as text dates
        naive = (f"regexp_replace({v}, "
                 f"'([0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?)\\s*(Z|UTC|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$', "
                 f"'\\1')")
        ts = (f"CAST(COALESCE(try_strptime({naive}, {fl}), CASE WHEN regexp_matches({v}, '^[0-9]{{5}}(\\.[0-9]+)?$') "
              f"THEN TIMESTAMP '1899-12-30' + to_days(CAST(floor(CAST({v} AS DOUBLE)) AS INTEGER)) END) AS TIMESTAMP)")
        val = f"CAST({ts} AS DATE)" if c.type == "date" else ts
        prob = (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL THEN '{name}: cannot read ' || {q3} || left({v}, 40) "
                f"|| {q3} || ' as a date' END")
        if window:
            lo, hi = (quote_text(d.isoformat()) for d in window)
            base = val
            val = f"(SELECT CASE WHEN t >= DATE {lo} AND t < DATE {hi} + 1 THEN t END FROM (SELECT {val} AS t))"
            # (a date after the window and after tomorrow is "in the future", as the build's row rule says)
            day = f"strftime({ts}, '%Y-%m-%d')"
            prob = (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL THEN CASE WHEN {ts} IS NULL THEN '{name}: cannot "
                    f"read ' || {q3} || left({v}, 40) || {q3} || ' as a date' "
                    f"WHEN {ts} < DATE {lo} THEN '{name}: date before the plausible dates (' || {day} || "
                    f"': they start {window[0]}, `data.dates`)' "
                    f"WHEN {ts} > current_date + 1 THEN '{name}: date in the future (' || CAST({base} AS VARCHAR) "
                    f"|| ', after the plausible dates, which end {window[1]}: `data.dates`)' "
                    f"ELSE '{name}: date after the plausible dates (' || {day} || ': they end {window[1]}, "
                    f"`data.dates`)' END END")
        return val, prob
    if c.type in ("money", "number", "int"):
        conv = conv or Convention(decimal=spec.decimal or ".", explicit=bool(spec.decimal))
        num = number_value(v, conv, limit[0])
        if c.type == "int":
            num = f"TRY_CAST(round({num}) AS BIGINT)"
        return num, number_problem(name, v, out, conv, limit[0], limit[1])
    if c.type == "bool":
        low = f"lower({v})"
        if name == "deceased":
            true_words = {"y", "yes", "1", "true", "t", "x", "是", "deceased", "dead", "已故", "1.0"}
            false_words: set[str] = set()
        elif name == "gone_away":
            true_words = {"y", "yes", "1", "true", "t", "x", "是", "gone away", "gone_away", "goneaway", "moved",
                          "地址无效", "1.0", "returned mail"}
            false_words = set()
        else:
            true_words = set(schema.TRUE_WORDS) - {"deceased", "已故", "gone away", "gone_away", "goneaway", "moved",
                                                   "地址无效"}
            false_words = set(schema.FALSE_WORDS)
        tl = ", ".join(quote_text(x) for x in sorted(true_words))
        if false_words:
            fl = ", ".join(quote_text(x) for x in sorted(false_words))
            val = f"CASE WHEN {low} IN ({tl}) THEN TRUE WHEN {low} IN ({fl}) THEN FALSE END"
            prob = (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL THEN '{name}: ' || {q3} || left({v}, 40) || {q3} "
                    f"|| ' is not yes/no' END")
        else:   # a status column: anything else means "no"
            val = f"CASE WHEN {v} IS NULL THEN NULL WHEN {low} IN ({tl}) THEN TRUE ELSE FALSE END"
            prob = "NULL"
        return val, prob
    if c.type == "enum":
        syn = schema.SYNONYMS[c.enum]
        key = f"lower(replace(replace({v}, '-', '_'), ' ', '_'))"
        cases = " ".join(f"WHEN {quote_text(k.replace('-', '_').replace(' ', '_'))} THEN {quote_text(val)}"
                         for k, val in syn.items())
        strict = c.enum not in ("sales_channel", "campaign_channel", "gender")
        if strict:
            allowed = "/".join(schema.ENUMS[c.enum])
            val = f"(CASE {key} {cases} END)"
            prob = (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL THEN '{name}: ' || {q3} || left({v}, 40) || {q3} "
                    f"|| ' is not one of {allowed}' END")
            return val, prob
        if c.enum == "gender":
            return f"(CASE {key} {cases} END)", "NULL"
        return f"(CASE {key} {cases} ELSE lower({v}) END)", "NULL"
    raise ValueError(c.type)
