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
import re
import zipfile
from pathlib import Path

import duckdb
import pandas as pd

from .errors import DELIMITERS, TEXT_SUFFIXES, IngestError, quote_text
from .filetype import ENCODING_NAMES, HEAD_BYTES, FileKind, file_kind, is_bzip2, named_format, source_format


def open_bytes(path: Path, label: str | None = None) -> bytes:
    """The file's bytes, decompressed when it is a .gz, .bz2 or .zip (one text file inside); what is inside must be
    text (a compressed image or archive is refused, naming it)."""
    label = label or str(path)
    data = path.read_bytes()
    suffix = path.suffix.lower()
    try:
        if suffix == ".gz" or data[:2] == b"\x1f\x8b":
            packed, data = "gzip file", gzip.decompress(data)
        elif suffix == ".bz2" or is_bzip2(data[:10]):
            packed, data = "bzip2 file", bz2.decompress(data)
        elif suffix == ".zip" or data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = [n for n in z.namelist() if not n.endswith("/") and not n.startswith("__MACOSX")]
                texts = [n for n in names if n.lower().endswith(TEXT_SUFFIXES)]
                if len(texts) != 1:
                    raise IngestError(f"the zip archive holds {len(texts)} CSV/TXT files ({', '.join(names[:6])})",
                                      file=label, fix="put exactly one CSV file in the archive, or unzip it and "
                                                      "give one source per file")
                packed, data = f"file {texts[0]!r} in the ZIP archive", z.read(texts[0])
        else:
            return data
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
        if isinstance(e, IngestError):
            raise
        raise IngestError(f"cannot decompress the file ({type(e).__name__}: {e})", file=label,
                          fix="check that the archive is complete (download or export it again)") from None
    inner = file_kind(data[:HEAD_BYTES])
    if inner.kind != "text":
        raise IngestError(f"the {packed} holds {inner.what}, not CSV text", file=label,
                          fix="compress only the CSV/TSV export itself (or give the file unpacked)")
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
    """The most likely encoding of a text file's bytes: utf-8-sig, utf-16 or utf-32 (with a byte-order mark),
    utf-16-le/-be or utf-32-le/-be (without one, told by the NUL bytes), gb18030 (Chinese) or cp1252 (Western).

    >>> (detect_encoding("姓名,城市\\n王伟,北京\\n".encode("gb18030")),
    ...  detect_encoding("Renée,Zürich\\n".encode("cp1252")))
    ('gb18030', 'cp1252')
    """
    if data[:3] == b"\xef\xbb\xbf":
        return "utf-8-sig"
    wide = file_kind(data[:HEAD_BYTES])
    if wide.encoding:
        return wide.encoding[:6] if wide.bom else wide.encoding      # with a BOM, Python's codec reads the order
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
    wide = file_kind(data[:HEAD_BYTES])
    if wide.kind == "text" and wide.encoding:
        return _decode_wide(data, wide, encoding, label)
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


def _decode_wide(data: bytes, kind: FileKind, encoding: str | None, label: str) -> tuple[str, str, list[str]]:
    """UTF-16/32 text (``kind`` from :func:`file_kind`): decoded, with a note naming the encoding. The bytes decide
    (a byte-order mark, or NULs beside every ASCII character, cannot be UTF-8 or a legacy encoding); a config's
    ``encoding:`` that says otherwise is named in the note."""
    codec, name = kind.encoding, ENCODING_NAMES[kind.encoding]
    how = ("its byte-order mark says so" if kind.bom else
           "no byte-order mark: told by the NUL bytes beside its characters")
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        raise IngestError(f"the file looks like {name} text ({how}), but bytes at position {e.start} cannot be read "
                          f"as {name}", file=label,
                          fix="save it again as UTF-8 text, or set `encoding:` to the file's encoding") from None
    given = (encoding or "").lower().replace("_", "-")
    same = given.replace("-", "") in (codec.replace("-", ""), codec[:6].replace("-", ""))
    if not given or same:
        note = f"the file is {name} text ({how}): read as {name}"
    else:
        note = (f"the config says `encoding: {encoding}` but the file is {name} text ({how}): read as {name}; set "
                f"`encoding: {codec}` (or remove `encoding`)")
    return text.removeprefix("\ufeff"), codec, [note]


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
    return next((i for i, w in enumerate(widths) if w >= max(2, m * 0.6)), 0)


