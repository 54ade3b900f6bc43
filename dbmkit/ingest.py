"""Ingest (收集数据): read a client's sources through the config's column mapping into canonical staging tables.

Each source (a CSV, Excel or Parquet file, or a SQL query) feeds one canonical table. Reading happens in DuckDB,
so files with tens of millions of rows load in seconds. Every row ends in exactly one place:

* loaded into the staging table ``src_<table>`` with its ``source_file`` and ``source_row`` (line in the file), or
* quarantined in ``quarantine`` with the file, row, column and the reason (never silently dropped).

``load_log`` keeps, per source, rows read = rows loaded + rows quarantined. Problems that stop a source from being
read at all (file missing, wrong delimiter, a mapped column that does not exist …) raise :class:`IngestError`
naming the file, the column and the fix.

Example
-------
>>> import duckdb, pandas as pd, tempfile, os
>>> d = tempfile.mkdtemp(); p = os.path.join(d, "sales.csv")
>>> pd.DataFrame({"Invoice": ["1", "2"], "Date": ["2024-01-05", "not a date"], "Amount": ["$10.50", "3"]}).to_csv(p, index=False)
>>> from dbmkit.config import SourceFile
>>> con = duckdb.connect()
>>> spec = SourceFile(path=p, columns={"order_id": "Invoice", "order_ts": "Date", "net_amount": "Amount"})
>>> res = load_source(con, "orders", spec, base_dir=d)
>>> (res.rows_read, res.rows_loaded, res.rows_quarantined)
(2, 1, 1)
"""
from __future__ import annotations

import bz2
import csv
import difflib
import gzip
import io
import os
import re
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import schema
from .config import SourceFile

__all__ = ["IngestError", "LoadResult", "load_source", "detect_file", "NULL_LIKE", "read_table_preview",
           "SUPPORTED_SUFFIXES"]

NULL_LIKE = ["", "null", "n/a", "na", "-", "--", "none", "nan", "#n/a", "nil", "(null)", "undefined", "无", "空"]
SUPPORTED_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".dat": "csv", ".gz": "csv", ".bz2": "csv",
                      ".xlsx": "excel", ".xlsm": "excel", ".xls": "excel", ".parquet": "parquet", ".pq": "parquet"}
DELIMITERS = [",", ";", "\t", "|"]
MAX_ID_LEN = 120
MAX_TEXT_LEN = 2000


class IngestError(ValueError):
    """A source that cannot be read. Carries the file, column and row when known, and the fix."""

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None, row: int | None = None,
                 fix: str | None = None):
        self.file, self.column, self.row, self.fix = file, column, row, fix
        parts = []
        if file:
            parts.append(f"{file}")
        if column:
            parts.append(f"column '{column}'")
        if row is not None:
            parts.append(f"row {row}")
        where = (", ".join(parts) + ": ") if parts else ""
        super().__init__(where + message + (f"\n  Fix: {fix}" if fix else ""))


@dataclass
class LoadResult:
    table: str
    source: str
    source_system: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    warnings: list[str] = field(default_factory=list)

    def as_row(self) -> dict:
        return dict(table_name=self.table, source=self.source, source_system=self.source_system,
                    rows_read=self.rows_read, rows_loaded=self.rows_loaded, rows_quarantined=self.rows_quarantined,
                    encoding=self.encoding, delimiter=self.delimiter, warnings="; ".join(self.warnings))


# ------------------------------------------------------------------------------------------------ reading files
def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _open_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz" or data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except OSError as e:
            raise IngestError(f"cannot decompress gzip file ({e})", file=str(path),
                              fix="check that the file is a complete .gz archive") from None
    elif path.suffix == ".bz2":
        data = bz2.decompress(data)
    return data


