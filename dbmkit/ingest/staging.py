"""Staging a source: its rows as text in a staging table, each with its row in the file — CSV (malformed quoting
and lines that cannot be read go to ``quarantine``), Excel, Parquet or a SQL query — before the mapping types them.
"""
from __future__ import annotations

import csv
import datetime as _dt
import difflib
import io
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..config import SourceFile
from .errors import IngestError, LoadResult, quote_text
from .files import (
    client_path,
    decode_text,
    dedupe_names,
    detect_delimiter,
    find_header_row,
    open_bytes,
    read_excel_table,
    split_fields,
    split_lines,
)
from .filetype import is_compressed, source_format
from .sql_sources import stage_sql

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


def broken_quote_lines(lines: list[str], skip: int, delim: str, n_fields: int) -> list[int]:
    """The physical lines (0-based, after the first ``skip``) whose quoting breaks: a quote opens a value that
    closes on no later line, or closes only after swallowing lines — the record then has more or fewer fields than
    the header, a quote is followed by other text than a delimiter, or a swallowed line has the header's width on
    its own. A quoted value that spans lines and gives a record of ``n_fields`` fields (an address with a line
    break) is fine. Reading resumes on the line after a broken one, so no other line is lost.

    >>> broken_quote_lines(['a,b', '1,"x', '2,y', '3,"p', 'q"'], 1, ",", 2)
    [1]
    """
    broken = []
    i, n = skip, len(lines)
    while i < n:
        if '"' not in lines[i] or not _ends_in_quotes(lines[i], delim, False):
            i += 1
            continue
        j, inside = i, True                # a quoted value goes on: follow it to the line where it closes
        while inside and j + 1 < n:
            j += 1
            if '"' in lines[j]:
                inside = _ends_in_quotes(lines[j], delim, True)
        # a line swallowed whole (it has the header's width on its own) means the quote was never meant to span
        if not inside and not any(len(split_fields(lines[k], delim)) == n_fields for k in range(i + 1, j)):
            try:
                width = len(next(csv.reader(io.StringIO("\n".join(lines[i:j + 1])), delimiter=delim,
                                            strict=True)))
            except (csv.Error, StopIteration):
                width = -1
            if width == n_fields:
                i = j + 1
                continue
        broken.append(i)
        i += 1
    return broken


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


def stage_csv(con, spec: SourceFile, path: Path, label: str, expected: list[str], stg: str, res: LoadResult,
               tmpdir: Path) -> None:
    if path.stat().st_size == 0:
        raise IngestError("the file is empty (0 bytes)", file=label,
                          fix="export the data again, or remove this source from the config")
    data = open_bytes(path, label)
    if not data.strip():
        raise IngestError("the file is empty (only blank space)", file=label,
                          fix="export the data again, or remove this source from the config")
    text, enc, warns = decode_text(data, spec.encoding, label)
    res.encoding, res.warnings = enc, res.warnings + warns
    lines = split_lines(text)
    if spec.header_row is not None:
        h = spec.header_row
        if h >= len(lines):
            raise IngestError(f"header_row {h} is beyond the end of the file ({len(lines)} lines)", file=label,
                              fix="set header_row to the 0-based line of the column names")
    else:
        rows_any = [split_fields(ln, detect_delimiter([ln], spec.delimiter, label, expected)) for ln in lines[:40]]
        h = find_header_row(rows_any, expected)
    delim = detect_delimiter(lines[h:h + 5], spec.delimiter, label, expected)
    res.delimiter, res.header_row = delim, h
    header = dedupe_names(split_fields(lines[h], delim), label, spec.columns)
    # a quote that never closes would swallow the lines after it: set those lines aside one by one, read the rest
    broken = broken_quote_lines(lines, h + 1, delim, len(header))
    orig = np.arange(1, len(lines) + 1)             # the file's line number of each line DuckDB reads
    if broken:
        _quarantine_broken(con, res, lines, broken, delim)
        keep = np.ones(len(lines), bool)
        keep[broken] = False
        orig = orig[keep]
        lines = [ln for ln, k in zip(lines, keep) if k]
        text = "\n".join(lines) + "\n"
    # DuckDB reads UTF-8: re-encode when the file is not plain UTF-8 without BOM, or is compressed
    plain = (enc == "utf-8-sig" and not is_compressed(path) and not data.startswith(b"\xef\xbb\xbf")
             and not broken)
    if plain:
        src = path
    else:
        src = tmpdir / (re.sub(r"[^A-Za-z0-9_.-]", "_", path.name) + ".utf8.csv")
        src.write_text(text.removeprefix("\ufeff"), encoding="utf-8", newline="\n")
    del data, text
    rej = f"rej_{stg}"
    cols = "{" + ", ".join(f"{quote_text(c)}: 'VARCHAR'" for c in header) + "}"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stg}_raw AS SELECT * FROM read_csv({quote_text(str(src))}, "
            f"delim={quote_text(delim)}, "
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
    starts = orig[np.minimum(starts, len(orig)) - 1]          # back to the file's own line numbers
    ok_lines = orig[np.minimum(ok_lines, len(orig)) - 1]
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
                          "reason": reasons, "raw_values": rejects["csv_line"].astype(str)})
        quarantine_rows(con, res, q)
    con.execute(f"DROP TABLE IF EXISTS {stg}_raw")
    res.rows_read += n_ok + len(rejects)


