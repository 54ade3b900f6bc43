"""A fast Excel (.xlsx) writer for plain tables — the send file of a large campaign.

``DataFrame.to_excel`` (openpyxl) builds one Python object per cell and takes minutes for a send file of a few
hundred thousand rows; this writer streams the sheet XML straight into the zip file (one string per cell), so its
cost is linear in the cells and small. It writes values only: text (inline strings), numbers, booleans and dates
(shown as yyyy-mm-dd, or with the time when there is one); missing values are empty cells. One sheet per table,
a plain header row, no formulas.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> write_xlsx(p, {"list": pd.DataFrame({"name": ["Ann", None], "n": [1, 2]})})
>>> pd.read_excel(p, sheet_name="list", engine="openpyxl")["n"].tolist()
[1, 2]
"""
from __future__ import annotations

import datetime as _dt
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

__all__ = ["write_xlsx"]

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")     # control characters XML 1.0 cannot hold
_EPOCH = _dt.datetime(1899, 12, 30)
_MAX_ROWS = 1_048_576

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
{sheets}</Types>"""
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{i}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\n')
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>{sheets}</sheets></workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
{rels}<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>"""
# style 0: general; 1: date (built-in format 14); 2: date and time (format 22)
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
_SHEET_TAIL = "</sheetData></worksheet>"


def _column_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _text(v) -> str:
    return escape(_ILLEGAL.sub("", str(v)))


def _cell(v, ref: str) -> str:
    """The XML of one cell (empty string for a missing value)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, np.integer)):
        return f'<c r="{ref}"><v>{int(v)}</v></c>'
    if isinstance(v, (float, np.floating)):
        return "" if v != v else (f'<c r="{ref}"><v>{float(v)!r}</v></c>' if np.isfinite(v)
                                  else f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
    if isinstance(v, (_dt.datetime, np.datetime64)):
        t = pd.Timestamp(v).tz_localize(None) if pd.Timestamp(v).tzinfo else pd.Timestamp(v)
        days = (t - _EPOCH).total_seconds() / 86400.0
        style = 1 if t == t.normalize() else 2
        return f'<c r="{ref}" s="{style}"><v>{days!r}</v></c>'
    if isinstance(v, _dt.date):
        return f'<c r="{ref}" s="1"><v>{(v - _EPOCH.date()).days}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_text(v)}</t></is></c>'


def _sheet_xml(frame: pd.DataFrame):
    letters = [_column_letter(i) for i in range(frame.shape[1])]
    yield _SHEET_HEAD
    yield '<row r="1">' + "".join(_cell(str(c), f"{x}1") for c, x in zip(frame.columns, letters)) + "</row>"
    cols = [frame[c].astype(object).to_numpy() for c in frame.columns]
    for i, values in enumerate(zip(*cols), start=2):
        yield f'<row r="{i}">' + "".join(_cell(v, f"{x}{i}") for v, x in zip(values, letters)) + "</row>"
    yield _SHEET_TAIL


def write_xlsx(path, sheets: dict[str, pd.DataFrame]) -> None:
    """Write ``{sheet name: table}`` into the Excel file ``path`` (see the module doc)."""
    if not sheets:
        raise ValueError("write_xlsx needs at least one sheet")
    names = [str(n)[:31] for n in sheets]
    bad = [n for n in names if not n or set(n) & set("[]:*?/\\")]
    if bad or len(set(names)) < len(names):
        raise ValueError(f"sheet names must be unique, at most 31 characters, without []:*?/\\ — got {names}")
    big = [n for n, f in zip(names, sheets.values()) if len(f) + 1 > _MAX_ROWS]
    if big:
        raise ValueError(f"the sheets {big} have more rows than Excel allows ({_MAX_ROWS:,}); split them or use CSV")
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
            sheets="".join(_SHEET_TYPE.format(i=i + 1) for i in range(len(names)))))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(n, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, n in enumerate(names))))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(rels="".join(
            f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>\n' for i in range(len(names)))))
        z.writestr("xl/styles.xml", _STYLES)
        for i, frame in enumerate(sheets.values()):
            with z.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as f:
                buf = []
                for part in _sheet_xml(frame):
                    buf.append(part)
                    if len(buf) >= 2000:
                        f.write("".join(buf).encode("utf-8"))
                        buf = []
                f.write("".join(buf).encode("utf-8"))