def _decode(data: bytes, encoding: str | None, label: str) -> tuple[str, str, list[str]]:
    """Text of the file, the encoding used and warnings. Mixed encodings are read line by line."""
    warnings: list[str] = []
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030", "cp1252"]
    first = candidates[0]
    if encoding and encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig"):
        first = "utf-8-sig"
    try:
        return data.decode(first), first, warnings
    except (UnicodeDecodeError, LookupError) as e:
        if isinstance(e, LookupError):
            raise IngestError(f"unknown encoding '{encoding}'", file=label,
                              fix="use utf-8, gb18030 (Chinese), gbk, cp1252 or latin-1") from None
        err = e
    lines = data.split(b"\n")
    bad = []
    for i, ln in enumerate(lines):
        try:
            ln.decode(first)
        except UnicodeDecodeError:
            bad.append(i)
    if not encoding:
        for enc in candidates[1:]:
            try:
                return data.decode(enc), enc, warnings
            except UnicodeDecodeError:
                continue
    share_bad = len(bad) / max(1, len(lines))
    if encoding and share_bad > 0.2:
        guess = None
        for enc in ("utf-8-sig", "gb18030", "cp1252"):
            try:
                data.decode(enc)
                guess = enc
                break
            except UnicodeDecodeError:
                continue
        raise IngestError(f"the file is not {encoding}: byte 0x{data[err.start]:02x} cannot be decoded "
                          f"(line {bad[0] + 1}, and {len(bad) - 1} more lines)", file=label,
                          fix=f"set `encoding: {guess}` for this source" if guess else "save the file as UTF-8")
    # mixed encodings: decode each line with the first encoding that works
    out = []
    fallback = 0
    for ln in lines:
        for enc in (first, "utf-8", "gb18030", "cp1252", "latin-1"):
            try:
                out.append(ln.decode(enc))
                if enc != first:
                    fallback += 1
                break
            except UnicodeDecodeError:
                continue
    warnings.append(f"{fallback} line(s) were not {first} and were read as GB18030/cp1252 (mixed encodings)")
    return "\n".join(out), f"{first}+mixed", warnings


def _split_header(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return line.split(delim)


def _detect_delimiter(lines: list[str], given: str | None, label: str, expected: list[str]) -> str:
    counts = {d: len(_split_header(lines[0], d)) if lines else 0 for d in DELIMITERS}
    if given:
        if given == "\\t":
            given = "\t"
        n_given = counts.get(given) or len(_split_header(lines[0], given))
        best = max(counts, key=counts.get)
        if n_given <= 1 and counts[best] >= 2:
            raise IngestError(f"wrong delimiter: the header has 1 column with {given!r} but {counts[best]} with {best!r}",
                              file=label, fix=f"set `delimiter: {best!r}` for this source (or remove it to detect it)")
        return given
    # prefer the delimiter under which the mapped columns are found, then the one giving most columns
    def score(d):
        cols = [c.strip().lstrip("\ufeff") for c in _split_header(lines[0], d)]
        hits = sum(1 for e in expected if e in cols)
        return (hits, counts[d])
    return max(DELIMITERS, key=score)


def _find_header_row(rows: list[list[str]], expected: list[str]) -> int:
    """Index of the row that holds the header: the first with most mapped column names (title rows above it)."""
    best, best_hits = 0, -1
    exp = {e.strip().lower() for e in expected}
    for i, r in enumerate(rows[:30]):
        cells = {str(c).strip().lower().lstrip("\ufeff") for c in r if c is not None and str(c).strip()}
        hits = len(cells & exp)
        if hits > best_hits:
            best, best_hits = i, hits
    return best if best_hits > 0 else 0


def detect_file(path: str | Path, encoding: str | None = None, delimiter: str | None = None,
                expected: list[str] | None = None) -> dict:
    """Format, encoding, delimiter and header row of a file (used by ingest and by ``dbmkit new-client``).

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv"); _ = open(p, "w").write("a;b\\n1;2\\n")
    >>> d = detect_file(p); (d["format"], d["delimiter"], d["columns"])
    ('csv', ';', ['a', 'b'])
    """
    path = Path(path)
    label = str(path)
    fmt = _format_of(path)
    expected = expected or []
    if fmt == "excel":
        raw = _read_excel_raw(path, None, label)
        rows = raw.head(30).values.tolist()
        h = _find_header_row(rows, expected) if expected else _first_wide_row(rows)
        cols = [str(c).strip() for c in rows[h] if c is not None and str(c).strip() and str(c) != "nan"] if rows else []
        return dict(format="excel", encoding=None, delimiter=None, header_row=h, columns=cols,
                    sheets=_excel_sheets(path))
    if fmt == "parquet":
        cols = duckdb.sql(f"SELECT * FROM read_parquet({_lit(str(path))}) LIMIT 0").columns
        return dict(format="parquet", encoding=None, delimiter=None, header_row=0, columns=list(cols))
    data = _open_bytes(path)[: 2_000_000]
    text, enc, _ = _decode(data, encoding, label)
    lines = [ln for ln in text.splitlines()[:40]]
    if not lines:
        raise IngestError("the file is empty", file=label, fix="export the data again; the file has no content")
    rows_any = [_split_header(ln, _detect_delimiter([ln], delimiter, label, expected)) for ln in lines]
    h = _find_header_row(rows_any, expected) if expected else _first_wide_row(rows_any)
    delim = _detect_delimiter(lines[h:], delimiter, label, expected)
    cols = [c.strip().lstrip("\ufeff") for c in _split_header(lines[h], delim)]
    return dict(format="csv", encoding=enc, delimiter=delim, header_row=h, columns=cols)


def _first_wide_row(rows: list[list]) -> int:
    widths = [sum(1 for c in r if c is not None and str(c).strip() and str(c) != "nan") for r in rows]
    if not widths:
        return 0
    m = max(widths)
    return next(i for i, w in enumerate(widths) if w >= max(2, m * 0.6))


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".gz", ".bz2"):
        inner = Path(path.stem).suffix.lower()
        if inner and inner not in (".csv", ".tsv", ".txt", ".dat"):
            raise IngestError(f"unsupported compressed file type '{inner}{suffix}'", file=str(path),
                              fix="compress only CSV/TSV text files, or use Excel/Parquet")
        return "csv"
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type '{suffix or '(none)'}'", file=str(path),
                          fix="export as CSV/TSV (optionally .gz), Excel (.xlsx) or Parquet; or use `sql:` for a database")
    return SUPPORTED_SUFFIXES[suffix]


