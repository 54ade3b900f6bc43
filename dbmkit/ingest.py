"""Ingest (收集数据): read a client's sources through the config's column mapping into canonical staging tables.

Each source (a CSV — any delimiter, UTF-8 with or without BOM, UTF-16, GBK/GB18030, cp1252, plain or compressed
with gzip/bz2/zip —, an Excel sheet, a Parquet file, or a SQL query through a DuckDB/SQLite/PostgreSQL URL) feeds
one canonical table. Parsing and type coercion happen in DuckDB, so large files load quickly. Every row ends in
exactly one place:

* loaded into the staging table ``src_<table>`` with its ``source_file`` and ``source_row`` (the line in the file,
  the row of the sheet, or the row of the query result), or
* quarantined in ``quarantine`` with the file, row, column and the reason (never silently dropped).

A single value that cannot be read in an optional column (a birth date "31/02/1980") leaves that value empty and is
listed in ``value_issues``. ``load_log`` keeps, per source, rows read = rows loaded + rows quarantined.
Problems that stop a source from being read at all (file missing, wrong delimiter, a mapped column that does not
exist …) raise :class:`IngestError` naming the file, the column and the fix.

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
import datetime as _dt
import difflib
import gzip
import hashlib
import io
import os
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import schema
from .config import SourceFile

__all__ = ["IngestError", "LoadResult", "load_source", "load_sources", "detect_file", "detect_encoding", "NULL_LIKE",
           "sources_of", "source_table", "source_spec", "mapping_table", "preview_source", "source_records",
           "DATA_KINDS",
           "read_table_preview", "SUPPORTED_SUFFIXES", "ensure_ingest_tables", "MAX_ID_LEN", "MAX_TEXT_LEN",
           "file_digest", "source_fingerprint"]

NULL_LIKE = ["", "null", "n/a", "na", "-", "--", "none", "nan", "#n/a", "nil", "(null)", "undefined", "无", "空"]
SUPPORTED_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".dat": "csv", ".gz": "csv", ".bz2": "csv",
                      ".zip": "csv", ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet"}
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
DELIMITERS = [",", ";", "\t", "|"]
MAX_ID_LEN = 120        # longer ids are export errors (a swallowed line, a note pasted into the id column)
MAX_TEXT_LEN = 2000     # longer texts in one field are not names, addresses or product names


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
    """What happened to one source: rows read = rows loaded + rows quarantined, and how the file was read."""
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
    """The file's bytes, decompressed when it is a .gz, .bz2 or .zip (one text file inside)."""
    label = str(path)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz" or data[:2] == b"\x1f\x8b":
            return gzip.decompress(data)
        if suffix == ".bz2" or data[:3] == b"BZh":
            return bz2.decompress(data)
        if suffix == ".zip" or data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = [n for n in z.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
                texts = [n for n in names if n.lower().endswith(TEXT_SUFFIXES)]
                if len(texts) != 1:
                    raise IngestError(f"the zip archive holds {len(texts)} CSV/TXT files ({', '.join(names[:6])})",
                                      file=label, fix="put exactly one CSV file in the archive, or unzip it and "
                                                      "give one source per file")
                return z.read(texts[0])
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
        if isinstance(e, IngestError):
            raise
        raise IngestError(f"cannot decompress the file ({type(e).__name__}: {e})", file=label,
                          fix="check that the archive is complete (download or export it again)") from None
    return data


_UTF8_NAMES = {"utf8", "utf8sig"}


def _norm_enc(encoding: str | None) -> str | None:
    if not encoding:
        return None
    e = encoding.lower().replace("-", "").replace("_", "")
    if e in _UTF8_NAMES:
        return "utf-8-sig"
    if e in ("gbk", "gb2312", "cp936", "gb18030"):
        return "gb18030"      # GB18030 is a superset of GBK and GB2312
    return encoding


def _chinese_share(text: str, limit: int = 200_000) -> float:
    """Share of non-ASCII characters that are common Chinese characters or CJK punctuation (GB2312)."""
    n = ok = 0
    for ch in text:
        if ord(ch) < 128:
            continue
        n += 1
        try:
            b = ch.encode("gb2312")
            ok += 1 if (0xB0 <= b[0] <= 0xF7 or 0xA1 <= b[0] <= 0xA9) else 0
        except UnicodeEncodeError:
            pass
        if n >= limit:
            break
    return ok / n if n else 0.0


def detect_encoding(data: bytes) -> str:
    """The most likely encoding of a text file's bytes: utf-8-sig, utf-16, gb18030 (Chinese) or cp1252 (Western).

    >>> detect_encoding("姓名,城市\\n王伟,北京\\n".encode("gb18030")), detect_encoding("Renée,Zürich\\n".encode("cp1252"))
    ('gb18030', 'cp1252')
    """
    if data[:3] == b"\xef\xbb\xbf":
        return "utf-8-sig"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        return "cp1252"
    return "gb18030" if _chinese_share(gb) >= 0.8 else "cp1252"


def _decode(data: bytes, encoding: str | None, label: str) -> tuple[str, str, list[str]]:
    """Text of the file, the encoding used and warnings. Files mixing UTF-8 and a legacy encoding are read line
    by line (each line in the encoding it is valid in)."""
    warnings: list[str] = []
    given = _norm_enc(encoding)
    if given:
        try:
            "".encode(given)
        except LookupError:
            raise IngestError(f"unknown encoding '{encoding}'", file=label,
                              fix="use utf-8, gb18030 (Chinese, also for GBK/GB2312), cp1252 (Western) or utf-16") from None
    if given and given != "utf-8-sig":
        legacy = given.lower() not in ("utf-16", "utf16") and not data.isascii()
        utf8_lines = bad_lines = 0
        if legacy:              # lines that are valid UTF-8 with non-ASCII characters were not written in `given`
            for ln in data.split(b"\n"):
                if not ln.isascii():
                    try:
                        ln.decode("utf-8")
                        utf8_lines += 1
                    except UnicodeDecodeError:
                        bad_lines += 1
        if utf8_lines and not bad_lines:
            raise IngestError(f"the file is UTF-8 but the config says `encoding: {encoding}` (reading it as "
                              f"{encoding} would garble every accented or Chinese character)", file=label,
                              fix="set `encoding: utf-8` for this source (or remove `encoding` to detect it)")
        if utf8_lines >= max(2, 0.05 * (utf8_lines + bad_lines)):   # mixed (a few chance-valid lines are not)
            out = []
            for ln in data.split(b"\n"):
                try:
                    out.append(ln.decode("utf-8"))
                except UnicodeDecodeError:
                    out.append(ln.decode(given, errors="replace"))
            warnings.append(f"mixed encodings: {utf8_lines} line(s) were UTF-8, not {encoding}; read as UTF-8")
            return "\n".join(out), f"{given}+utf-8", warnings
        try:
            text = data.decode(given)
        except UnicodeDecodeError as e:
            guess = detect_encoding(data)
            raise IngestError(f"the file is not {encoding}: byte 0x{data[e.start]:02x} at position {e.start} cannot be "
                              f"decoded", file=label, fix=f"set `encoding: {guess}` for this source (or remove "
                                                          f"`encoding` to detect it)") from None
        return text, given, warnings
    # UTF-8 given or nothing given
    if not given and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16", warnings
    try:
        return data.decode("utf-8-sig"), "utf-8-sig", warnings
    except UnicodeDecodeError as e:
        err = e
    lines = data.split(b"\n")
    bad, utf8_nonascii = [], 0
    for i, ln in enumerate(lines):
        try:
            ln.decode("utf-8")
            if not ln.isascii():
                utf8_nonascii += 1
        except UnicodeDecodeError:
            bad.append(i)
    legacy = detect_encoding(b"\n".join(lines[i] for i in bad[:5000]))
    if given and len(bad) / max(1, len(lines)) > 0.2:
        raise IngestError(f"the file is not UTF-8: byte 0x{data[err.start]:02x} cannot be decoded (line {bad[0] + 1}, "
                          f"and {len(bad) - 1} more lines); it looks like {legacy}", file=label,
                          fix=f"set `encoding: {legacy}` for this source (or remove `encoding` to detect it)")
    if not given and utf8_nonascii < max(2, 0.05 * (utf8_nonascii + len(bad))):
        # a legacy file (a few of its lines may be valid UTF-8 by chance: GBK byte pairs can look like UTF-8)
        return data.decode(legacy, errors="replace"), legacy, warnings
    out = []
    for i, ln in enumerate(lines):
        try:
            out.append(ln.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(ln.decode(legacy, errors="replace"))
    warnings.append(f"mixed encodings: {len(bad)} line(s) (first: line {bad[0] + 1}) were not UTF-8 and were read "
                    f"as {legacy}; check them")
    text = "\n".join(out)
    return text.removeprefix("\ufeff"), f"utf-8+{legacy}", warnings


def _lines(text: str) -> list[str]:
    """Physical lines as a CSV reader sees them: split on \\n only (not on the Unicode breaks that
    ``str.splitlines`` also honours), without the \\r of Windows line ends and without the final empty line."""
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in out]


def _split_header(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return line.split(delim)


def _detect_delimiter(lines: list[str], given: str | None, label: str, expected: list[str]) -> str:
    first = lines[0] if lines else ""
    counts = {d: len(_split_header(first, d)) for d in DELIMITERS}
    if given:
        if given in ("\\t", "tab", "TAB"):
            given = "\t"
        if len(given) != 1:
            raise IngestError(f"the delimiter must be one character, not {given!r}", file=label,
                              fix="use one of , ; | or \\t (tab)")
        n_given = len(_split_header(first, given))
        best = max(counts, key=counts.get)
        if n_given <= 1 and counts[best] >= 2:
            raise IngestError(f"wrong delimiter: the header has 1 column with {given!r} but {counts[best]} with {best!r}",
                              file=label, fix=f"set `delimiter: {best!r}` for this source (or remove it to detect it)")
        return given

    def score(d):       # prefer the delimiter under which the mapped columns are found, then the most columns
        cols = [c.strip().lstrip("\ufeff") for c in _split_header(first, d)]
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


def _first_wide_row(rows: list[list]) -> int:
    widths = [sum(1 for c in r if c is not None and str(c).strip() and str(c) != "nan") for r in rows]
    if not widths:
        return 0
    m = max(widths)
    return next(i for i, w in enumerate(widths) if w >= max(2, m * 0.6))


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
    lines = _lines(text)[:40]
    if not lines:
        raise IngestError("the file is empty", file=label, fix="export the data again; the file has no content")
    rows_any = [_split_header(ln, _detect_delimiter([ln], delimiter, label, expected)) for ln in lines]
    h = _find_header_row(rows_any, expected) if expected else _first_wide_row(rows_any)
    delim = _detect_delimiter(lines[h:], delimiter, label, expected)
    cols = [c.strip().lstrip("\ufeff") for c in _split_header(lines[h], delim)]
    return dict(format="csv", encoding=enc, delimiter=delim, header_row=h, columns=cols)


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".gz", ".bz2", ".zip"):
        inner = Path(path.stem).suffix.lower()
        if inner and inner not in TEXT_SUFFIXES:
            raise IngestError(f"unsupported compressed file type '{inner}{suffix}'", file=str(path),
                              fix="compress only CSV/TSV text files, or use Excel/Parquet uncompressed")
        return "csv"
    if suffix == ".xls":
        raise IngestError("old Excel format '.xls' is not supported", file=str(path),
                          fix="open it in Excel and save as .xlsx (or export the sheet as CSV)")
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"unsupported file type '{suffix or '(none)'}'", file=str(path),
                          fix="export as CSV/TSV (optionally .gz/.bz2/.zip), Excel (.xlsx) or Parquet; "
                              "or use `sql:` with `url:` for a database")
    return SUPPORTED_SUFFIXES[suffix]


