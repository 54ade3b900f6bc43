"""What a file really is, from its first bytes, before a reader tries it: an image, a PDF, an old Office file, an
SQLite database, an archive (and, for a ZIP, what it holds: an Excel workbook, a Word file, one or several CSV
files), Parquet, or text — UTF-8 (with or without BOM), UTF-16 or UTF-32 (little- or big-endian, with a byte-order
mark or without one, told by where the NUL bytes sit). :func:`file_kind` names it; :func:`source_format` decides
how a source's file is read and refuses, with the file type and the fix, what no reader can take.

>>> file_kind(b"\\x89PNG\\r\\n\\x1a\\n" + bytes(8)).what
'a PNG image'
>>> [file_kind(t.encode(e)).encoding for t, e in (("a,b\\n", "utf-32"), ("a,b\\n", "utf-16-be"), ("a,b", "utf-8"))]
['utf-32-le', 'utf-16-be', None]
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import SUPPORTED_SUFFIXES, TEXT_SUFFIXES, IngestError

HEAD_BYTES = 65536      # how much of a file is looked at

_EXPORT = "export the sheet or table as CSV (or Excel .xlsx) with a header row, and point `path:` at that file"


@dataclass(frozen=True)
class FileKind:
    """What a file's bytes are: ``kind`` (``text``, ``zip``, ``gzip``, ``bzip2``, ``parquet``, ``png`` …),
    ``what`` in words ("a PNG image"), for text its ``encoding`` when it is UTF-16/32 (a Python codec name such as
    ``utf-16-le``; None for UTF-8 and single-byte encodings) and whether a byte-order mark says so (``bom``)."""
    kind: str
    what: str
    encoding: str | None = None
    bom: bool = False

    @property
    def readable(self) -> bool:
        """True for what some reader of dbmkit can take (text, a CSV in gzip/bzip2/zip, a workbook, Parquet)."""
        return self.kind in ("text", "gzip", "bzip2", "zip", "parquet")


# first bytes → (kind, what it is, the fix when it is given as a table)
_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "png", "a PNG image", _EXPORT),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image", _EXPORT),
    (b"GIF87a", "gif", "a GIF image", _EXPORT),
    (b"GIF89a", "gif", "a GIF image", _EXPORT),
    (b"II*\x00", "tiff", "a TIFF image", _EXPORT),
    (b"MM\x00*", "tiff", "a TIFF image", _EXPORT),
    (b"%PDF-", "pdf", "a PDF document", "a table in a PDF cannot be read; " + _EXPORT),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2", "an old Office file (.xls/.doc)",
     "open it in Excel and save it as .xlsx (or export the sheet as CSV), and point `path:` at the new file"),
    (b"SQLite format 3\x00", "sqlite", "an SQLite database",
     "read a table of it with `sql: SELECT … FROM <table>` and `url: sqlite:///<file>` instead of `path:`, or export "
     "the table as CSV"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "a 7-Zip archive", "unpack it and give the table files inside"),
    (b"Rar!\x1a\x07", "rar", "a RAR archive", "unpack it and give the table files inside"),
    (b"\xfd7zXZ\x00", "xz", "an xz-compressed file", "unpack it (or compress it with gzip, .csv.gz, instead)"),
    (b"PAR1", "parquet", "a Parquet file", ""),
    (b"\x1f\x8b", "gzip", "a gzip-compressed file", ""),
    (b"PK\x03\x04", "zip", "a ZIP archive", ""),
    (b"PK\x05\x06", "zip", "an empty ZIP archive", ""),
]
_FIX = {kind: fix for _, kind, _, fix in _MAGIC}

# byte-order marks, the 4-byte ones first (FF FE 00 00 starts with the UTF-16 LE mark FF FE)
_BOMS = [(b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32 BE"), (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32 LE"),
         (b"\xfe\xff", "utf-16-be", "UTF-16 BE"), (b"\xff\xfe", "utf-16-le", "UTF-16 LE")]
ENCODING_NAMES = {codec: name for _, codec, name in _BOMS}


def _share_zero(sample: bytes, start: int, step: int) -> float:
    part = sample[start::step]
    return part.count(0) / len(part) if part else 0.0


def _wide_text(head: bytes) -> str | None:
    """The UTF-16/32 codec of text without a byte-order mark, told by its NUL bytes: ASCII characters in UTF-16 LE
    are one byte and a NUL (NULs at odd positions, almost none at even ones); UTF-32 LE has three NULs after each
    ASCII byte; big-endian the other way round. None when the bytes do not look like that."""
    n = min(len(head), 4096) // 4 * 4
    s = head[:n]
    if n < 8 or s.count(0) < n // 8:
        return None
    z = [_share_zero(s, k, 4) for k in range(4)]
    if z[1] > 0.9 and z[2] > 0.9 and z[3] > 0.9 and z[0] < 0.05:
        codec = "utf-32-le"
    elif z[0] > 0.9 and z[1] > 0.9 and z[2] > 0.9 and z[3] < 0.05:
        codec = "utf-32-be"
    else:
        odd, even = _share_zero(s, 1, 2), _share_zero(s, 0, 2)
        if odd >= 0.3 and even <= 0.02:
            codec = "utf-16-le"
        elif even >= 0.3 and odd <= 0.02:
            codec = "utf-16-be"
        else:
            return None
    try:
        text = s.decode(codec)
    except UnicodeDecodeError:
        return None
    ctrl = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    return codec if ctrl <= 0.01 * max(1, len(text)) else None


def is_bzip2(head: bytes) -> bool:
    """bzip2's header: 'BZh', the block size 1–9 and the block magic (a CSV whose first header starts 'BZh' is not)."""
    return head[:3] == b"BZh" and head[3:4] in b"123456789" and len(head) >= 10 and \
        head[4:10] in (b"1AY&SY", b"\x17rE8P\x90")