def _excel_sheets(path: Path) -> list[str]:
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _read_excel_raw(path: Path, sheet, label: str) -> pd.DataFrame:
    try:
        sheets = _excel_sheets(path)
    except Exception as e:  # noqa: BLE001 - openpyxl raises many types for broken files
        raise IngestError(f"cannot open the workbook ({type(e).__name__}: {e})", file=label,
                          fix="save it again as .xlsx from Excel, or export the sheet as CSV") from None
    if sheet is None:
        sheet = sheets[0]
    elif isinstance(sheet, int):
        if sheet >= len(sheets):
            raise IngestError(f"the workbook has {len(sheets)} sheet(s); sheet index {sheet} does not exist", file=label,
                              fix=f"use one of {sheets}")
        sheet = sheets[sheet]
    elif sheet not in sheets:
        close = difflib.get_close_matches(sheet, sheets, n=1)
        raise IngestError(f"no sheet named '{sheet}'", file=label,
                          fix=f"use one of {sheets}" + (f" (did you mean '{close[0]}'?)" if close else ""))
    df = pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, engine="openpyxl")
    return df


# ------------------------------------------------------------------------------------------------ staging
def _stage_csv(con, spec: SourceFile, path: Path, label: str, expected: list[str], stg: str, res: LoadResult,
               tmpdir: Path) -> None:
    if path.stat().st_size == 0:
        raise IngestError("the file is empty (0 bytes)", file=label, fix="export the data again")
    data = _open_bytes(path)
    if not data.strip():
        raise IngestError("the file is empty (only blank space)", file=label, fix="export the data again")
    text, enc, warns = _decode(data, spec.encoding, label)
    res.encoding, res.warnings = enc, res.warnings + warns
    lines = text.splitlines()
    head = lines[:40]
    if spec.header_row is not None:
        h = spec.header_row
        if h >= len(lines):
            raise IngestError(f"header_row {h} is beyond the end of the file ({len(lines)} lines)", file=label,
                              fix="set header_row to the 0-based line of the column names")
    else:
        rows_any = [_split_header(ln, _detect_delimiter([ln], spec.delimiter, label, expected)) for ln in head]
        h = _find_header_row(rows_any, expected)
    delim = _detect_delimiter(lines[h:h + 5], spec.delimiter, label, expected)
    res.delimiter, res.header_row = delim, h
    # DuckDB reads UTF-8; re-encode when the file is not plain UTF-8 or is compressed
    plain_utf8 = enc in ("utf-8-sig",) and path.suffix.lower() not in (".gz", ".bz2") and not data.startswith(b"\xef\xbb\xbf")
    if plain_utf8:
        src = path
    else:
        src = tmpdir / (re.sub(r"[^A-Za-z0-9_.-]", "_", path.name) + ".utf8.csv")
        src.write_text(text, encoding="utf-8")
    del data, text
    rej = f"rej_{stg}"
    con.execute(f"DROP TABLE IF EXISTS {rej}; DROP TABLE IF EXISTS {rej}_scan")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stg}_raw AS SELECT * FROM read_csv({_lit(str(src))}, delim={_lit(delim)}, "
            f"header=true, skip={h}, all_varchar=true, quote='\"', escape='\"', store_rejects=true, "
            f"rejects_table='{rej}', rejects_scan='{rej}_scan', auto_detect=true, sample_size=-1, "
            f"null_padding=false, max_line_size=10000000)")
    except duckdb.Error as e:
        raise IngestError(f"cannot parse the file as delimited text ({str(e).splitlines()[0]})", file=label,
                          fix="check the delimiter, quoting and header_row of this source") from None
    n_ok = con.execute(f"SELECT count(*) FROM {stg}_raw").fetchall()[0][0]
    rejects = con.execute(f"SELECT line, error_type, error_message, csv_line FROM {rej} ORDER BY line").df()
    # source_row = line number in the file (1-based); accepted rows fill the lines that were not rejected
    first_data_line = h + 2
    if len(rejects):
        total = n_ok + len(rejects)
        all_lines = np.arange(first_data_line, first_data_line + total + 5)
        ok_lines = all_lines[~np.isin(all_lines, rejects["line"].to_numpy())][:n_ok]
        con.register(f"{stg}_lines", pd.DataFrame({"_i": np.arange(1, n_ok + 1), "_line": ok_lines}))
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT r.*, l._line AS _row FROM "
                    f"(SELECT *, row_number() OVER () AS _i FROM {stg}_raw) r JOIN {stg}_lines l USING (_i)")
        con.unregister(f"{stg}_lines")
        q = pd.DataFrame({"source_row": rejects["line"].astype("int64"), "column_name": None,
                          "reason": "unreadable line: " + rejects["error_message"].astype(str),
                          "raw_values": rejects["csv_line"].astype(str).str.slice(0, 500)})
        _quarantine_df(con, res, q)
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT *, (row_number() OVER () + {first_data_line - 1})::BIGINT AS _row "
                    f"FROM {stg}_raw")
    con.execute(f"DROP TABLE IF EXISTS {stg}_raw")
    res.rows_read += n_ok + len(rejects)