def _table_sheet(path: Path, label: str, expected: list[str]) -> tuple[str, list[list], list[str]]:
    """The sheet a workbook's table is on, for a file without a config (``dbmkit new-client``): the one whose header
    holds the most ``expected`` columns, else the first with a header of two or more columns and a row beneath it
    (a cover page first is passed over). Returns its name, its first rows and all sheet names."""
    sheets = _sheet_list(path, label)
    wanted = {str(e).strip().lower() for e in expected}
    best = None
    for name in sheets[:50]:
        rows = _sheet_rows(path, name, label)[0][:31]
        if wanted:
            key = _hits(rows[find_header_row(rows, expected)], wanted) if rows else -1
        else:
            h = _first_wide_row(rows)
            width = sum(1 for c in rows[h] if c is not None and str(c).strip()) if rows else 0
            below = any(any(c is not None and str(c).strip() for c in r) for r in rows[h + 1:])
            key = 1 if width >= 2 and below else 0
        if best is None or key > best[0]:
            best = (key, name, rows)
        if not wanted and key == 1:
            break
    return best[1], best[2], sheets


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
    fmt, _ = source_format(path, "auto", label)
    expected = expected or []
    if fmt == "excel":
        sheet, rows, sheets = _table_sheet(path, label, expected)
        rows = rows[:30]
        h = find_header_row(rows, expected) if expected else _first_wide_row(rows)
        cols = [str(c).strip() for c in rows[h] if c is not None and str(c).strip() and str(c) != "nan"] if rows else []
        return dict(format="excel", encoding=None, delimiter=None, header_row=h, columns=cols, sheet=sheet,
                    sheets=sheets)
    if fmt == "parquet":
        cols = duckdb.sql(f"SELECT * FROM read_parquet({quote_text(str(path))}) LIMIT 0").columns
        return dict(format="parquet", encoding=None, delimiter=None, header_row=0, columns=list(cols))
    data = open_bytes(path, label)[: 2_000_000]
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
    """The format a file's name implies: csv, excel or parquet (raises :class:`IngestError` for other names)."""
    return named_format(Path(path), "auto")


def _excel_sheets(path: Path) -> list[str]:
    """Sheet names, read from the workbook's index (without parsing the sheets or their shared strings)."""
    import xml.etree.ElementTree as ET
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/workbook.xml"))
    return [el.get("name") for el in root.iter() if el.tag.endswith("}sheet")]


def _sheet_list(path: Path, label: str) -> list[str]:
    try:
        return _excel_sheets(path)
    except Exception as e:  # noqa: BLE001 - a broken archive raises many types
        raise IngestError(f"cannot open the workbook ({type(e).__name__}: {e})", file=label,
                          fix="save it again as .xlsx from Excel, or export the sheet as CSV") from None


