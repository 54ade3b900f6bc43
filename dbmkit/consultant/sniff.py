"""What a file handed to ``dbmkit new-client`` really is, before any reader looks at it: the first bytes tell an
image, a PDF, a workbook or archive renamed ``.csv``, UTF-32 text, binary data; the first lines tell an empty or
one-line file. :func:`not_a_table` returns the problem and its fix, or None when a reader can try the file.

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

__all__ = ["not_a_table", "looks_like"]

_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
_EXPORT = "export the data as CSV (or Excel .xlsx) with a header row and give that file"

# first bytes → (what the file is, the fix)
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _EXPORT),
    (b"\xff\xd8\xff", "a JPEG image", _EXPORT),
    (b"GIF87a", "a GIF image", _EXPORT),
    (b"GIF89a", "a GIF image", _EXPORT),
    (b"BM", None, None),                       # checked below: bitmaps are rare, 'BM' starts some words
    (b"%PDF-", "a PDF document", "tables in a PDF cannot be read; " + _EXPORT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls/.doc)",
     "open it in Excel and save it as .xlsx, or export the sheet as CSV"),
    (b"PAR1", "a Parquet file named as text", "rename it to .parquet"),
    (b"SQLite format 3\x00", "an SQLite database",
     "read a table of it with `sql:` and `url: sqlite:///…` in the config, or export the table as CSV"),
    (b"\x00\x00\xfe\xff", "UTF-32 text (big-endian)", "save it as UTF-8 (or UTF-16) text"),
    (b"\xff\xfe\x00\x00", "UTF-32 text", "save it as UTF-8 (or UTF-16) text"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and give the table files inside"),
    (b"Rar!\x1a\x07", "a RAR archive", "unpack it and give the table files inside"),
]


def _zip_problem(path: Path, suffix: str) -> tuple[str, str] | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return "the file is a damaged ZIP archive (or a damaged .xlsx workbook)", "export the data again"
    if "xl/workbook.xml" in names:
        if suffix in (".xlsx", ".xlsm"):
            return None
        return (f"the file is an Excel workbook (.xlsx) named '{suffix or '(no extension)'}'",
                f"rename it to {path.stem}.xlsx (or export the sheet as CSV)")
    if "word/document.xml" in names:
        return "the file is a Word document, not a table", _EXPORT
    if any(n.startswith("ppt/") for n in names):
        return "the file is a PowerPoint presentation, not a table", _EXPORT
    if "content.xml" in names and "mimetype" in names:
        return "the file is an OpenDocument file (.ods/.odt)", "save it as .xlsx from LibreOffice, or export CSV"
    texts = [n for n in names if n.lower().endswith(_TEXT_SUFFIXES)]
    if len(texts) == 1:
        return None                                # the readers unpack one CSV in a zip
    shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    return (f"the file is a ZIP archive holding {len(names)} file(s) ({shown or 'none'})",
            "unpack it and give the table files inside (a zip holding exactly one CSV can be given as it is)")


def _head_text(path: Path, head: bytes, limit: int = 1_000_000) -> str | None:
    """The start of the file as text (unpacked when it is gzip or a zip with one text file), or None."""
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
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def looks_like(path: str | os.PathLike) -> str | None:
    """What the file's first bytes say it is when that is not a text table ('a PNG image'), else None."""
    p = not_a_table(path)
    return p[0] if p else None


def not_a_table(path: str | os.PathLike) -> tuple[str, str] | None:
    """(problem, fix) when ``path`` cannot be a table a reader should try — an image, a PDF, an archive or workbook
    under a text name, UTF-32 or binary bytes, an empty or one-line file — else None. Missing files and folders are
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
    if suffix in (".xlsx", ".xlsm", ".parquet") and head.startswith((b"PK\x03\x04", b"PAR1")):
        return None                                # what its name says: its reader takes it from here
    for magic, what, fix in _MAGIC:
        if what and head.startswith(magic):
            return f"the file is {what}" + ("" if "text" in what or "file" in what else ", not a table"), fix
    if head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\x00\x00\x00\x00":
        return "the file is a BMP image, not a table", _EXPORT
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        problem = _zip_problem(path, suffix)
        if problem:
            return problem
    if suffix in (".xlsx", ".xlsm", ".parquet") or (suffix == ".zip" and not head.startswith(b"PK")):
        return None                                # their readers say what is wrong
    text = _head_text(path, head)
    if text is None:
        return None
    sample = head if head[:2] not in (b"\xff\xfe", b"\xfe\xff") and head[:2] != b"\x1f\x8b" \
        and not head.startswith(b"PK") else b""
    if sample:
        nul = sample.count(b"\x00") / len(sample)
        ctrl = sum(b < 9 or 13 < b < 32 for b in sample) / len(sample)
        if nul > 0.2 and (sample[1::2].count(0) > 0.8 * len(sample[1::2])
                          or sample[::2].count(0) > 0.8 * len(sample[::2])):
            return "the file is UTF-16 text without a byte-order mark", "save it as UTF-8 (or UTF-16 with BOM) text"
        if nul > 0.01 or ctrl > 0.1:
            return ("the file holds binary data, not text (is it an export from a program in its own format?)",
                    _EXPORT)
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