def _stage_excel(con, spec, path, label, expected, stg, res):
    raw = _read_excel_raw(path, spec.sheet, label)
    if raw.dropna(how="all").empty:
        raise IngestError("the sheet is empty", file=label, fix="check the `sheet` of this source")
    rows = raw.head(30).values.tolist()
    h = spec.header_row if spec.header_row is not None else _find_header_row(rows, expected)
    res.header_row = h
    header = [str(c).strip() if c is not None and str(c) != "nan" else f"column_{i + 1}" for i, c in enumerate(raw.iloc[h])]
    body = raw.iloc[h + 1:].copy()
    body.columns = _dedupe(header)
    body = body.dropna(how="all")
    body["_row"] = (body.index + 1).astype("int64")   # Excel row number (1-based)

    def to_text(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
            return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    for c in body.columns:
        if c != "_row":
            body[c] = pd.array([to_text(v) for v in body[c].to_numpy()], dtype="str")
    con.register(f"{stg}_df", body)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT * FROM {stg}_df")
    con.unregister(f"{stg}_df")
    res.rows_read += len(body)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _stage_parquet(con, spec, path, label, stg, res):
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT *, row_number() OVER ()::BIGINT AS _row "
                    f"FROM read_parquet({_lit(str(path))})")
    except duckdb.Error as e:
        raise IngestError(f"cannot read the Parquet file ({str(e).splitlines()[0]})", file=label,
                          fix="write the file again with pandas/pyarrow, or export CSV") from None
    res.rows_read += con.execute(f"SELECT count(*) FROM {stg}").fetchall()[0][0]