def _sheet_name(sheets: list[str], sheet, label: str) -> str:
    if sheet is None:
        return sheets[0]
    if isinstance(sheet, int):
        if sheet >= len(sheets):
            raise IngestError(f"the workbook has {len(sheets)} sheet(s); sheet index {sheet} does not exist",
                              file=label, fix=f"use one of {sheets}")
        return sheets[sheet]
    if sheet not in sheets:
        close = difflib.get_close_matches(sheet, sheets, n=1)
        raise IngestError(f"no sheet named '{sheet}'", file=label,
                          fix=f"use one of {sheets}" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return sheet


def _sheet_rows(path: Path, sheet: str, label: str) -> tuple[list[list], list[tuple[int, int, int, int]] | None]:
    """The sheet's cells, one list per row (row i = Excel row i + 1), all rows as wide as the widest; and its merged
    ranges when the reader gives them (None: read them with :func:`merged_ranges`)."""
    fast = _read_excel_fast(path, sheet)
    rows, merges = fast if fast is not None else (_read_excel_openpyxl(path, sheet, label), None)
    width = max((len(r) for r in rows), default=0)
    return [r + [None] * (width - len(r)) for r in rows], merges


def read_excel_raw(path: Path, sheet, label: str) -> pd.DataFrame:
    """The sheet's cells as objects, one pass of python-calamine or openpyxl (row i of the frame = Excel row
    i + 1)."""
    name = _sheet_name(_sheet_list(path, label), sheet, label)
    return pd.DataFrame(_sheet_rows(path, name, label)[0], dtype=object)


def _hits(row: list, wanted: set[str]) -> int:
    return len({str(c).strip().lower().lstrip("\ufeff") for c in row if c is not None} & wanted)


def _yaml_text(v: str) -> str:
    """A sheet name as a YAML value: plain when YAML reads it back as that text, else in quotes."""
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_ .-]*", v) and v.strip() == v and \
        v.lower() not in ("yes", "no", "on", "off", "true", "false", "null", "y", "n")
    return v if plain else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_excel_table(path: Path, sheet, label: str, expected: list[str], header_row: int | None = None
                     ) -> tuple[pd.DataFrame, int, list[str]]:
    """The cells of a source's sheet (row i of the frame = Excel row i + 1), its header row and notes.

    * The sheet is the config's ``sheet:`` (a name or a 0-based index), else the first. When its header lacks
      mapped columns that another sheet's header has (a cover page first), :class:`IngestError` lists the sheets
      with the mapped columns each holds and names the ``sheet:`` to set.
    * Merged cells below the header are filled: every cell of a merged range holds the range's value (a customer
      id merged over the lines of one invoice belongs to each line); a note names the ranges and columns.
    """
    sheets = _sheet_list(path, label)
    name = _sheet_name(sheets, sheet, label)
    rows, merges = _sheet_rows(path, name, label)
    wanted = {str(e).strip().lower() for e in expected}
    h = header_row if header_row is not None else find_header_row(rows[:30], expected)
    here = _hits(rows[h], wanted) if h < len(rows) else 0
    if wanted and here < len(wanted) and len(sheets) > 1:
        score = {name: here}
        for other in sheets:
            if other != name:
                head = _sheet_rows(path, other, label)[0][:30]
                score[other] = _hits(head[find_header_row(head, expected)], wanted) if head else 0
        best = max(sheets, key=lambda s_: (score[s_], -sheets.index(s_)))
        if score[best] > here:
            which = "the first sheet" if sheet is None else "the sheet the config names"
            listing = ", ".join(f"'{s_}' ({score[s_]} of {len(wanted)})" for s_ in sheets[:20])
            raise IngestError(f"sheet '{name}' ({which}) holds {here} of the {len(wanted)} mapped columns, sheet "
                              f"'{best}' holds {score[best]}; the workbook's sheets (mapped columns found): "
                              f"{listing}", file=label,
                              fix=f"set `sheet: {_yaml_text(best)}` for this source (under its `path:`)")
    notes = _fill_merged(rows, merged_ranges(path, name) if merges is None else merges, h)
    return pd.DataFrame(rows, dtype=object), h, notes


_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def merged_ranges(path: Path, sheet: str) -> list[tuple[int, int, int, int]]:
    """The sheet's merged cell ranges as 0-based (first row, first column, last row, last column), read from the
    sheet's XML (its ``<mergeCells>`` list follows the cells: the XML is streamed, not parsed). Empty when there
    are none or the workbook's index cannot be followed."""
    import xml.etree.ElementTree as ET
    try:
        with zipfile.ZipFile(path) as z:
            book = ET.fromstring(z.read("xl/workbook.xml"))
            rid = next((v for el in book.iter() if el.tag.endswith("}sheet") and el.get("name") == sheet
                        for k, v in el.attrib.items() if k.endswith("}id")), None)
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rid), None)
            if not target:
                return []
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            kept, tail = b"", b""
            with z.open(part) as f:
                while chunk := f.read(1 << 20):
                    if kept:
                        kept += chunk
                        continue
                    buf = tail + chunk
                    i = buf.find(b"mergeCell")
                    if i >= 0:
                        kept = buf[max(0, i - 16):]
                    else:
                        tail = buf[-32:]
    except (KeyError, OSError, zipfile.BadZipFile, ET.ParseError, ValueError):
        return []
    out = []
    for c0, r0, c1, r1 in _MERGE_REF.findall(kept):
        a, b = _col_index(c0), int(r0) - 1
        out.append((b, a, int(r1) - 1 if r1 else b, _col_index(c1) if c1 else a))
    return out