def _quarantine_broken(con, res: LoadResult, lines: list[str], broken: list[int], delim: str) -> None:
    """One quarantine record per line whose quoting broke, with the line's full text."""
    reason = ("unreadable line: a quote opens but never closes properly (set aside on its own, the lines after it "
              "were read as usual)")
    quarantine_rows(con, res, pd.DataFrame({"source_row": [i + 1 for i in broken], "column_name": None,
                                            "reason": reason, "raw_values": [lines[i] for i in broken]}))
    res.rows_read += len(broken)


def stage_excel(con, spec, path, label, expected, stg, res):
    raw, h, notes = read_excel_table(path, spec.sheet, label, expected, spec.header_row)
    if raw.dropna(how="all").empty:
        raise IngestError("the sheet is empty", file=label, fix="check the `sheet` of this source")
    if h >= len(raw):
        raise IngestError(f"header_row {h} is beyond the last row of the sheet ({len(raw)} rows)", file=label,
                          fix="set header_row to the 0-based row of the column names")
    res.header_row, res.warnings = h, res.warnings + notes
    header = dedupe_names([str(c).strip() if c is not None and str(c) != "nan" else "" for c in raw.iloc[h]], label,
                          spec.columns)
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


def stage_parquet(con, spec, path, label, stg, res):
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {stg} AS SELECT *, row_number() OVER ()::BIGINT AS _row "
                    f"FROM read_parquet({quote_text(str(path))})")
    except duckdb.Error as e:
        raise IngestError(f"cannot read the Parquet file ({str(e).splitlines()[0]})", file=label,
                          fix="write the file again with pandas/pyarrow, or export CSV") from None
    res.warnings += local_timestamps(con, stg, spec.zone)
    res.rows_read += con.execute(f"SELECT count(*) FROM {stg}").fetchall()[0][0]


def local_timestamps(con, stg: str, tz: str) -> list[str]:
    """Time-zone-aware timestamp columns of a staged table (``TIMESTAMP WITH TIME ZONE``: an instant, e.g. a pandas
    column with a zone written by pyarrow) turned into the client's local time in zone ``tz`` (the config's
    ``timezone``), without zone — the form every timestamp of the database has. A note names the columns.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE t AS SELECT TIMESTAMPTZ '2024-03-01 09:00:00+00' AS ts")
    >>> print(local_timestamps(con, "t", "Asia/Shanghai")[0].split(": ")[1])
    converted to the local time of Asia/Shanghai (the config's `timezone`) and kept without zone
    >>> con.execute("SELECT ts FROM t").fetchall()
    [(datetime.datetime(2024, 3, 1, 17, 0),)]
    """
    notes = []
    for name, typ in con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {stg})").fetchall():
        if typ == "TIMESTAMP WITH TIME ZONE":
            col = '"' + name.replace('"', '""') + '"'
            con.execute(f"ALTER TABLE {stg} ALTER COLUMN {col} TYPE TIMESTAMP USING timezone({quote_text(tz)}, {col})")
            notes.append(f"column '{name}' holds time-zone-aware timestamps: converted to the local time of {tz} "
                         f"(the config's `timezone`) and kept without zone")
    return notes


def quarantine_rows(con, res: LoadResult, q: pd.DataFrame) -> None:
    if q.empty:
        return
    q = q.assign(table_name=res.table, source=res.source)
    con.register("_q_df", q[["table_name", "source", "source_row", "column_name", "reason", "raw_values"]])
    con.execute("INSERT INTO quarantine SELECT table_name, source, source_row, column_name, reason, raw_values "
                "FROM _q_df")
    con.unregister("_q_df")
    res.rows_quarantined += len(q)


def _resolve_path(spec: SourceFile, base_dir: str | Path) -> Path:
    p = client_path(spec.path, base_dir, spec.path)
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


def stage_source(con, table: str, spec: SourceFile, base_dir, stg: str, res: LoadResult, tmp: Path, label: str) -> None:
    expected = list(spec.columns.values())
    if spec.sql:
        stage_sql(con, spec, base_dir, stg, res)
        return
    path = _resolve_path(spec, base_dir)
    fmt, notes = source_format(path, spec.format, label)
    res.warnings += notes
    if fmt == "csv":
        stage_csv(con, spec, path, label, expected, stg, res, tmp)
    elif fmt == "excel":
        stage_excel(con, spec, path, label, expected, stg, res)
    elif fmt == "parquet":
        stage_parquet(con, spec, path, label, stg, res)
    else:
        raise IngestError(f"format '{fmt}' cannot be read from a file", file=label,
                          fix="use format csv, excel or parquet for a file, or `sql:` with `url:` for a database")