def _stage_sql(con, spec, base_dir, stg, res):
    url = spec.url
    label = f"sql source ({url})"
    m = re.match(r"^(duckdb|sqlite|postgresql|postgres)(?:\+\w+)?:///?(.*)$", url)
    if not m:
        raise IngestError(f"unsupported database URL '{url}'", file=label,
                          fix="use duckdb:///path/file.duckdb, sqlite:///path/file.db or postgresql://user@host/db")
    kind, rest = m.group(1), m.group(2)
    if kind in ("duckdb", "sqlite"):
        p = Path(rest)
        if not p.is_absolute():
            p = (Path(base_dir) / p).resolve()
        if not p.exists():
            raise IngestError(f"database file not found: {p}", file=label, fix="check the path in `url`")
    try:
        if kind == "duckdb":
            src = duckdb.connect(str(p), read_only=True)
            try:
                df = src.execute(spec.sql).df()
            finally:
                src.close()
        elif kind == "sqlite":
            with sqlite3.connect(f"file:{p}?mode=ro", uri=True) as sc:
                df = pd.read_sql_query(spec.sql, sc)
        else:
            try:
                import psycopg  # noqa: F401
            except ImportError:
                raise IngestError("reading PostgreSQL needs the psycopg package", file=label,
                                  fix="pip install 'psycopg[binary]' in the workbook's environment, or export CSV") from None
            import psycopg
            with psycopg.connect(url) as pc:
                df = pd.read_sql_query(spec.sql, pc)
    except IngestError:
        raise
    except Exception as e:  # noqa: BLE001 - database drivers raise their own types
        raise IngestError(f"the SQL query failed: {type(e).__name__}: {str(e).splitlines()[0]}", file=label,
                          fix="run the query in a SQL client first; check table and column names") from None
    df = df.astype(object).where(df.notna(), None)
    for c in df.columns:
        df[c] = pd.array([None if v is None else str(v) for v in df[c]], dtype="str")
    df["_row"] = np.arange(1, len(df) + 1, dtype="int64")
    con.register(f"{stg}_df", df)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT * FROM {stg}_df")
    con.unregister(f"{stg}_df")
    res.rows_read += len(df)
    res.encoding = None


# ------------------------------------------------------------------------------------------------ coercion
def _nullif(expr: str) -> str:
    null_list = ", ".join(_lit(x) for x in NULL_LIKE)
    return f"(CASE WHEN lower(trim(CAST({expr} AS VARCHAR))) IN ({null_list}) THEN NULL ELSE trim(CAST({expr} AS VARCHAR)) END)"


DATE_FORMATS_ISO = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M",
                    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S%z", "%Y/%m/%d",
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
        f"FROM (SELECT trim(CAST({_q(col)} AS VARCHAR)) AS v FROM {stg} "
        f"WHERE regexp_matches(trim(CAST({_q(col)} AS VARCHAR)), '^[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') LIMIT 200000)").fetchall()[0]
    day_first = (r[0] or 0) >= (r[1] or 0)
    slash = ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"]
    slash_m = ["%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"]
    out += DATE_FORMATS_ISO + (slash + slash_m if day_first else slash_m + slash) + ["%d/%m/%y", "%m/%d/%y"]
    seen = set()
    return [f for f in out if not (f in seen or seen.add(f))]