def file_kind(head: bytes) -> FileKind:
    """What the first bytes of a file say it is (see the module example)."""
    for magic, kind, what, _ in _MAGIC:
        if head.startswith(magic):
            return FileKind(kind, what)
    if is_bzip2(head):
        return FileKind("bzip2", "a bzip2-compressed file")
    if head.startswith(b"BM") and len(head) > 14 and head[6:10] == b"\x00\x00\x00\x00":
        return FileKind("bmp", "a BMP image")
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return FileKind("webp", "a WebP image")
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return FileKind("text", f"{name} text (with a byte-order mark)", codec, True)
    if head.startswith(b"\xef\xbb\xbf"):
        return FileKind("text", "UTF-8 text (with a byte-order mark)")
    codec = _wide_text(head)
    if codec:
        return FileKind("text", f"{ENCODING_NAMES[codec]} text without a byte-order mark", codec)
    sample = head[:HEAD_BYTES]
    if sample:
        nul = sample.count(0) / len(sample)
        ctrl = sum(b < 9 or 13 < b < 32 for b in sample) / len(sample)
        if nul > 0.01 or ctrl > 0.1:
            return FileKind("binary", "binary data, not text")
    return FileKind("text", "text")


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def is_compressed(path: Path) -> bool:
    """Whether the file's bytes are gzip, bzip2 or ZIP (so a reader must unpack them, whatever the name says)."""
    return file_kind(read_head(path, 16)).kind in ("gzip", "bzip2", "zip") or \
        path.suffix.lower() in (".gz", ".bz2", ".zip")


