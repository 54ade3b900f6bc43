"""The Excel (.xlsx) writer of dbmkit: the send file of a campaign (``campaign.export``, a sheet per channel) and the
synthetic client's loyalty export (``datasets.raw_exports``, two title rows above the header).

``DataFrame.to_excel`` (openpyxl) builds one Python object per cell and takes minutes for a few hundred thousand
rows. This writer builds the sheet XML a column at a time with Arrow string kernels and streams it into the zip
file in blocks of rows, so its cost is linear in the cells and small, and its memory bounded by a block. It grew
out of the faster of the two hand-written writers it replaces (the raw exports' vectorised one; the send file had
a per-cell streamed one) and stays hand-written because a library is much slower: for 100,000 rows × 12 columns
(``benchmarks/xlsx_writers.py``; benchmarks/RESULTS.md, "One xlsx writer") it needs 1.8 s of CPU, the former
writers 2.5 s and 6.8 s, and XlsxWriter's ``constant_memory`` mode — the maintained library that streams — 19 s
(its Python calls per cell), about 8 times the faster former writer.

What it writes — values only, one sheet per table, a plain header row (optionally below a few title rows):

* text as inline strings — always text, never a formula or a number, whatever it looks like ("=1+1", "007");
  control characters XML 1.0 cannot hold are dropped;
* numbers as numbers (integers as integers, floats in their shortest exact form); ±inf as the text "inf" / "-inf";
* booleans as booleans; dates (``datetime.date``, or date-times at midnight) with a date format, other date-times
  with a date-and-time format (time zones dropped: local wall time);
* missing values (None, NaN, NaT, NA) as empty cells.

The same data give the same bytes (fixed time stamps inside the archive).

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> write_xlsx(p, {"list": pd.DataFrame({"name": ["Ann", None, "=1+1"], "n": [1, 2, 3]})})
>>> pd.read_excel(p, sheet_name="list", engine="openpyxl").values.tolist()
[['Ann', 1], [nan, 2], ['=1+1', 3]]
"""
from __future__ import annotations

import datetime as _dt
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["write_xlsx", "MAX_ROWS"]

MAX_ROWS = 1_048_576                                       # rows of an Excel sheet
_BLOCK = 20_000                                            # rows built and written at a time
_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"                  # control characters XML 1.0 cannot hold
_ILLEGAL_RE = re.compile(_ILLEGAL)
_EPOCH = pd.Timestamp("1899-12-30")
_DATE, _DATETIME = "1", "2"                                # cell styles (see _STYLES)

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  'spreadsheetml.sheet.main+xml"/>'
                  '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  'spreadsheetml.styles+xml"/>{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
              'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
             'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
             '<sheets>{sheets}</sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
                  '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  'relationships/styles" Target="styles.xml"/></Relationships>')
# style 0: general; 1: date (built-in number format 14); 2: date and time (format 22)
_STYLES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
           '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
           '</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
           '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
           '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
           '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"
_TEXT = '" t="inlineStr"><is><t xml:space="preserve">'


def _column_letter(i: int) -> str:
    """Excel's name of the 0-based column ``i``: 0 → A, 26 → AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# ------------------------------------------------------------------------------------------------ one cell (Python)
def _text(v) -> str:
    return escape(_ILLEGAL_RE.sub("", str(v)))


def _cell(v, ref: str) -> str:
    """The XML of one cell, for values of mixed type (empty string for a missing value)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, np.integer)):
        return f'<c r="{ref}"><v>{int(v)}</v></c>'
    if isinstance(v, (float, np.floating)):
        return "" if v != v else (f'<c r="{ref}"><v>{float(v)!r}</v></c>' if np.isfinite(v)
                                  else f'<c r="{ref}{_TEXT}{v}</t></is></c>')
    if isinstance(v, (_dt.datetime, np.datetime64)):
        t = pd.Timestamp(v)
        t = t.tz_localize(None) if t.tzinfo else t
        style = _DATE if t == t.normalize() else _DATETIME
        return f'<c r="{ref}" s="{style}"><v>{(t - _EPOCH) / pd.Timedelta(days=1)!r}</v></c>'
    if isinstance(v, _dt.date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(v - _EPOCH.date()).days}</v></c>'
    return f'<c r="{ref}{_TEXT}{_text(v)}</t></is></c>'