def _coerce(c: schema.Col, v: str, out: str, con, stg: str, src_col: str | None, spec: SourceFile):
    """SQL expressions of the typed value (from the cleaned text column ``v``) and of the problem, which may refer
    to the typed column ``out`` (NULL when fine). Each expression is used once, so the SQL stays small."""
    name = c.name
    q3 = "''''"     # SQL literal of one quote
    if c.type == "id":
        val = f"regexp_replace(regexp_replace({v}, '^([0-9]+)\\.0+$', '\\1'), '\\s+', ' ', 'g')"
        if name == "customer_id" and spec.id_prefix:
            val = f"({_lit(spec.id_prefix)} || {val})"
        prob = f"CASE WHEN length({v}) > {MAX_ID_LEN} THEN '{name}: value too long (' || length({v}) || ' characters)' END"
        return val, prob
    if c.type == "text":
        prob = f"CASE WHEN length({v}) > {MAX_TEXT_LEN} THEN '{name}: value too long (' || length({v}) || ' characters)' END"
        return v, prob
    if c.type in ("date", "timestamp"):
        fmts = _date_formats(con, stg, src_col, spec.date_format) if src_col else DATE_FORMATS_ISO
        fl = "[" + ", ".join(_lit(f) for f in fmts) + "]"
        # Excel serial day numbers (e.g. 45123) as well as text dates
        ts = (f"CAST(COALESCE(try_strptime({v}, {fl}), CASE WHEN regexp_matches({v}, '^[0-9]{{5}}(\\.[0-9]+)?$') "
              f"THEN TIMESTAMP '1899-12-30' + to_days(CAST(floor(CAST({v} AS DOUBLE)) AS INTEGER)) END) AS TIMESTAMP)")
        val = f"CAST({ts} AS DATE)" if c.type == "date" else ts
        prob = (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL THEN '{name}: cannot read ' || {q3} || left({v}, 40) "
                f"|| {q3} || ' as a date' END")
        return val, prob
    if c.type in ("money", "number", "int"):
        s = v
        if spec.decimal == ",":
            s = f"replace(regexp_replace({s}, '[.\\s]', '', 'g'), ',', '.')"
        else:
            s = f"regexp_replace({s}, '[,\\s]', '', 'g')"
        s = f"regexp_replace({s}, '^\\((.*)\\)$', '-\\1')"               # (12.00) → -12.00
        s = f"regexp_replace({s}, '[^0-9eE+\\-.]', '', 'g')"             # currency symbols and codes
        num = f"TRY_CAST(NULLIF({s}, '') AS DOUBLE)"
        if c.type == "int":
            num = f"CAST(round({num}) AS BIGINT)"
        # a number may carry a currency symbol or code, but no other words ("12abc" is not a number)
        shape = "'^[^0-9]{0,4}[0-9(][0-9.,\\s'')]*[^0-9]{0,4}$'"
        prob = (f"CASE WHEN {v} IS NOT NULL AND ({out} IS NULL OR NOT regexp_matches({v}, {shape})) "
                f"THEN '{name}: ' || {q3} || left({v}, 40) || {q3} || ' is not a number' END")
        return num, prob
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
        tl = ", ".join(_lit(x) for x in sorted(true_words))
        if false_words:
            fl = ", ".join(_lit(x) for x in sorted(false_words))
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
        cases = " ".join(f"WHEN {_lit(k.replace('-', '_').replace(' ', '_'))} THEN {_lit(val)}" for k, val in syn.items())
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


def _quarantine_df(con, res: LoadResult, q: pd.DataFrame) -> None:
    if q.empty:
        return
    q = q.assign(table_name=res.table, source=res.source)
    con.register("_q_df", q[["table_name", "source", "source_row", "column_name", "reason", "raw_values"]])
    con.execute("INSERT INTO quarantine SELECT table_name, source, source_row, column_name, reason, raw_values FROM _q_df")
    con.unregister("_q_df")
    res.rows_quarantined += len(q)


def ensure_ingest_tables(con) -> None:
    con.execute("""
        CREATE TABLE IF NOT EXISTS quarantine (table_name VARCHAR, source VARCHAR, source_row BIGINT,
            column_name VARCHAR, reason VARCHAR, raw_values VARCHAR);
        CREATE TABLE IF NOT EXISTS load_log (table_name VARCHAR, source VARCHAR, source_system VARCHAR,
            rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, encoding VARCHAR, delimiter VARCHAR,
            warnings VARCHAR);
    """)


def _resolve_path(spec: SourceFile, base_dir: str | Path) -> Path:
    p = Path(os.path.expanduser(spec.path))
    if not p.is_absolute():
        p = (Path(base_dir) / p).resolve()
    if not p.exists():
        hint = ""
        if p.parent.exists():
            close = difflib.get_close_matches(p.name, [x.name for x in p.parent.iterdir()], n=2)
            if close:
                hint = f"did you mean {', '.join(close)}? "
        raise IngestError(f"file not found: {p}", file=spec.path,
                          fix=f"{hint}check `path` (relative paths start at the config file's folder)")
    if p.is_dir():
        raise IngestError("the path is a folder, not a file", file=spec.path, fix="point `path` at one file")
    return p


