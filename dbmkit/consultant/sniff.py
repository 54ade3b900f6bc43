"""What a file handed to ``dbmkit new-client`` really is, before any reader looks at it: the first bytes tell an
image, a PDF, a workbook or archive renamed ``.csv``, binary data (``dbmkit.ingest.filetype``, which the build uses
too); the first lines tell an empty or one-line file. UTF-16 and UTF-32 text, with or without a byte-order mark, is
a table like any other (the readers decode it). :func:`not_a_table` returns the problem and its fix, or None when a
reader can try the file.

Example
-------
>>> import tempfile, os
>>> p = os.path.join(tempfile.mkdtemp(), "sales.csv")
>>> _ = open(p, "wb").write(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(64))
>>> not_a_table(p)[0]
'the file is a PNG image, not a table'
"""
from __future__ import annotations

import gzip
import os
import zipfile
from pathlib import Path

from ..ingest.filetype import HEAD_BYTES, file_kind, zip_kind, zip_members

__all__ = ["not_a_table", "looks_like"]

_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
_EXPORT = "export the data as CSV (or Excel .xlsx) with a header row and give that file"

# what the first bytes say (dbmkit.ingest.filetype) → the fix when the file is handed over as a table
_FIX = {
    "pdf": "tables in a PDF cannot be read; " + _EXPORT,
    "ole2": "open it in Excel and save it as .xlsx, or export the sheet as CSV",
    "parquet": "rename it to .parquet",
    "sqlite": "read a table of it with `sql:` and `url: sqlite:///…` in the config, or export the table as CSV",
    "7z": "unpack it and give the table files inside",
    "rar": "unpack it and give the table files inside",
    "xz": "unpack it (or compress it with gzip, .csv.gz, instead)",
}


def _zip_problem(path: Path, suffix: str) -> tuple[str, str] | None:
    names = zip_members(path)
    if names is None:
        return "the file is a damaged ZIP archive (or a damaged .xlsx workbook)", "export the data again"
    kind, what = zip_kind(names)
    if kind == "xlsx":
        if suffix in (".xlsx", ".xlsm"):
            return None
        return (f"the file is {what} named '{suffix or '(no extension)'}'",
                f"rename it to {path.stem}.xlsx (or export the sheet as CSV)")
    if kind == "odf":
        return f"the file is {what}", "save it as .xlsx from LibreOffice, or export CSV"
    if kind != "zip":
        return f"the file is {what}, not a table", _EXPORT
    texts = [n for n in names if n.lower().endswith(_TEXT_SUFFIXES)]
    if len(texts) == 1:
        return None                                # the readers unpack one CSV in a zip
    shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    return (f"the file is a ZIP archive holding {len(names)} file(s) ({shown or 'none'})",
            "unpack it and give the table files inside (a zip holding exactly one CSV can be given as it is)")


def _head_text(path: Path, head: bytes, limit: int = 1_000_000) -> str | None:
    """The start of the file as text (unpacked when it is gzip or a zip with one text file; UTF-16/32 decoded),
    or None."""
    try:
        if head[:2] == b"\x1f\x8b":
            with gzip.open(path) as f:
                data = f.read(limit)
        elif head[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(path) as z:
                name = next(n for n in z.namelist() if n.lower().endswith(_TEXT_SUFFIXES))
                with z.open(name) as f:
                    data = f.read(limit)
        else:
            with open(path, "rb") as f:
                data = f.read(limit)
    except (OSError, EOFError, zipfile.BadZipFile, StopIteration, ValueError):
        return None
    wide = file_kind(data[:HEAD_BYTES]).encoding
    text = data[: len(data) // 4 * 4].decode(wide, errors="replace") if wide else data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def looks_like(path: str | os.PathLike) -> str | None:
    """What the file's first bytes say it is when that is not a text table ('a PNG image'), else None."""
    p = not_a_table(path)
    return p[0] if p else None


def not_a_table(path: str | os.PathLike) -> tuple[str, str] | None:
    """(problem, fix) when ``path`` cannot be a table a reader should try — an image, a PDF, an archive or workbook
    under a text name, binary bytes, an empty or one-line file — else None. Missing files and folders are
    left to the readers (their messages say so)."""
    path = Path(path)
    if not path.is_file():
        return None
    suffix = path.suffix.lower()
    try:
        with open(path, "rb") as f:
            head = f.read(65536)
    except OSError as e:
        return f"cannot read the file ({e.strerror or e})", "check its permissions"
    if not head:
        return "the file is empty (0 bytes)", "export the data again; the file has no content"
    kind = file_kind(head)
    if suffix in (".xlsx", ".xlsm", ".parquet") and kind.kind in ("zip", "parquet"):
        return None                                # what its name says: its reader takes it from here
    if kind.kind == "parquet":
        return "the file is a Parquet file named as text", _FIX["parquet"]
    if kind.kind == "ole2":
        return f"the file is {kind.what}", _FIX["ole2"]
    if kind.kind == "sqlite":
        return f"the file is {kind.what}", _FIX["sqlite"]
    if not kind.readable and kind.kind != "binary":
        return f"the file is {kind.what}, not a table", _FIX.get(kind.kind, _EXPORT)
    if kind.kind == "zip":
        problem = _zip_problem(path, suffix)
        if problem:
            return problem
    if suffix in (".xlsx", ".xlsm", ".parquet") or (suffix == ".zip" and kind.kind != "zip"):
        return None                                # their readers say what is wrong
    if kind.kind == "binary":
        return ("the file holds binary data, not text (is it an export from a program in its own format?)",
                _EXPORT)
    text = _head_text(path, head)
    if text is None:
        return None
    lines = [ln for ln in text.splitlines()[:41] if ln.strip().strip("\ufeff").strip(",;\t|")]
    if not lines:
        return "the file is empty (it holds only blank lines or separators)", "export the data again with its rows"
    if len(lines) == 1:
        first = lines[0].strip()
        first = first if len(first) <= 60 else first[:57] + "..."
        return (f"the file has a single line ({first!r}): a table needs a header row and at least one row of data",
                "export the data again with the column names and the rows")
    if not any(d in ln for ln in lines[:40] for d in (",", ";", "\t", "|")):
        first = lines[0].strip()[:40]
        return (f"the file has a single column (no comma, semicolon, tab or | between values; first line {first!r}); "
                "the workbook needs tables with several columns (a sales file: customer, date and amount at least)",
                "export the data again as CSV with one column per field")
    return None