def zip_members(path: Path) -> list[str] | None:
    """The files in a ZIP archive (folders and macOS resource forks left out); None when it is damaged."""
    try:
        with zipfile.ZipFile(path) as z:
            return [n for n in z.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def zip_kind(names: list[str]) -> tuple[str, str]:
    """What a ZIP archive is, from its members: ('xlsx', …), ('docx', …), ('pptx', …), ('odf', …) or ('zip', …)."""
    if "xl/workbook.xml" in names or ("[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)):
        return "xlsx", "an Excel workbook (.xlsx)"
    if "word/document.xml" in names:
        return "docx", "a Word document"
    if any(n.startswith("ppt/") for n in names):
        return "pptx", "a PowerPoint presentation"
    if "mimetype" in names and "content.xml" in names:
        return "odf", "an OpenDocument file (.ods/.odt)"
    return "zip", "a ZIP archive"


def _expected_name(fmt: str) -> str:
    return {"csv": "a CSV (delimited text) file", "excel": "an Excel workbook",
            "parquet": "a Parquet file"}.get(fmt, "a table")


def named_format(path: Path, given: str) -> str:
    """The format the config gives, or the one the file name implies (raises for names no reader takes)."""
    if given and given != "auto":
        return given
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


def source_format(path: Path, given: str, label: str) -> tuple[str, list[str]]:
    """How to read a source's file — ``csv``, ``excel`` or ``parquet`` — and notes on what was found, from its bytes
    and its name (or the config's ``format:``). Raises :class:`IngestError` naming the file type and the fix when
    the file is empty, an image, a PDF, an old Office file, a database, an archive of several files, a workbook or
    Parquet file under a text name (or the other way round), or binary data.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "sales.csv"; _ = p.write_bytes(b"%PDF-1.7 ...")
    >>> try:
    ...     source_format(p, "auto", "sales.csv")
    ... except IngestError as e:
    ...     print(str(e).splitlines()[0])
    sales.csv: the file is a PDF document, not a CSV (delimited text) file
    """
    head = read_head(path)
    if not head:
        raise IngestError("the file is empty (0 bytes)", file=label,
                          fix="export the data again, or remove this source from the config")
    k = file_kind(head)
    try:
        fmt = named_format(path, given)
    except IngestError:
        if k.readable or k.kind == "binary":
            raise
        fmt = None
    if not k.readable and k.kind != "binary":
        if k.kind == "ole2" and path.suffix.lower() == ".xls":
            raise IngestError("old Excel format '.xls' is not supported", file=label,
                              fix="open it in Excel and save as .xlsx (or export the sheet as CSV)")
        if k.kind == "ole2" and path.suffix.lower() in (".xlsx", ".xlsm"):
            raise IngestError("the workbook is password-protected (encrypted), or an old .xls renamed .xlsx",
                              file=label, fix="open it in Excel, remove the password (File › Info › Protect "
                                              "Workbook) and save it as .xlsx, or export the sheet as CSV")
        raise IngestError(f"the file is {k.what}, not {_expected_name(fmt) if fmt else 'a table'}", file=label,
                          fix=_FIX.get(k.kind) or _EXPORT)
    notes: list[str] = []
    rename = {"excel": ".xlsx", "parquet": ".parquet", "csv": ".csv"}
    if k.kind == "zip":
        names = zip_members(path)
        if names is None:
            raise IngestError("the file is a damaged ZIP archive (or a damaged .xlsx workbook)", file=label,
                              fix="export or download it again")
        zk, what = zip_kind(names)
        if zk == "xlsx":
            if fmt != "excel":
                raise IngestError(f"the file is {what}, not {_expected_name(fmt)} (its name says "
                                  f"'{path.suffix or '(no extension)'}')", file=label,
                                  fix=f"rename it to {path.stem}.xlsx and change `path:`, or set `format: excel` "
                                      f"for this source")
            return fmt, notes
        if fmt == "excel":
            raise IngestError(f"the file is {what}, not an Excel workbook", file=label,
                              fix="save the workbook again as .xlsx from Excel, or export the sheet as CSV")
        if zk != "zip":
            raise IngestError(f"the file is {what}, not a table", file=label, fix=_EXPORT)
        texts = [n for n in names if n.lower().endswith(TEXT_SUFFIXES)]
        if fmt != "csv" or len(texts) != 1:
            shown = ", ".join(names[:6]) + (" …" if len(names) > 6 else "")
            held = f"{len(names)} files ({shown})" if len(names) > 1 else f"one file ({shown})" if names else \
                "no file"
            raise IngestError(f"the file is a ZIP archive holding {held}, not "
                              f"{'one CSV file' if fmt == 'csv' else _expected_name(fmt)}", file=label,
                              fix="unpack it and give one source per table file (a ZIP holding exactly one CSV "
                                  "can be given as it is)")
        if path.suffix.lower() != ".zip":
            notes.append(f"the file is a ZIP archive: read {texts[0]!r} inside it")
        return fmt, notes
    if k.kind == "parquet":
        if fmt != "parquet":
            raise IngestError(f"the file is {k.what}, not {_expected_name(fmt)} (its name says "
                              f"'{path.suffix or '(no extension)'}')", file=label,
                              fix=f"rename it to {path.stem}.parquet and change `path:`, or set `format: parquet` "
                                  f"for this source")
        return fmt, notes
    if fmt in ("excel", "parquet"):
        what = k.what if k.kind != "text" else ("text (a CSV file?)" if k.what == "text" else k.what)
        raise IngestError(f"the file is {what}, not {_expected_name(fmt)}", file=label,
                          fix=(f"rename it to {path.stem}.csv and change `path:`, or set `format: csv` for this "
                               f"source" if k.kind in ("text", "gzip", "bzip2") else
                               f"save it again as {rename[fmt]}, or export the data as CSV"))
    if k.kind == "binary":
        raise IngestError("the file holds binary data, not text (an export from a program in its own format?)",
                          file=label, fix=_EXPORT)
    if k.kind in ("gzip", "bzip2") and path.suffix.lower() not in (".gz", ".bz2"):
        notes.append(f"the file is {k.what}: read unpacked")
    return fmt, notes