def _check_mapping(con, stg: str, table: str, spec: SourceFile, label: str) -> list[str]:
    cols = [r[0] for r in con.execute(f"DESCRIBE {stg}").fetchall() if r[0] != "_row"]
    lower = {c.lower().strip(): c for c in cols}
    fixed = {}
    for canon, src in spec.columns.items():
        if src in cols:
            fixed[canon] = src
            continue
        if src.lower().strip() in lower:           # tolerate case and surrounding spaces
            fixed[canon] = lower[src.lower().strip()]
            continue
        close = difflib.get_close_matches(src, cols, n=3, cutoff=0.5) or \
            difflib.get_close_matches(src.lower(), list(lower), n=3, cutoff=0.5)
        raise IngestError(f"the mapping says {canon} ← '{src}', but the file has no column '{src}'", file=label,
                          column=src,
                          fix=(f"did you mean {', '.join(repr(c) for c in close)}? " if close else "") +
                              f"columns in the file: {', '.join(cols[:30])}")
    required = schema.REQUIRED_MAPPING.get(table, [])
    missing = [r for r in required if r not in fixed and r not in spec.constants]
    if table == "orders" and not ({"net_amount", "gross_amount"} & set(fixed)):
        missing.append("net_amount (or gross_amount)")
    if table in ("consents",) and not ({"customer_id", "email"} & (set(fixed) | set(spec.constants))):
        missing.append("customer_id (or email)")
    if table in ("email_events",) and not ({"customer_id", "email"} & set(fixed)):
        missing.append("customer_id (or email)")
    if table in ("sms_events",) and not ({"customer_id", "phone"} & set(fixed)):
        missing.append("customer_id (or phone)")
    if missing:
        guesses = []
        for m_ in missing:
            base = m_.split(" ")[0]
            close = difflib.get_close_matches(base, cols, n=1, cutoff=0.4)
            if close:
                guesses.append(f"{base}: {close[0]!r}?")
        raise IngestError(f"the {table} mapping lacks {', '.join(missing)}", file=label,
                          fix="add them under `columns:`" + (f" (candidates: {'; '.join(guesses)})" if guesses else ""))
    spec_cols = dict(fixed)
    return [spec_cols.get(c.name) for c in schema.source_columns(table)]