def _text_row(r: int, values) -> str:
    cells = "".join(f'<c r="{_column_letter(j)}{r}{_TEXT}{_text(x)}</t></is></c>' for j, x in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


# ------------------------------------------------------------------------------------------------ a column (Arrow)
def _join(*parts) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars; null where any part is null."""
    return pc.binary_join_element_wise(*parts, "")


def _strings(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values).astype(str), pa.string())


def _column_cells(v: pd.Series, ref: pa.Array) -> pa.Array:
    """The cells of one column (``ref``: '<c r="A2', '<c r="A3' …); null where the value is missing."""
    dt = v.dtype
    if isinstance(dt, pd.CategoricalDtype):
        v = v.astype(object)
        dt = v.dtype
    if dt == np.dtype(object):
        kind = pd.api.types.infer_dtype(v, skipna=True)
        if kind in ("string", "empty"):
            dt = pd.StringDtype()
        elif kind in ("date", "datetime", "datetime64") and _naive(v):
            v = pd.to_datetime(v.astype(object).where(v.notna(), None))
            dt = v.dtype
        else:                                              # mixed: value by value
            return _cells_one_by_one(v, ref)
    if pd.api.types.is_datetime64_any_dtype(dt):
        ts = v.dt.tz_localize(None) if getattr(dt, "tz", None) is not None else v
        ok = ts.notna().to_numpy()
        serial = ((ts - _EPOCH) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=0.0)
        day = (ts == ts.dt.normalize()).to_numpy()
        style = np.where(day, f'" s="{_DATE}"><v>', f'" s="{_DATETIME}"><v>')
        cells = _join(ref, _strings(style), _strings(serial), "</v></c>")
        return pc.if_else(pa.array(ok), cells, pa.scalar(None, pa.string()))
    if pd.api.types.is_bool_dtype(dt):
        ok = v.notna().to_numpy()
        bits = np.where(v.fillna(False).to_numpy(dtype=bool), "1", "0")
        return pc.if_else(pa.array(ok), _join(ref, '" t="b"><v>', _strings(bits), "</v></c>"),
                          pa.scalar(None, pa.string()))
    if pd.api.types.is_integer_dtype(dt):
        ok = v.notna().to_numpy()
        num = v.fillna(0).to_numpy(dtype=getattr(dt, "numpy_dtype", dt))
        return pc.if_else(pa.array(ok), _join(ref, '"><v>', _strings(num), "</v></c>"), pa.scalar(None, pa.string()))
    if pd.api.types.is_float_dtype(dt):
        x = v.to_numpy(dtype=np.float64, na_value=np.nan)
        fin = np.isfinite(x)
        num = _join(ref, '"><v>', _strings(np.where(fin, x, 0.0)), "</v></c>")
        inf = _join(ref, _TEXT, _strings(np.where(x > 0, "inf", "-inf")), "</t></is></c>")
        out = pc.if_else(pa.array(fin), num, inf)
        return pc.if_else(pa.array(np.isnan(x)), pa.scalar(None, pa.string()), out)
    if pd.api.types.is_string_dtype(dt):
        s = pc.cast(pa.array(v, from_pandas=True), pa.string())
        s = pc.replace_substring_regex(s, _ILLEGAL, "")
        s = pc.replace_substring(pc.replace_substring(pc.replace_substring(s, "&", "&amp;"), "<", "&lt;"), ">", "&gt;")
        return _join(ref, _TEXT, s, "</t></is></c>")
    return _cells_one_by_one(v, ref)                       # anything else (timedeltas, periods …)


def _naive(v: pd.Series) -> bool:
    """No value carries a time zone (those are converted one by one)."""
    return not any(getattr(x, "tzinfo", None) is not None for x in v.to_numpy(dtype=object))


def _cells_one_by_one(v: pd.Series, ref: pa.Array) -> pa.Array:
    refs = ref.to_pylist()                                 # '<c r="A2' → 'A2'
    return pa.array([_cell(x, r[6:]) or None for x, r in zip(v.to_numpy(dtype=object), refs)], pa.string())


def _sheet_blocks(frame: pd.DataFrame, title_rows):
    """The worksheet XML in pieces: head, title and header rows, then one piece per block of data rows."""
    yield _SHEET_HEAD + "".join(_text_row(i + 1, [t]) for i, t in enumerate(title_rows)) \
        + _text_row(len(title_rows) + 1, [str(c) for c in frame.columns])
    first = len(title_rows) + 2
    letters = [_column_letter(j) for j in range(frame.shape[1])]
    for start in range(0, len(frame), _BLOCK):
        block = frame.iloc[start:start + _BLOCK]
        rownum = _strings(np.arange(first + start, first + start + len(block)))
        cells = [_column_cells(block.iloc[:, j], _join(f'<c r="{x}', rownum)) for j, x in enumerate(letters)]
        rows = pc.binary_join_element_wise(_join('<row r="', rownum, '">'), *cells, "</row>", "",
                                           null_handling="skip")
        yield "".join(rows.to_pylist())
    yield _SHEET_TAIL


def write_xlsx(path, sheets: dict[str, pd.DataFrame], title_rows=()) -> None:
    """Write ``{sheet name: table}`` into the Excel file ``path`` (see the module doc); ``title_rows`` are text
    lines written above the header of every sheet (one cell each), as some systems' exports have.

    >>> import tempfile, pathlib, openpyxl
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.xlsx"
    >>> write_xlsx(p, {"Members": pd.DataFrame({"CardNo": ["001"]})}, title_rows=["Member export"])
    >>> list(openpyxl.load_workbook(p)["Members"].values)
    [('Member export',), ('CardNo',), ('001',)]
    """
    if not sheets:
        raise ValueError("write_xlsx needs at least one sheet")
    names = [str(n)[:31] for n in sheets]
    bad = [n for n in names if not n or set(n) & set("[]:*?/\\")]
    if bad or len(set(names)) < len(names):
        raise ValueError(f"sheet names must be unique, at most 31 characters, without []:*?/\\ — got {names}")
    title_rows = [str(t) for t in title_rows]
    big = [n for n, f in zip(names, sheets.values()) if len(f) + 1 + len(title_rows) > MAX_ROWS]
    if big:
        raise ValueError(f"the sheets {big} have more rows than Excel allows ({MAX_ROWS:,}); split them or use CSV")
    parts = {
        "[Content_Types].xml": _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(i=i + 1)
                                                                    for i in range(len(names)))),
        "_rels/.rels": _ROOT_RELS,
        "xl/workbook.xml": _WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, n in enumerate(names))),
        "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.format(rels="".join(
            f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))),
        "xl/styles.xml": _STYLES,
    }
    # ZipFile.open(name, "w") stamps every part 1980-01-01: the same data give the same file
    with zipfile.ZipFile(Path(path), "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in parts.items():
            with z.open(name, "w") as f:
                f.write(text.encode("utf-8"))
        for i, frame in enumerate(sheets.values()):
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as f:
                for piece in _sheet_blocks(frame, title_rows):
                    f.write(piece.encode("utf-8"))
