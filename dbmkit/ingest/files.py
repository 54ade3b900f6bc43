"""Reading a client's files: where a source's file is (``client_path``), its bytes (decompressed from
.gz/.bz2/.zip), its encoding, delimiter and header row (``detect_file``), its format from the file name, and the
cells of an Excel sheet.
"""
from __future__ import annotations

import bz2
import csv
import difflib
import gzip
import io
import os
import zipfile
from pathlib import Path

import duckdb
import pandas as pd

from .errors import DELIMITERS, SUPPORTED_SUFFIXES, TEXT_SUFFIXES, IngestError, quote_text


def open_bytes(path: Path) -> bytes:
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

    >>> (detect_encoding("姓名,城市\\n王伟,北京\\n".encode("gb18030")),
    ...  detect_encoding("Renée,Zürich\\n".encode("cp1252")))
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


def decode_text(data: bytes, encoding: str | None, label: str) -> tuple[str, str, list[str]]:
    """Text of the file, the encoding used and warnings. Files mixing UTF-8 and a legacy encoding are read line
    by line (each line in the encoding it is valid in)."""
    warnings: list[str] = []
    given = _norm_enc(encoding)
    if given:
        try:
            "".encode(given)
        except LookupError:
            raise IngestError(f"unknown encoding '{encoding}'", file=label,
                              fix="use utf-8, gb18030 (Chinese, also for GBK/GB2312), cp1252 (Western) or "
                                  "utf-16") from None
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


def split_lines(text: str) -> list[str]:
    """Physical lines as a CSV reader sees them: split on \\n only (not on the Unicode breaks that
    ``str.splitlines`` also honours), without the \\r of Windows line ends and without the final empty line."""
    out = text.split("\n")
    if out and out[-1] == "":
        out.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in out]


def split_fields(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return line.split(delim)


def detect_delimiter(lines: list[str], given: str | None, label: str, expected: list[str]) -> str:
    first = lines[0] if lines else ""
    counts = {d: len(split_fields(first, d)) for d in DELIMITERS}
    if given:
        if given in ("\\t", "tab", "TAB"):
            given = "\t"
        if len(given) != 1:
            raise IngestError(f"the delimiter must be one character, not {given!r}", file=label,
                              fix="use one of , ; | or \\t (tab)")
        n_given = len(split_fields(first, given))
        best = max(counts, key=counts.get)
        if n_given <= 1 and counts[best] >= 2:
            raise IngestError(f"wrong delimiter: the header has 1 column with {given!r} but {counts[best]} with "
                              f"{best!r}", file=label,
                              fix=f"set `delimiter: {best!r}` for this source (or remove it to detect it)")
        return given

    def score(d):       # prefer the delimiter under which the mapped columns are found, then the most columns
        cols = [c.strip().lstrip("\ufeff") for c in split_fields(first, d)]
        hits = sum(1 for e in expected if e in cols)
        return (hits, counts[d])
    return max(DELIMITERS, key=score)


def find_header_row(rows: list[list[str]], expected: list[str]) -> int:
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
    fmt = format_of(path)
    expected = expected or []
    if fmt == "excel":
        raw = read_excel_raw(path, None, label)
        rows = raw.head(30).values.tolist()
        h = find_header_row(rows, expected) if expected else _first_wide_row(rows)
        cols = [str(c).strip() for c in rows[h] if c is not None and str(c).strip() and str(c) != "nan"] if rows else []
        return dict(format="excel", encoding=None, delimiter=None, header_row=h, columns=cols,
                    sheets=_excel_sheets(path))
    if fmt == "parquet":
        cols = duckdb.sql(f"SELECT * FROM read_parquet({quote_text(str(path))}) LIMIT 0").columns
        return dict(format="parquet", encoding=None, delimiter=None, header_row=0, columns=list(cols))
    data = open_bytes(path)[: 2_000_000]
    text, enc, _ = decode_text(data, encoding, label)
    lines = split_lines(text)[:40]
    if not lines:
        raise IngestError("the file is empty", file=label, fix="export the data again; the file has no content")
    rows_any = [split_fields(ln, detect_delimiter([ln], delimiter, label, expected)) for ln in lines]
    h = find_header_row(rows_any, expected) if expected else _first_wide_row(rows_any)
    delim = detect_delimiter(lines[h:], delimiter, label, expected)
    cols = [c.strip().lstrip("\ufeff") for c in split_fields(lines[h], delim)]
    return dict(format="csv", encoding=enc, delimiter=delim, header_row=h, columns=cols)


def format_of(path: Path) -> str:
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


def read_excel_raw(path: Path, sheet, label: str) -> pd.DataFrame:
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
            raise IngestError(f"the workbook has {len(sheets)} sheet(s); sheet index {sheet} does not exist",
                              file=label, fix=f"use one of {sheets}")
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


def dedupe_names(names: list[str]) -> list[str]:
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


def client_path(path: str, base_dir: str | Path, label: str, what: str = "`path`") -> Path:
    """A source's file: an absolute path (or ``~/…``) as written; a relative one from the config file's folder,
    which must stay inside that folder or its parent — the project folder, where ``clients/`` sits beside
    ``data/`` (``../data/acme/orders.csv`` is fine, ``../../x`` or ``../../../etc/passwd`` is refused).

    >>> client_path("../data/x.csv", "/p/clients", "x").as_posix()
    '/p/data/x.csv'
    >>> client_path("../../etc/passwd", "/p/clients", "orders.csv")
    Traceback (most recent call last):
    ...
    dbmkit.ingest.IngestError: orders.csv: the path '../../etc/passwd' leads outside the client's folder
      (/p/clients) and the project folder above it (/p)
      Fix: put the client's files in the config's folder or in the project's data folder (e.g. ../data/<client>/…);
      a file elsewhere must be given as an absolute path, on purpose
    """
    p = Path(os.path.expanduser(str(path)))
    if p.is_absolute():
        return p.resolve()
    base = Path(os.path.abspath(base_dir))
    full = Path(os.path.normpath(base / p))          # by the written path: a link the consultant made is followed
    if not any(full == root or root in full.parents for root in (base, base.parent)):
        raise IngestError(f"the path {str(path)!r} leads outside the client's folder ({base}) and the project "
                          f"folder above it ({base.parent})", file=label,
                          fix="put the client's files in the config's folder or in the project's data folder "
                              "(e.g. ../data/<client>/…); a file elsewhere must be given as an absolute path, "
                              "on purpose")
    return full.resolve()