def _excel_sheets(path: Path) -> list[str]:
    """Sheet names, read from the workbook's index (without parsing the sheets or their shared strings)."""
    import xml.etree.ElementTree as ET
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/workbook.xml"))
    return [el.get("name") for el in root.iter() if el.tag.endswith("}sheet")]


def _read_excel_raw(path: Path, sheet, label: str) -> pd.DataFrame:
    """The sheet's cells as objects, one pass of python-calamine or openpyxl (row i of the frame = Excel row
    i + 1)."""
    try:
        sheets = _excel_sheets(path)
    except Exception as e:  # noqa: BLE001 - a broken archive raises many types
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
    rows = _read_excel_fast(path, sheet)
    if rows is None:
        rows = _read_excel_openpyxl(path, sheet, label)
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)


def _read_excel_fast(path: Path, sheet: str) -> list[list] | None:
    """The sheet's cells read with python-calamine (a compiled reader, ~15x faster than openpyxl): the same values
    as openpyxl gives once written as text (empty cells None, dates as dates, numbers as numbers). None when
    calamine is missing or cannot read the file, or when the sheet holds an integer too large for a float (openpyxl
    keeps it exact): the caller then uses openpyxl."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 - any problem: let openpyxl read it (and report it)
        return None
    out = []
    for r in rows:
        row = [None if isinstance(v, str) and v == "" else v for v in r]
        if any(isinstance(v, float) and abs(v) >= 2 ** 53 for v in row):
            return None
        out.append(row)
    while out and all(v is None for v in out[-1]):     # trailing empty rows hold nothing
        out.pop()
    return out


def _read_excel_openpyxl(path: Path, sheet: str, label: str) -> list[list]:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001
        raise IngestError(f"cannot open the workbook ({type(e).__name__}: {e})", file=label,
                          fix="save it again as .xlsx from Excel, or export the sheet as CSV") from None
    try:
        ws = wb[sheet]
        ws.reset_dimensions()          # some writers store wrong dimensions; read what is there
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return rows


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n.strip().lstrip("\ufeff") or f"column_{i + 1}"
        if n in seen:
            seen[n] += 1
            out.append(f"{n}_{seen[n] + 1}")
        else:
            seen[n] = 0
            out.append(n)
    return out


# ------------------------------------------------------------------------------------------------ staging
_REJECT_REASON = {
    "TOO MANY COLUMNS": "the line has more fields than the header (a delimiter inside an unquoted value?)",
    "MISSING COLUMNS": "the line has fewer fields than the header",
    "UNQUOTED VALUE": "a quote opens but never closes properly (the rest of the line or file was swallowed)",
    "LINE SIZE OVER MAXIMUM": "the line is longer than 10 MB",
    "INVALID UNICODE": "the line holds bytes that are not text in the file's encoding",
    "INVALID ENCODING": "the line holds bytes that are not text in the file's encoding",
}


def _ends_in_quotes(line: str, delim: str, inside: bool) -> bool:
    """Whether a line ends inside a quoted value (RFC 4180: a quote opens a value only at the start of a field;
    "" inside a quoted value is an escaped quote; a quote in the middle of an unquoted value is just a character)."""
    start = not inside
    j, n = 0, len(line)
    while j < n:
        c = line[j]
        if inside:
            if c == '"':
                if j + 1 < n and line[j + 1] == '"':
                    j += 2
                    continue
                inside = False
            j += 1
            continue
        if c == '"' and start:
            inside = True
        start = c == delim
        j += 1
    return inside


def _record_lines(lines: list[str], skip: int, delim: str) -> tuple[np.ndarray, np.ndarray]:
    """For each CSV record after the first ``skip`` physical lines: its first line number (1-based) and whether it
    is blank. A quoted value that spans lines makes one record (this is how DuckDB numbers its records)."""
    starts, blank = [], []
    inside = False
    for i in range(skip, len(lines)):
        ln = lines[i]
        if not inside:
            starts.append(i + 1)
            blank.append(ln == "")
            if '"' not in ln:
                continue
        inside = _ends_in_quotes(ln, delim, inside)
    return np.asarray(starts, dtype="int64"), np.asarray(blank, dtype=bool)


def _stage_csv(con, spec: SourceFile, path: Path, label: str, expected: list[str], stg: str, res: LoadResult,
               tmpdir: Path) -> None:
    if path.stat().st_size == 0:
        raise IngestError("the file is empty (0 bytes)", file=label,
                          fix="export the data again, or remove this source from the config")
    data = _open_bytes(path)
    if not data.strip():
        raise IngestError("the file is empty (only blank space)", file=label,
                          fix="export the data again, or remove this source from the config")
    text, enc, warns = _decode(data, spec.encoding, label)
    res.encoding, res.warnings = enc, res.warnings + warns
    lines = _lines(text)
    if spec.header_row is not None:
        h = spec.header_row
        if h >= len(lines):
            raise IngestError(f"header_row {h} is beyond the end of the file ({len(lines)} lines)", file=label,
                              fix="set header_row to the 0-based line of the column names")
    else:
        rows_any = [_split_header(ln, _detect_delimiter([ln], spec.delimiter, label, expected)) for ln in lines[:40]]
        h = _find_header_row(rows_any, expected)
    delim = _detect_delimiter(lines[h:h + 5], spec.delimiter, label, expected)
    res.delimiter, res.header_row = delim, h
    header = _dedupe(_split_header(lines[h], delim))
    # DuckDB reads UTF-8: re-encode when the file is not plain UTF-8 without BOM, or is compressed
    plain = enc == "utf-8-sig" and path.suffix.lower() not in (".gz", ".bz2", ".zip") and not data.startswith(b"\xef\xbb\xbf")
    if plain:
        src = path
    else:
        src = tmpdir / (re.sub(r"[^A-Za-z0-9_.-]", "_", path.name) + ".utf8.csv")
        src.write_text(text.removeprefix("\ufeff"), encoding="utf-8", newline="\n")
    del data, text
    rej = f"rej_{stg}"
    cols = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in header) + "}"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stg}_raw AS SELECT * FROM read_csv({_lit(str(src))}, delim={_lit(delim)}, "
            f"header=false, skip={h + 1}, auto_detect=false, columns={cols}, quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false, store_rejects=true, rejects_table='{rej}', "
            f"rejects_scan='{rej}_scan', max_line_size=10000000)")
    except duckdb.Error as e:
        raise IngestError(f"cannot parse the file as delimited text ({str(e).splitlines()[0]})", file=label,
                          fix="check the delimiter, quoting and header_row of this source") from None
    n_ok = con.execute(f"SELECT count(*) FROM {stg}_raw").fetchall()[0][0]
    rejects = con.execute(f"""SELECT line, string_agg(DISTINCT error_type, ', ') AS error_type,
        any_value(error_message) AS error_message, any_value(csv_line) AS csv_line FROM {rej}
        GROUP BY line ORDER BY line""").df()
    con.execute(f"DROP TABLE IF EXISTS {rej}; DROP TABLE IF EXISTS {rej}_scan")
    # source_row = the physical line of each record in the file (1-based)
    starts, blank = _record_lines(lines, h + 1, delim)
    rec_no = np.arange(h + 2, h + 2 + len(starts))           # DuckDB's record numbering (header = line h + 1)
    rejected = np.isin(rec_no, rejects["line"].to_numpy()) if len(rejects) else np.zeros(len(starts), bool)
    ok_lines = starts[~blank & ~rejected]
    if len(ok_lines) != n_ok:          # quoting we could not follow: number records as DuckDB does
        res.warnings.append("row numbers count records, not physical lines (unusual quoting)")
        seq = np.arange(h + 2, h + 2 + n_ok + len(rejects) + 1)
        ok_lines = seq[~np.isin(seq, rejects["line"].to_numpy())][:n_ok]
        starts = rec_no = seq
    con.register(f"{stg}_lines", pd.DataFrame({"_i": np.arange(1, n_ok + 1), "_line": ok_lines[:n_ok]}))
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT r.*, l._line AS _row FROM "
                f"(SELECT *, row_number() OVER () AS _i FROM {stg}_raw) r JOIN {stg}_lines l USING (_i) ORDER BY _i")
    con.execute(f"ALTER TABLE {stg} DROP COLUMN _i")
    con.unregister(f"{stg}_lines")
    if len(rejects):
        line_of = dict(zip(rec_no, starts))
        reasons = [("unreadable line: " + "; ".join(_REJECT_REASON.get(t.strip(), t.strip().lower())
                                                     for t in str(et).split(",")) + f" ({msg})")
                   for et, msg in zip(rejects["error_type"], rejects["error_message"].astype(str))]
        q = pd.DataFrame({"source_row": [int(line_of.get(x, x)) for x in rejects["line"]], "column_name": None,
                          "reason": reasons, "raw_values": rejects["csv_line"].astype(str).str.slice(0, 500)})
        _quarantine_df(con, res, q)
    con.execute(f"DROP TABLE IF EXISTS {stg}_raw")
    res.rows_read += n_ok + len(rejects)


def _stage_excel(con, spec, path, label, expected, stg, res):
    raw = _read_excel_raw(path, spec.sheet, label)
    if raw.dropna(how="all").empty:
        raise IngestError("the sheet is empty", file=label, fix="check the `sheet` of this source")
    rows = raw.head(30).values.tolist()
    h = spec.header_row if spec.header_row is not None else _find_header_row(rows, expected)
    if h >= len(raw):
        raise IngestError(f"header_row {h} is beyond the last row of the sheet ({len(raw)} rows)", file=label,
                          fix="set header_row to the 0-based row of the column names")
    res.header_row = h
    header = _dedupe([str(c).strip() if c is not None and str(c) != "nan" else "" for c in raw.iloc[h]])
    body = raw.iloc[h + 1:].copy()
    body.columns = header
    body = body.dropna(how="all")
    body["_row"] = (body.index + 1).astype("int64")   # the Excel row number (1-based)

    for c in body.columns:
        if c != "_row":
            body[c] = pd.array([_excel_cell_text(v) for v in body[c].to_numpy()], dtype="str")
    con.register(f"{stg}_df", body)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT * FROM {stg}_df")
    con.unregister(f"{stg}_df")
    res.rows_read += len(body)


def _excel_cell_text(v) -> str | None:
    """The text an Excel cell is staged as (every source column is staged as text, then typed by the mapping):
    a date-time at midnight is a date ("2024-03-05"), a time of day "14:30:00", a whole float an integer ("12").

    >>> import datetime as dt
    >>> [_excel_cell_text(v) for v in (dt.datetime(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 30), dt.time(9, 5),
    ...                                12.0, 0.25, None)]
    ['2024-03-05', '2024-03-05 14:30:00', '09:05:00', '12', '0.25', None]
    """
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, _dt.time):                   # a cell formatted as a time of day
        return v.isoformat()
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        if hasattr(v, "hour") and (v.hour, v.minute, v.second) == (0, 0, 0):
            return v.date().isoformat() if hasattr(v, "date") else v.isoformat()
        return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _stage_parquet(con, spec, path, label, stg, res):
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT *, row_number() OVER ()::BIGINT AS _row "
                    f"FROM read_parquet({_lit(str(path))})")
    except duckdb.Error as e:
        raise IngestError(f"cannot read the Parquet file ({str(e).splitlines()[0]})", file=label,
                          fix="write the file again with pandas/pyarrow, or export CSV") from None
    res.rows_read += con.execute(f"SELECT count(*) FROM {stg}").fetchall()[0][0]


SQL_URL = re.compile(r"^(duckdb|sqlite|sqlite3|postgresql|postgres)(?:\+\w+)?://(.*)$")

# A source query only reads: one SELECT (WITH … SELECT, VALUES, FROM …, TABLE …). It never writes files, attaches
# other databases, loads extensions or changes settings.
_READ_KEYWORDS = {"SELECT", "WITH", "VALUES", "FROM", "TABLE"}
_SQL_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\w*)\$.*?\$\1\$", re.S)
_QUERY_FIX = ("write one SELECT … FROM … query (WITH … SELECT is fine); a source query only reads the tables of its "
              "own database — it cannot write files (COPY … TO, EXPORT), attach other databases (ATTACH), load "
              "extensions (INSTALL/LOAD) or change settings (SET, PRAGMA): give another database its own source "
              "with `url:`, or export the data as CSV/Parquet")


def _read_only_query(query: str, label: str) -> str:
    """The query without its trailing ``;`` when it is one reading statement; otherwise an IngestError naming what
    the query would do.

    >>> _read_only_query("/* orders */ SELECT * FROM sales; ", "x")
    '/* orders */ SELECT * FROM sales'
    >>> _read_only_query("COPY sales TO '/tmp/x.csv'", "sql source (duckdb:///shop.duckdb)")
    Traceback (most recent call last):
    ...
    dbmkit.ingest.IngestError: sql source (duckdb:///shop.duckdb): the query is a COPY statement, but a source query may only read (one SELECT)
      Fix: write one SELECT … FROM … query (WITH … SELECT is fine); a source query only reads the tables of its own database — it cannot write files (COPY … TO, EXPORT), attach other databases (ATTACH), load extensions (INSTALL/LOAD) or change settings (SET, PRAGMA): give another database its own source with `url:`, or export the data as CSV/Parquet
    """
    bare = _SQL_NOISE.sub(lambda m: " " if m.group(0).startswith(("--", "/*")) else "''", query or "")
    parts = [x for x in bare.split(";") if x.strip()]
    if not parts:
        raise IngestError("the query is empty", file=label, fix=_QUERY_FIX)
    if len(parts) > 1:
        raise IngestError(f"the query holds {len(parts)} statements, but a source query is one SELECT", file=label,
                          fix=_QUERY_FIX)
    words = re.findall(r"[A-Za-z_]+", parts[0])
    first = words[0].upper() if words else "?"
    if first not in _READ_KEYWORDS:
        kind = " ".join(w.upper() for w in words[:2]) if first in ("EXPORT", "IMPORT", "CREATE", "DROP") else first
        raise IngestError(f"the query is a {kind} statement, but a source query may only read (one SELECT)",
                          file=label, fix=_QUERY_FIX)
    q = query.strip()
    while q.endswith(";"):
        q = q[:-1].rstrip()
    return q


def _sandboxed_duckdb(path: Path, label: str):
    """An in-memory DuckDB with the client's database attached read-only and then sealed: no file access outside
    it, no extensions, settings locked (a client query cannot read /etc/passwd, write a file or attach another
    database)."""
    con = duckdb.connect(":memory:")
    try:
        # named after the file, as DuckDB names a database it opens (shop.duckdb → shop.main.sales)
        alias = path.stem if path.stem and path.stem.lower() not in ("memory", "system", "temp", "main") else "client"
        con.execute(f"ATTACH {_lit(str(path))} AS {_q(alias)} (READ_ONLY)")
        con.execute(f"USE {_q(alias)}")
        for setting in ("autoinstall_known_extensions = false", "autoload_known_extensions = false",
                        "enable_external_access = false", "lock_configuration = true"):
            con.execute(f"SET {setting}")
    except duckdb.Error as e:
        con.close()
        raise IngestError(f"cannot open the DuckDB database ({str(e).splitlines()[0]})", file=label,
                          fix="check that `url` points at a DuckDB database file (duckdb:///path/file.duckdb)") from None
    return con


_SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                   getattr(sqlite3, "SQLITE_RECURSIVE", 33)}
_SQLITE_ACTIONS = {v: k.removeprefix("SQLITE_").replace("_", " ") for k, v in vars(sqlite3).items()
                   if k.startswith("SQLITE_") and isinstance(v, int) and k not in (
                       "SQLITE_OK", "SQLITE_DENY", "SQLITE_IGNORE") and not k.startswith(("SQLITE_LIMIT",
                                                                                          "SQLITE_DBCONFIG"))}


def _stage_sql(con, spec, base_dir, stg, res):
    url = spec.url
    label = f"sql source ({url})"
    m = SQL_URL.match(url or "")
    if not m:
        raise IngestError(f"unsupported database URL '{url}'", file=label,
                          fix="use duckdb:///path/file.duckdb, sqlite:///path/file.db or postgresql://user@host/db "
                              "(other databases: export the table as CSV or Parquet)")
    kind, rest = m.group(1), m.group(2)
    query = _read_only_query(spec.sql, label)
    if kind in ("duckdb", "sqlite", "sqlite3"):
        rest = rest[1:] if rest.startswith("/") else rest        # duckdb:///rel.db → rel.db; duckdb:////abs → /abs
        p = _client_path(rest, base_dir, label, what="`url`")
        if not p.exists():
            raise IngestError(f"database file not found: {p}", file=label,
                              fix="check the path in `url` (duckdb:///relative/path.duckdb is relative to the "
                                  "config file; use four slashes for an absolute path)")
    denied: list[str] = []
    try:
        if kind == "duckdb":
            src = _sandboxed_duckdb(p, label)
            try:
                kinds = [st.type.name for st in src.extract_statements(query)]
                if kinds != ["SELECT"]:
                    raise IngestError(f"the query is a {' + '.join(kinds) or 'empty'} statement, but a source query "
                                      "may only read (one SELECT)", file=label, fix=_QUERY_FIX)
                try:        # every column as text, so ids keep their leading zeros and amounts their digits
                    cur = src.execute(f"SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({query})")
                except duckdb.ParserException:
                    cur = src.execute(query)
                rows = cur.fetchall()
                names = [d[0] for d in cur.description or []]
            finally:
                src.close()
        elif kind in ("sqlite", "sqlite3"):
            sc = sqlite3.connect(f"file:{p}?mode=ro", uri=True)

            def authorize(action, *_):          # only reading; ATTACH, PRAGMA, writes … are refused
                if action in _SQLITE_ALLOWED:
                    return sqlite3.SQLITE_OK
                denied.append(_SQLITE_ACTIONS.get(action, str(action)))
                return sqlite3.SQLITE_DENY
            try:
                sc.set_authorizer(authorize)
                cur = sc.execute(query)
                if cur.description is None:
                    raise IngestError("the query returns no table", file=label, fix=_QUERY_FIX)
                rows = cur.fetchall()
                names = [d[0] for d in cur.description]
            finally:
                sc.close()
        else:
            try:
                import psycopg
            except ImportError:
                raise IngestError("reading PostgreSQL needs the psycopg package", file=label,
                                  fix="pip install 'psycopg[binary]' in the workbook's environment, or export the "
                                      "table as CSV/Parquet") from None
            with psycopg.connect(url) as pc:
                pc.read_only = True                 # a read-only transaction: the server refuses any write
                cur = pc.execute(query)
                if cur.description is None:
                    raise IngestError("the query returns no table", file=label, fix=_QUERY_FIX)
                rows = cur.fetchall()
                names = [d.name for d in cur.description]
    except IngestError:
        raise
    except duckdb.PermissionException as e:
        raise IngestError("the query reaches outside its database (a file, another database or an extension): "
                          f"{str(e).splitlines()[0]}", file=label, fix=_QUERY_FIX) from None
    except Exception as e:  # noqa: BLE001 - database drivers raise their own types
        if denied or "not authorized" in str(e):       # SQLite's authorizer (or load_extension, which is off)
            what = denied[0] if denied else f"something a source may not do ({str(e).splitlines()[0]})"
            raise IngestError(f"the query asks for {what}, but a source query may only read (one SELECT)",
                              file=label, fix=_QUERY_FIX) from None
        raise IngestError(f"the SQL query failed: {type(e).__name__}: {str(e).splitlines()[0]}", file=label,
                          fix="run the query in a SQL client first; check table and column names") from None
    names = _dedupe([str(n) for n in names])
    out = pd.DataFrame({n: pd.array([None if r[k] is None else str(r[k]) for r in rows], dtype="str")
                        for k, n in enumerate(names)})
    out["_row"] = np.arange(1, len(rows) + 1, dtype="int64")
    con.register(f"{stg}_df", out)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT * FROM {stg}_df")
    con.unregister(f"{stg}_df")
    res.rows_read += len(out)
    res.encoding = None


# ------------------------------------------------------------------------------------------------ fingerprints
HASH_BLOCK = 1 << 20        # files are hashed in 1 MB blocks


def file_digest(path: str | Path) -> str:
    """A content hash of a file (SHA-256 of its bytes, streamed in 1 MB blocks; SHA-256 is hardware-accelerated on
    current CPUs, faster than BLAKE2b here): changes when any byte changes, whatever the file's size and modification
    time say.

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> _ = open(p, "w").write("id,status,1,opt_in"); a = file_digest(p)
    >>> _ = open(p, "w").write("id,status,1,opt_ou"); a == file_digest(p)       # same size
    False
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


# the fingerprint query per engine: row count + an order-free sum of row hashes, computed by the source's database
_SQL_FINGERPRINT = {
    "duckdb": "SELECT count(*) AS n, coalesce(sum(hash(t)), 0) AS h FROM (\n{query}\n) AS t",
    "postgresql": "SELECT count(*) AS n, coalesce(sum(('x' || substr(md5(CAST(t AS text)), 1, 16))::bit(64)::bigint"
                  "::numeric), 0) AS h FROM (\n{query}\n) AS t",
}
_SQL_FINGERPRINT["postgres"] = _SQL_FINGERPRINT["postgresql"]


def source_fingerprint(spec: SourceFile, base_dir: str | Path = ".") -> str:
    """What a source holds now, in one string that changes when its data change (for the workspace's staleness
    check): a file's content hash (``missing`` when there is no such file), or for a SQL source its row count and a
    hash aggregate of its rows. DuckDB and PostgreSQL compute that aggregate themselves (the source query wrapped in
    ``SELECT count(*), sum(hash(row)) …``: no rows leave the database); SQLite has no hash function, so its rows
    are read as the build reads them and hashed here (a local file: cheap). A query that cannot be wrapped is read
    whole in the same way. Raises :class:`IngestError` when the source cannot be read.

    >>> import os, sqlite3, tempfile
    >>> d = tempfile.mkdtemp(); db = sqlite3.connect(os.path.join(d, "crm.db"))
    >>> _ = db.execute("CREATE TABLE c (email TEXT, status TEXT)")
    >>> _ = db.execute("INSERT INTO c VALUES ('a@x.com', 'opt_in')"); db.commit()
    >>> spec = SourceFile(sql="SELECT * FROM c", url="sqlite:///crm.db", columns={"email": "email", "status": "status"})
    >>> before = source_fingerprint(spec, d)
    >>> _ = db.execute("UPDATE c SET status = 'opt_out'"); db.commit(); db.close()
    >>> before == source_fingerprint(spec, d)
    False
    """
    if spec.path:
        p = Path(os.path.expanduser(spec.path))
        p = p if p.is_absolute() else (Path(base_dir) / p).resolve()
        return f"file:{file_digest(p)}" if p.is_file() else "missing"
    m = SQL_URL.match(spec.url or "")
    wrapper = _SQL_FINGERPRINT.get(m.group(1)) if m else None
    scratch = duckdb.connect()
    try:
        res = LoadResult(table="fingerprint", source="sql", source_system=None)
        if wrapper:
            query = re.sub(r"[\s;]+$", "", spec.sql or "")
            try:
                _stage_sql(scratch, spec.model_copy(update={"sql": wrapper.format(query=query)}), base_dir, "_fp", res)
                n, h = scratch.execute("SELECT n, h FROM _fp").fetchall()[0]
                return f"sql:{n}:{h}"
            except IngestError:
                pass                      # e.g. a query that cannot stand in a subquery: read it whole below
        _stage_sql(scratch, spec, base_dir, "_fp", res)
        n, h = scratch.execute("SELECT count(*), coalesce(sum(hash(t)), 0) FROM "
                               "(SELECT * EXCLUDE (_row) FROM _fp) AS t").fetchall()[0]
        return f"rows:{n}:{h}"
    finally:
        scratch.close()


# ------------------------------------------------------------------------------------------------ coercion
def _nullif(expr: str) -> str:
    null_list = ", ".join(_lit(x) for x in NULL_LIKE)
    return f"(CASE WHEN lower(trim(CAST({expr} AS VARCHAR))) IN ({null_list}) THEN NULL ELSE trim(CAST({expr} AS VARCHAR)) END)"


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
    if c.type == "id":       # text, never a number: leading zeros stay; "123.0" from a spreadsheet becomes "123"
        val = f"regexp_replace(regexp_replace({v}, '^([0-9]+)\\.0+$', '\\1'), '\\s+', ' ', 'g')"
        if name == "customer_id" and spec.id_prefix:
            val = f"({_lit(spec.id_prefix)} || {val})"
        return val, "NULL"
    if c.type == "text":
        return v, "NULL"
    if c.type in ("date", "timestamp"):
        fmts = _date_formats(con, stg, src_col, spec.date_format) if src_col else DATE_FORMATS_ISO
        fl = "[" + ", ".join(_lit(f) for f in fmts) + "]"
        # Excel serial day numbers (e.g. 45123) as well as text dates
        naive = (f"regexp_replace({v}, '([0-9]{{2}}:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?)\\s*(Z|UTC|[+-][0-9]{{2}}:?[0-9]{{2}})$', "
                 f"'\\1')")
        ts = (f"CAST(COALESCE(try_strptime({naive}, {fl}), CASE WHEN regexp_matches({v}, '^[0-9]{{5}}(\\.[0-9]+)?$') "
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
        s = f"regexp_replace({s}, '[A-Z]{{3}}|元|[^0-9eE+\\-.]', '', 'g')"  # currency symbols and codes
        num = f"TRY_CAST(NULLIF({s}, '') AS DOUBLE)"
        if c.type == "int":
            num = f"CAST(round({num}) AS BIGINT)"
        # a number may carry a currency symbol or ISO code and a sign, but no other words ("12abc" is not a number)
        shape = ("'^([A-Z]{3}\\s*|[^\\w\\s]\\s*){0,3}[0-9][0-9.,\\s'']*([eE][-+]?[0-9]+)?\\s*"
                 "([A-Z]{3}|元|[^\\w\\s]){0,2}\\s*$'")
        num = f"CASE WHEN regexp_matches({v}, {shape}) THEN {num} END"
        prob = (f"CASE WHEN {v} IS NOT NULL AND {out} IS NULL "
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
    """Create the bookkeeping tables of ingest (quarantine, value_issues, load_log) when missing.

    >>> import duckdb
    >>> con = duckdb.connect(); ensure_ingest_tables(con)
    >>> sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
    ['load_log', 'quarantine', 'value_issues']
    """
    con.execute("""
        CREATE TABLE IF NOT EXISTS quarantine (table_name VARCHAR, source VARCHAR, source_row BIGINT,
            column_name VARCHAR, reason VARCHAR, raw_values VARCHAR);
        CREATE TABLE IF NOT EXISTS value_issues (table_name VARCHAR, source VARCHAR, source_row BIGINT,
            column_name VARCHAR, problem VARCHAR, raw_value VARCHAR);
        CREATE TABLE IF NOT EXISTS load_log (table_name VARCHAR, source VARCHAR, source_system VARCHAR,
            rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, encoding VARCHAR, delimiter VARCHAR,
            warnings VARCHAR);
    """)


def _client_path(path: str, base_dir: str | Path, label: str, what: str = "`path`") -> Path:
    """A source's file: an absolute path (or ``~/…``) as written; a relative one from the config file's folder,
    which must stay inside that folder or its parent — the project folder, where ``clients/`` sits beside
    ``data/`` (``../data/acme/orders.csv`` is fine, ``../../x`` or ``../../../etc/passwd`` is refused).

    >>> _client_path("../data/x.csv", "/p/clients", "x").as_posix()
    '/p/data/x.csv'
    >>> _client_path("../../etc/passwd", "/p/clients", "orders.csv")
    Traceback (most recent call last):
    ...
    dbmkit.ingest.IngestError: orders.csv: the path '../../etc/passwd' leads outside the client's folder (/p/clients) and the project folder above it (/p)
      Fix: put the client's files in the config's folder or in the project's data folder (e.g. ../data/<client>/…); a file elsewhere must be given as an absolute path, on purpose
    """
    p = Path(os.path.expanduser(str(path)))
    if p.is_absolute():
        return p.resolve()
    base = Path(os.path.abspath(base_dir))
    full = Path(os.path.normpath(base / p))          # by the written path: a link the consultant made is followed
    if not any(full == root or root in full.parents for root in (base, base.parent)):
        raise IngestError(f"the path {str(path)!r} leads outside the client's folder ({base}) and the project "
                          f"folder above it ({base.parent})", file=label,
                          fix=f"put the client's files in the config's folder or in the project's data folder "
                              f"(e.g. ../data/<client>/…); a file elsewhere must be given as an absolute path, "
                              f"on purpose")
    return full.resolve()


def _resolve_path(spec: SourceFile, base_dir: str | Path) -> Path:
    p = _client_path(spec.path, base_dir, spec.path)
    if not p.exists():
        hint = ""
        if p.parent.exists():
            close = difflib.get_close_matches(p.name, [x.name for x in p.parent.iterdir()], n=2)
            if close:
                hint = f"did you mean {', '.join(close)}? "
        else:
            hint = f"the folder {p.parent} does not exist either; "
        raise IngestError(f"file not found: {p}", file=spec.path,
                          fix=f"{hint}check `path` (relative paths start at the config file's folder)")
    if p.is_dir():
        raise IngestError("the path is a folder, not a file", file=spec.path, fix="point `path` at one file")
    return p


def _check_mapping(con, stg: str, table: str, spec: SourceFile, label: str) -> tuple[list[str | None], bool]:
    """The source column of each canonical column (None when unmapped) and whether order ids must be made up."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {stg}").fetchall() if r[0] != "_row"]
    lower = {c.lower().strip(): c for c in cols}
    fixed = {}
    for canon, src in spec.columns.items():
        if src in cols:
            fixed[canon] = src
            continue
        if str(src).lower().strip() in lower:           # tolerate case and surrounding spaces
            fixed[canon] = lower[str(src).lower().strip()]
            continue
        close = difflib.get_close_matches(str(src), cols, n=3, cutoff=0.5) or \
            [lower[x] for x in difflib.get_close_matches(str(src).lower(), list(lower), n=3, cutoff=0.5)]
        raise IngestError(f"the mapping says {canon} ← '{src}', but the file has no column '{src}'", file=label,
                          column=src,
                          fix=(f"did you mean {', '.join(repr(c) for c in close)}? " if close else "") +
                              f"columns in the file: {', '.join(cols[:30])}")
    derive_order_id = table == "orders" and "order_id" not in fixed and "order_id" not in spec.constants
    required = [r for r in schema.REQUIRED_MAPPING.get(table, []) if not (derive_order_id and r == "order_id")]
    missing = [r for r in required if r not in fixed and r not in spec.constants]
    if table == "orders" and not ({"net_amount", "gross_amount"} & (set(fixed) | set(spec.constants))):
        missing.append("net_amount (or gross_amount)")
    if table in ("consents", "email_events") and not ({"customer_id", "email"} & (set(fixed) | set(spec.constants))):
        missing.append("customer_id (or email)")
    if table == "sms_events" and not ({"customer_id", "phone"} & set(fixed)):
        missing.append("customer_id (or phone)")
    if missing:
        guesses = []
        for m_ in missing:
            base = m_.split(" ")[0]
            close = difflib.get_close_matches(base, cols, n=1, cutoff=0.4)
            if close:
                guesses.append(f"{base}: {close[0]!r}?")
        raise IngestError(f"the {table} mapping lacks {', '.join(missing)}", file=label,
                          fix="add them under `columns:` (canonical column: column in the file)" +
                              (f"; candidates: {'; '.join(guesses)}" if guesses else "") +
                              f"; columns in the file: {', '.join(cols[:30])}")
    return [fixed.get(c.name) for c in schema.source_columns(table)], derive_order_id


def _stage(con, table: str, spec: SourceFile, base_dir, stg: str, res: LoadResult, tmp: Path, label: str) -> None:
    expected = list(spec.columns.values())
    if spec.sql:
        _stage_sql(con, spec, base_dir, stg, res)
        return
    path = _resolve_path(spec, base_dir)
    fmt = spec.format if spec.format != "auto" else _format_of(path)
    if fmt == "csv":
        _stage_csv(con, spec, path, label, expected, stg, res, tmp)
    elif fmt == "excel":
        _stage_excel(con, spec, path, label, expected, stg, res)
    elif fmt == "parquet":
        _stage_parquet(con, spec, path, label, stg, res)
    else:
        raise IngestError(f"format '{fmt}' cannot be read from a file", file=label,
                          fix="use format csv, excel or parquet for a file, or `sql:` with `url:` for a database")


def load_source(con: duckdb.DuckDBPyConnection, table: str, spec: SourceFile, base_dir: str | Path = ".",
                stage_name: str | None = None, tmpdir: str | Path | None = None) -> LoadResult:
    """Read one source into ``src_<table>`` (typed canonical columns + source_file, source_row, source_system).

    Rows with a problem in a required column, or with a value too long to be real, go to ``quarantine`` with the
    reason; a value of an optional column that cannot be read becomes NULL and is listed in ``value_issues``.
    Returns the row counts (read = loaded + quarantined) and how the file was read.

    See the module example; ``load_sources`` loads several sources at once.
    """
    if table not in schema.REQUIRED_MAPPING:
        raise IngestError(f"unknown table '{table}'", file=spec.path or "sql",
                          fix=f"sources feed one of: {', '.join(schema.REQUIRED_MAPPING)}")
    ensure_ingest_tables(con)
    con.execute("SET enable_progress_bar = false")
    label = spec.path if spec.path else f"sql: {' '.join(spec.sql.split())[:60]}"
    res = LoadResult(table=table, source=str(label), source_system=spec.source_system)
    stg = stage_name or f"stg_{table}"
    own_tmp = tmpdir is None
    tmp = Path(tmpdir) if tmpdir else Path(tempfile.mkdtemp(prefix="dbmkit_"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        _stage(con, table, spec, base_dir, stg, res, tmp, label)
        _load_staged(con, table, spec, stg, res, label)
    finally:
        for t in (stg, f"{stg}_typed", f"{stg}_v", f"{stg}_t"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        if own_tmp:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    return res


def _load_staged(con, table: str, spec: SourceFile, stg: str, res: LoadResult, label: str) -> None:
    src_cols, derive_order_id = _check_mapping(con, stg, table, spec, label)
    cols = schema.source_columns(table)
    if res.rows_read == 0:
        res.warnings.append("no data rows (the file has a header only)")
    # stage 1: the mapped text, trimmed, NULL-like strings ("NULL", "N/A", "-") as NULL
    vsel = []
    for c, src in zip(cols, src_cols):
        if src is not None:
            vsel.append(f"{_nullif(_q(src))} AS {_q('v_' + c.name)}")
        elif c.name in spec.constants:
            vsel.append(f"{_nullif(_lit(spec.constants[c.name]))} AS {_q('v_' + c.name)}")
        elif c.name == "order_id" and derive_order_id:
            prefix = spec.source_system or Path(str(spec.path or "sql")).name.split(".")[0]
            vsel.append(f"({_lit(prefix)} || '-' || CAST(t._row AS VARCHAR)) AS {_q('v_order_id')}")
    if derive_order_id:
        res.warnings.append("no order_id mapped: each row is one order, numbered by its row in the file")
    header_vals = [f"lower(trim(CAST({_q(src)} AS VARCHAR))) = {_lit(str(src).lower().strip())}"
                   for src in src_cols if src is not None]
    is_header = " AND ".join(header_vals) if header_vals else "FALSE"
    stage1 = f"SELECT t._row, ({is_header}) AS _is_header" + "".join(", " + x for x in vsel) + f" FROM {stg} t"
    # stage 2: typed values; stage 3: problems (a problem in a required column quarantines the row)
    tsel, probs, warns = [], [], []
    row_required = set(schema.REQUIRED_MAPPING.get(table, []))
    mapped = {c.name for c, src in zip(cols, src_cols) if src is not None} | set(spec.constants) | \
        ({"order_id"} if derive_order_id else set())
    if table == "orders":             # an order needs an amount: the net, or the gross when no net is given
        row_required.add("net_amount" if "net_amount" in mapped else "gross_amount")
    for c, src in zip(cols, src_cols):
        sqlt = schema.SQL_TYPES[c.type]
        if c.name not in mapped:
            tsel.append(f"CAST(NULL AS {sqlt}) AS {_q(c.name)}")
            continue
        v = _q("v_" + c.name)
        val, prob = _coerce(c, v, _q(c.name), con, stg, src, spec)
        tsel.append(f"CAST({val} AS {sqlt}) AS {_q(c.name)}")
        if c.type in ("id", "text"):       # a value far too long is a broken export, not data: quarantine the row
            limit = MAX_ID_LEN if c.type == "id" else MAX_TEXT_LEN
            probs.append(f"CASE WHEN length({v}) > {limit} THEN '{c.name}: value too long (' || length({v}) || "
                         f"' characters; the limit is {limit}) — a broken line or a note pasted into the field?' END")
        if c.name in row_required:
            probs.append(prob)
            probs.append(f"CASE WHEN {_q(c.name)} IS NULL AND {v} IS NULL THEN '{c.name}: missing' END")
        elif prob != "NULL":
            warns.append((c.name, prob))
    stage2 = f"SELECT *, {', '.join(tsel)} FROM ({stage1}) v"
    probs = ["CASE WHEN _is_header THEN 'repeated header line (files concatenated?)' END"] + \
        [p for p in probs if p != "NULL"]
    reason = "CASE WHEN _is_header THEN 'repeated header line (files concatenated?)' ELSE NULLIF(concat_ws('; ', " + \
        ", ".join(probs[1:] or ["NULL"]) + "), '') END"
    wsel = "".join(f", CASE WHEN NOT _is_header THEN {p} END AS {_q('_warn_' + n)}" for n, p in warns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg}_typed AS SELECT *, {reason} AS _reason{wsel} FROM ({stage2}) x")
    bad = con.execute(f"SELECT b._row AS source_row, b._reason AS reason, left(CAST(to_json(s) AS VARCHAR), 500) "
                      f"AS raw_values FROM {stg}_typed b JOIN {stg} s USING (_row) WHERE b._reason IS NOT NULL "
                      f"ORDER BY b._row").df()
    if len(bad):
        bad["column_name"] = [r.split(":")[0] if ":" in r and not r.startswith("repeated") else None
                              for r in bad["reason"]]
    _quarantine_df(con, res, bad)
    if table == "consents":
        _keep_rejected_consents(con, stg, label, mapped)
    # values of optional columns that could not be read: left empty, listed in value_issues
    for n, _ in warns:
        w = _q("_warn_" + n)
        k = con.execute(f"SELECT count(*) FROM {stg}_typed WHERE _reason IS NULL AND {w} IS NOT NULL").fetchall()[0][0]
        if k:
            con.execute(f"""INSERT INTO value_issues SELECT {_lit(table)}, {_lit(label)}, _row, {_lit(n)}, {w},
                left({_q('v_' + n)}, 200) FROM {stg}_typed WHERE _reason IS NULL AND {w} IS NOT NULL""")
            ex = con.execute(f"SELECT any_value({_q('v_' + n)}) FROM {stg}_typed WHERE _reason IS NULL AND {w} IS NOT NULL"
                             ).fetchall()[0][0]
            res.warnings.append(f"{k} value(s) of {n} could not be read and were left empty (e.g. {ex!r}; "
                                f"see value_issues)")
    keep = ", ".join(_q(c.name) for c in cols)
    target = f"src_{table}"
    defs = ", ".join(f"{_q(c.name)} {schema.SQL_TYPES[c.type]}" for c in cols)
    con.execute(f"CREATE TABLE IF NOT EXISTS {target} ({defs}, source_file VARCHAR, source_row BIGINT, "
                f"source_system VARCHAR)")
    con.execute(f"INSERT INTO {target} SELECT {keep}, {_lit(label)}, _row, {_lit(spec.source_system or '')} "
                f"FROM {stg}_typed WHERE _reason IS NULL ORDER BY _row")
    res.rows_loaded = con.execute(f"SELECT count(*) FROM {stg}_typed WHERE _reason IS NULL").fetchall()[0][0]
    con.execute("INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(res.as_row().values()))
    if res.rows_read != res.rows_loaded + res.rows_quarantined:   # the reconciliation rule
        raise AssertionError(f"{label}: read {res.rows_read} ≠ loaded {res.rows_loaded} + quarantined {res.rows_quarantined}")


REJECTED_CONSENTS = "src_consents_rejected"


def _keep_rejected_consents(con, stg: str, label: str, mapped: set) -> None:
    """The consent rows set aside in quarantine, with their key and the words as written, in
    ``src_consents_rejected``: the build reads them again fail-safe (an unreadable opt-out still suppresses;
    ``dbmkit.database.consent``)."""
    def text(name):
        return _q("v_" + name) if name in mapped else "CAST(NULL AS VARCHAR)"
    con.execute(f"""CREATE TABLE IF NOT EXISTS {REJECTED_CONSENTS} (source_file VARCHAR, source_row BIGINT,
        reason VARCHAR, customer_id VARCHAR, email VARCHAR, channel VARCHAR, status VARCHAR, updated_at TIMESTAMP,
        updated_at_text VARCHAR)""")
    con.execute(f"""INSERT INTO {REJECTED_CONSENTS} SELECT {_lit(label)}, _row, _reason, customer_id, {text('email')},
        {text('channel')}, {text('status')}, updated_at, {text('updated_at')} FROM {stg}_typed
        WHERE _reason IS NOT NULL AND NOT _is_header ORDER BY _row""")


def load_sources(sources: dict[str, list[SourceFile] | SourceFile | dict], base_dir: str | Path = ".",
                 con: duckdb.DuckDBPyConnection | None = None) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """Load several sources ({table: [source, …]}) into a DuckDB connection (in memory by default); returns the
    connection and the load log (rows read / loaded / quarantined per source).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); _ = open(os.path.join(d, "o.csv"), "w").write("id;day;eur\\n1;2024-01-02;3,50\\n")
    >>> con, log = load_sources({"orders": {"path": "o.csv", "decimal": ",",
    ...     "columns": {"order_id": "id", "order_ts": "day", "net_amount": "eur"}}}, base_dir=d)
    >>> log[["rows_read", "rows_loaded"]].values.tolist(), con.sql("SELECT net_amount FROM src_orders").fetchall()
    ([[1, 1]], [(3.5,)])
    """
    con = con or duckdb.connect()
    for table, specs in sources.items():
        for spec in (specs if isinstance(specs, list) else [specs]):
            load_source(con, table, spec if isinstance(spec, SourceFile) else SourceFile.model_validate(spec),
                        base_dir=base_dir)
    return con, con.execute("SELECT * FROM load_log").df()


def read_table_preview(path: str | Path, n: int = 5, **kw) -> pd.DataFrame:
    """The first rows of a file as text, with the detected settings applied (for new-client and notebooks).

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv"); _ = open(p, "w").write("Title\\n\\nid;amount\\n1;2,50\\n")
    >>> read_table_preview(p, expected=["id", "amount"]).values.tolist()
    [['1', '2,50']]
    """
    info = detect_file(path, **kw)
    con = duckdb.connect()
    spec = SourceFile(path=str(path), delimiter=info.get("delimiter"), encoding=info.get("encoding"),
                      header_row=info.get("header_row"))
    res = LoadResult(table="preview", source=str(path), source_system=None)
    ensure_ingest_tables(con)
    p = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix="dbmkit_"))
    try:
        if info["format"] == "csv":
            _stage_csv(con, spec, p, str(path), [], "stg_preview", res, tmp)
        elif info["format"] == "excel":
            _stage_excel(con, spec, p, str(path), [], "stg_preview", res)
        else:
            _stage_parquet(con, spec, p, str(path), "stg_preview", res)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return con.execute(f"SELECT * EXCLUDE (_row) FROM stg_preview ORDER BY _row LIMIT {int(n)}").df()


# ------------------------------------------------------------------------------------------------ for chapters
def sources_of(ws) -> tuple[dict[str, list[SourceFile]], Path]:
    """The sources of a workspace (the config's mapping; the synthetic client's raw exports) and their folder.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> sources, folder = sources_of(ws)
    >>> sorted(sources)[:3], folder.name
    (['area_demographics', 'campaigns', 'consents'], 'raw')
    """
    return ws.sources()


DATA_KINDS = {     # the kind of customer data each canonical table holds (CONCEPTS: phase 1, collect)
    "customers": "demographic + contact (人口统计属性)",
    "consents": "permission (许可)",
    "orders": "behavioural: transactions (行为属性)",
    "sales_lines": "behavioural: transactions (行为属性)",
    "order_items": "behavioural: what was bought (行为属性)",
    "products": "product data (产品数据)",
    "campaigns": "business data: past campaigns (业务数据)",
    "contacts": "business data: who was contacted (业务数据)",
    "responses": "behavioural: campaign responses (行为属性)",
    "email_events": "channel data: e-mail platform (渠道数据)",
    "sms_events": "channel data: SMS platform (渠道数据)",
    "area_demographics": "appended: area demographics (附加数据)",
}


def source_table(ws) -> pd.DataFrame:
    """One row per source of a workspace: the canonical table it feeds, file, format, system and the settings
    given in the config (encoding, delimiter, sheet, header row, date format) and how many columns it maps.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> source_table(ws).query("table == 'customers'")["source"].tolist()
    ['./crm_customers.csv', './web_accounts.csv', './loyalty_members.xlsx']
    """
    sources, base = sources_of(ws)
    rows = []
    for table, specs in sources.items():
        for sp in specs:
            rows.append(dict(table=table, kind=DATA_KINDS.get(table), source=sp.path or f"sql: {sp.sql[:40]}",
                             format=sp.format if sp.format != "auto" else (
                                 _format_of(Path(sp.path)) if sp.path else "sql"),
                             source_system=sp.source_system, encoding=sp.encoding, delimiter=sp.delimiter,
                             sheet=sp.sheet, header_row=sp.header_row, date_format=sp.date_format,
                             mapped_columns=len(sp.columns), constants=len(sp.constants)))
    return pd.DataFrame(rows)


def mapping_table(table: str, spec: SourceFile) -> pd.DataFrame:
    """The column mapping of one source: canonical column ← source column (or constant), its type and whether the
    table requires it.

    >>> m = mapping_table("orders", SourceFile(path="x.csv", columns={"order_id": "Invoice"}))
    >>> m.loc[m["source"].notna(), ["canonical", "source", "type", "required"]].values.tolist()
    [['order_id', 'Invoice', 'id', True]]
    """
    req = set(schema.REQUIRED_MAPPING.get(table, []))
    rows = []
    for c in schema.source_columns(table):
        src = spec.columns.get(c.name)
        const = spec.constants.get(c.name)
        if src is None and const is None and table == "orders" and c.name == "order_id":
            src = "(none: rows are numbered)"
        rows.append(dict(canonical=c.name, source=src if src is not None else (
            f"(constant {const!r})" if const is not None else None), type=c.type, required=c.name in req))
    return pd.DataFrame(rows)


def source_spec(ws, name: str | None = None) -> tuple[str, SourceFile]:
    """(table, source) of a workspace's source file by name — by default the first customer file (else the first
    source).

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> table, spec = source_spec(ws)
    >>> table, spec.path, spec.columns["customer_id"]
    ('customers', './crm_customers.csv', 'CustNo')
    """
    if name is None:
        sources, _ = sources_of(ws)
        specs = [(t, sp) for t, sps in sources.items() for sp in sps if sp.path]
        first = [x for x in specs if x[0] == "customers"] or specs
        return first[0]
    table, sp, _ = _spec_path(ws, name)
    return table, sp


def _spec_path(ws, name: str) -> tuple[str, SourceFile, Path]:
    sources, base = sources_of(ws)
    for table, specs in sources.items():
        for sp in specs:
            if sp.path and (Path(sp.path).name == name or sp.path == name):
                return table, sp, Path(base)
    names = [Path(sp.path).name for specs in sources.values() for sp in specs if sp.path]
    close = difflib.get_close_matches(name, names, n=1)
    raise KeyError(f"no source file {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "") +
                   f"; sources: {', '.join(names)}")


def preview_source(ws, name: str, n: int = 5) -> pd.DataFrame:
    """The first ``n`` rows of a source file as its system wrote them (text, the config's settings applied), with
    e-mails and phone numbers masked.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> preview_source(ws, "web_accounts.csv", 2)["email"].str.contains("[*]{3}@").all()
    np.True_
    """
    from .privacy import mask_people
    table, sp, base = _spec_path(ws, name)
    con = duckdb.connect()
    res = LoadResult(table=table, source=name, source_system=sp.source_system)
    ensure_ingest_tables(con)
    tmp = Path(tempfile.mkdtemp(prefix="dbmkit_"))
    try:
        _stage(con, table, sp, base, "stg_preview", res, tmp, name)
        df = con.execute(f"SELECT * EXCLUDE (_row) FROM stg_preview ORDER BY _row LIMIT {int(n)}").df()
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return mask_people(df)


def source_records(ws, table: str = "customers", max_rows: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The rows of every source of ``table`` as loaded (typed, before cleaning and merge/purge), read again from
    the sources into memory — the "before" of the cleaning chapter. Contains personal data: mask before showing.

    With ``max_rows``, a source table larger than that is cut to a seeded sample of about ``max_rows`` rows,
    stratified by source file (each file keeps its share), so what is cleaned again stays small for a large
    client; the same seed gives the same rows.

    >>> import os, tempfile
    >>> from dbmkit.workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> stubs = int(ws.sql("SELECT count(*) AS n FROM customer_records WHERE source_row IS NULL")["n"].iloc[0])
    >>> len(source_records(ws, "customers")) == ws.build_summary()["customers_raw"] - stubs
    True
    >>> len(source_records(ws, "customers", max_rows=100)) <= 100
    True
    """
    sources, base = sources_of(ws)
    if table not in sources:
        return pd.DataFrame(columns=[c.name for c in schema.source_columns(table)])
    con = duckdb.connect()
    for sp in sources[table]:
        load_source(con, table, sp, base_dir=base)
    n = con.execute(f"SELECT count(*) FROM src_{table}").fetchall()[0][0]
    if max_rows is None or n <= max_rows:
        return con.execute(f"SELECT * FROM src_{table} ORDER BY source_file, source_row").df()
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1 (got {max_rows}); use None for every row")
    return con.execute(f"""SELECT * EXCLUDE (_k, _n) FROM (
            SELECT *, row_number() OVER (PARTITION BY source_file ORDER BY hash(source_row, ?), source_row) AS _k,
                   count(*) OVER (PARTITION BY source_file) AS _n FROM src_{table})
        WHERE _k <= greatest(1, floor(_n * ? / ?)) ORDER BY source_file, source_row""",
                       [int(seed), int(max_rows), int(n)]).df()