def load_source(con: duckdb.DuckDBPyConnection, table: str, spec: SourceFile, base_dir: str | Path = ".",
                stage_name: str | None = None, tmpdir: str | Path | None = None) -> LoadResult:
    """Read one source into ``src_<table>`` (typed canonical columns + source_file, source_row, source_system).

    Rows with a problem in a required column go to ``quarantine`` with the reason; optional columns that cannot be
    read become NULL and are counted in the load warnings. Returns the row counts (read = loaded + quarantined).
    """
    ensure_ingest_tables(con)
    label = spec.path if spec.path else f"sql: {spec.sql[:60]}"
    res = LoadResult(table=table, source=str(label), source_system=spec.source_system)
    n_existing = con.execute("SELECT count(*) FROM (SELECT 1 FROM information_schema.tables WHERE table_name LIKE 'stg_%')").fetchall()[0][0]
    stg = stage_name or f"stg_{table}_{n_existing}"
    tmp = Path(tmpdir) if tmpdir else Path(tempfile.mkdtemp(prefix="dbmkit_"))
    tmp.mkdir(parents=True, exist_ok=True)
    expected = list(spec.columns.values())
    if spec.sql:
        _stage_sql(con, spec, base_dir, stg, res)
    else:
        path = _resolve_path(spec, base_dir)
        fmt = spec.format if spec.format != "auto" else _format_of(path)
        if fmt == "csv":
            _stage_csv(con, spec, path, label, expected, stg, res, tmp)
        elif fmt == "excel":
            _stage_excel(con, spec, path, label, expected, stg, res)
        elif fmt == "parquet":
            _stage_parquet(con, spec, path, label, stg, res)
        else:
            raise IngestError(f"format '{fmt}' cannot be read from a file", file=label, fix="use csv, excel or parquet")
    src_cols = _check_mapping(con, stg, table, spec, label)
    cols = schema.source_columns(table)
    # stage 1: the mapped text, trimmed, NULL-like strings as NULL (one column per canonical column)
    vsel = []
    for c, src in zip(cols, src_cols):
        if src is not None:
            vsel.append(f"{_nullif(_q(src))} AS {_q('v_' + c.name)}")
        elif c.name in spec.constants:
            vsel.append(f"{_nullif(_lit(spec.constants[c.name]))} AS {_q('v_' + c.name)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg}_v AS SELECT t._row, left(CAST(to_json(t) AS VARCHAR), 500) AS _raw"
                + "".join(", " + x for x in vsel) + f" FROM {stg} t")
    # stage 2: typed values; stage 3: problems (a problem in a required column quarantines the row)
    tsel, probs, warns = [], [], []
    row_required = set(schema.REQUIRED_MAPPING.get(table, []))
    for c, src in zip(cols, src_cols):
        sqlt = schema.SQL_TYPES[c.type]
        if src is None and c.name not in spec.constants:
            tsel.append(f"CAST(NULL AS {sqlt}) AS {_q(c.name)}")
            if c.name in row_required:
                probs.append(f"'{c.name}: missing'")
            continue
        v = _q("v_" + c.name)
        val, prob = _coerce(c, v, _q(c.name), con, stg, src, spec)
        tsel.append(f"CAST({val} AS {sqlt}) AS {_q(c.name)}")
        if c.name in row_required:
            probs.append(prob)
            probs.append(f"CASE WHEN {_q(c.name)} IS NULL AND {v} IS NULL THEN '{c.name}: missing' END")
        elif prob != "NULL":
            warns.append((c.name, prob))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg}_t AS SELECT *, {', '.join(tsel)} FROM {stg}_v")
    reason = "NULLIF(concat_ws('; ', " + ", ".join(probs) + "), '')" if probs else "NULL"
    wsel = "".join(f", {p} AS {_q('_warn_' + n)}" for n, p in warns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg}_typed AS SELECT *, {reason} AS _reason{wsel} FROM {stg}_t")
    con.execute(f"DROP TABLE IF EXISTS {stg}_v; DROP TABLE IF EXISTS {stg}_t")
    bad = con.execute(f"SELECT _row AS source_row, NULL AS column_name, _reason AS reason, _raw AS raw_values "
                      f"FROM {stg}_typed WHERE _reason IS NOT NULL").df()
    if len(bad):
        bad["column_name"] = bad["reason"].str.split(":").str[0]
    _quarantine_df(con, res, bad)
    # warnings for optional columns that could not be read (their values are left empty)
    for n, _ in warns:
        w = "_warn_" + n
        k, ex = con.execute(f"SELECT count({_q(w)}), any_value({_q('v_' + n)}) FILTER (WHERE {_q(w)} IS NOT NULL) "
                            f"FROM {stg}_typed WHERE _reason IS NULL").fetchall()[0]
        if k:
            res.warnings.append(f"{k} value(s) of {n} could not be read and were left empty (e.g. {ex!r})")
    keep = ", ".join(_q(c.name) for c in cols)
    target = f"src_{table}"
    defs = ", ".join(f"{_q(c.name)} {schema.SQL_TYPES[c.type]}" for c in cols)
    con.execute(f"CREATE TABLE IF NOT EXISTS {target} ({defs}, source_file VARCHAR, source_row BIGINT, "
                f"source_system VARCHAR)")
    con.execute(f"INSERT INTO {target} SELECT {keep}, {_lit(label)}, _row, {_lit(spec.source_system or '')} "
                f"FROM {stg}_typed WHERE _reason IS NULL")
    res.rows_loaded = con.execute(f"SELECT count(*) FROM {stg}_typed WHERE _reason IS NULL").fetchall()[0][0]
    con.execute(f"DROP TABLE IF EXISTS {stg}; DROP TABLE IF EXISTS {stg}_typed")
    con.execute("INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(res.as_row().values()))
    if res.rows_read != res.rows_loaded + res.rows_quarantined:   # the reconciliation rule
        raise AssertionError(f"{label}: read {res.rows_read} ≠ loaded {res.rows_loaded} + quarantined {res.rows_quarantined}")
    return res


def read_table_preview(path: str | Path, n: int = 5, **kw) -> pd.DataFrame:
    """The first rows of a file as text, with the detected settings applied (for new-client and notebooks)."""
    info = detect_file(path, **kw)
    con = duckdb.connect()
    spec = SourceFile(path=str(path), delimiter=info.get("delimiter"), encoding=info.get("encoding"),
                      header_row=info.get("header_row"))
    res = LoadResult(table="preview", source=str(path), source_system=None)
    ensure_ingest_tables(con)
    p = Path(path)
    if info["format"] == "csv":
        _stage_csv(con, spec, p, str(path), [], "stg_preview", res, Path(tempfile.mkdtemp(prefix="dbmkit_")))
    elif info["format"] == "excel":
        _stage_excel(con, spec, p, str(path), [], "stg_preview", res)
    else:
        _stage_parquet(con, spec, p, str(path), "stg_preview", res)
    return con.execute(f"SELECT * EXCLUDE (_row) FROM stg_preview LIMIT {int(n)}").df()