def _cell_ref(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def _fill_merged(rows: list[list], ranges: list[tuple[int, int, int, int]], header: int) -> list[str]:
    """Fill each merged range below the header row with its top-left value (in place); the note for it."""
    if not rows or not ranges:
        return []
    width, done, cols = len(rows[0]), [], []
    for r0, c0, r1, c1 in sorted(ranges):
        if r0 <= header or r0 >= len(rows) or c0 >= width:
            continue                     # a title or header cell spanning columns: nothing to fill
        v = rows[r0][c0]
        if v is None:
            continue                     # an empty merged range: nothing to fill
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                rows[r][c] = v
        done.append(f"{_cell_ref(r0, c0)}:{_cell_ref(r1, c1)}")
        for c in range(c0, min(c1, width - 1) + 1):
            name = str(rows[header][c]).strip() if rows[header][c] is not None else f"column {c + 1}"
            if name not in cols:
                cols.append(name)
    if not done:
        return []
    return [f"{len(done)} merged cell range(s) below the header ({', '.join(done[:5])}"
            f"{' …' if len(done) > 5 else ''}) were filled: each cell of a merged range takes its value (a customer "
            f"merged over the lines of one invoice belongs to each line); columns: {', '.join(cols[:10])}"]


def _read_excel_fast(path: Path, sheet: str) -> tuple[list[list], list | None] | None:
    """The sheet's cells read with python-calamine (a compiled reader, ~15x faster than openpyxl): the same values
    as openpyxl gives once written as text (empty cells None, dates as dates, numbers as numbers), and its merged
    ranges (0-based first row, first column, last row, last column; None when calamine does not say). None when
    calamine is missing or cannot read the file, or when the sheet holds an integer too large for a float (openpyxl
    keeps it exact): the caller then uses openpyxl."""
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return None
    try:
        sh = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        rows = sh.to_python(skip_empty_area=False)
        got = getattr(sh, "merged_cell_ranges", None)
        merges = None if got is None else [(a[0], a[1], b[0], b[1]) for a, b in got]
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
    return out, merges


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


def dedupe_names(names: list[str], label: str | None = None, mapping: dict[str, str] | list[str] | None = None
                 ) -> list[str]:
    """Header names made unique for the reader: a blank name becomes ``column_<position>``; a name repeated
    (ignoring case and surrounding spaces, as the mapping does) gets ``_2``, ``_3`` … — unless the ``mapping``
    (canonical → file column, or the file columns) names it: which column is meant is then unknown, and
    :class:`IngestError` names the file, the name and its 1-based column positions.

    >>> dedupe_names(["id", "", "Note", "note "])
    ['id', 'column_2', 'Note', 'note_2']
    >>> try:
    ...     dedupe_names(["id", "Amount", "amount"], "f.csv", {"net_amount": "Amount"})
    ... except IngestError as e:
    ...     print(str(e).split(", names")[0])
    f.csv: the header has the name 'Amount' twice: columns 2 ('Amount') and 3 ('amount')
    """
    clean = [str(n).strip().lstrip("\ufeff").strip() for n in names]
    keys = [n.casefold() for n in clean]
    if mapping:
        pairs = mapping.items() if isinstance(mapping, dict) else ((None, m) for m in mapping)
        wanted = {}
        for canon, src in pairs:
            wanted.setdefault(str(src).strip().casefold(), (canon, src))
        for key, (canon, src) in wanted.items():
            pos = [i for i, k in enumerate(keys) if k == key]
            if len(pos) < 2:
                continue
            times = {2: "twice", 3: "three times"}.get(len(pos), f"{len(pos)} times")
            if len({names[i] for i in pos}) == 1:
                cols = ", ".join(str(i + 1) for i in pos[:-1]) + f" and {pos[-1] + 1}"
            else:
                cols = (", ".join(f"{i + 1} ({names[i]!r})" for i in pos[:-1]) + f" and {pos[-1] + 1} "
                        f"({names[pos[-1]]!r}), names compared ignoring case and spaces")
            what = f"the mapping's {canon} ← {src!r}" if canon else f"the mapped column {src!r}"
            raise IngestError(f"the header has the name {clean[pos[0]]!r} {times}: columns {cols}; {what} cannot "
                              f"tell which one is meant", file=label,
                              fix=f"rename one of them in the file so that each column name is unique (e.g. "
                                  f"'{clean[pos[1]]} 2' for column {pos[1] + 1}), or delete the column that is not "
                                  f"needed")
    used: set[str] = set()
    out = []
    for i, n in enumerate(clean):
        base = n or f"column_{i + 1}"
        cand, k = base, 1
        while cand.casefold() in used:
            k += 1
            cand = f"{base}_{k}"
        used.add(cand.casefold())
        out.append(cand)
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
