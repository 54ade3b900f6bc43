"""How tables and numbers look on a chapter page: :func:`show` keeps a table readable — the key columns always, money
as money (``i18n.money``), shares as percentages, at most ``max_cols`` columns (a short wide table is rotated, a long
one names the columns left out) — and :func:`install` makes the notebook display a pandas Series as a small table
and a float rounded, instead of their raw printouts.

>>> import pandas as pd
>>> df = pd.DataFrame({"cell": ["vip", "lapsed"], "people": [1200, 5400], "profit": [-2500.0, 12800.0],
...                    "rate": [0.0412, 0.015]})
>>> print(show(df, key="cell", money=["profit"], pct=["rate"], currency="USD"))
  cell people profit  rate
   vip  1,200 −$2.5k 4.1 %
lapsed  5,400 $12.8k 1.5 %
"""
from __future__ import annotations

import datetime as dt
import html
import math
import numbers
import os
import re

import numpy as np
import pandas as pd

from .i18n import MINUS, NO_VALUE, column_label, get_language, money, percent, value_label

__all__ = ["show", "Table", "number", "install", "frame_html", "dict_html", "ROTATE_ROWS"]

YES_NO_ZH = {"True": "是", "False": "否"}
ROTATE_ROWS = 6        # a table this short that is too wide is turned on its side (rows become columns)


def number(v) -> str:
    """A plain number as text: whole numbers with thousands separators, others with few decimals, a real minus
    sign, "–" for a missing value; text and dates unchanged.

    >>> number(12977), number(13.292497560288064), number(-0.00193), number(float("nan")), number("vip")
    ('12,977', '13.29', '−0.00193', '–', 'vip')
    >>> number(pd.Timestamp("1968-10-16")), number(pd.NaT)
    ('1968-10-16', '–')
    """
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return NO_VALUE
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return str(v.date()) if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0) else str(v)[:19]
    if isinstance(v, numbers.Integral):
        text = f"{abs(int(v)):,}"
    elif isinstance(v, numbers.Real):
        x = float(v)
        if math.isinf(x):
            return ("−" if x < 0 else "") + "∞"
        a = abs(x)
        if a == int(a) and a < 1e15:
            text = f"{int(a):,}"
        elif a >= 100:
            text = f"{a:,.1f}"
        elif a >= 1:
            text = f"{a:.2f}"
        else:
            text = f"{a:.3g}"
        if float(text.replace(",", "")) == 0:
            return "0"
    else:
        return str(v)
    return (MINUS if float(v) < 0 else "") + text


class Table:
    """A table ready for a page: the formatted cells (text), a note on what was left out, the source frame."""

    def __init__(self, cells: pd.DataFrame, note: str = "", index: bool = False, source: pd.DataFrame | None = None,
                 numeric: set | None = None):
        self.cells = cells
        self.note = note
        self.index = index
        self.source = source
        self.numeric = set(numeric or ())     # columns of numbers: right-aligned; text is left-aligned

    @property
    def shape(self) -> tuple[int, int]:
        return self.cells.shape

    def __repr__(self) -> str:
        text = self.cells.to_string(index=self.index)
        return text + (f"\n({self.note})" if self.note else "")

    def _repr_html_(self) -> str:
        esc = html.escape
        cols = list(self.cells.columns)
        # the alignment inline too: JupyterLab right-aligns every cell, the report's style sheet is not there
        kind = ['class="num" style="text-align:right"' if c in self.numeric else 'class="txt" style="text-align:left"'
                for c in cols]
        head = "".join(f'<th {k}>{esc(str(c))}</th>' for c, k in zip(cols, kind))
        body = "".join("<tr>" + "".join(f'<td {k}>{esc(str(v))}</td>' for v, k in zip(row, kind)) + "</tr>"
                       for row in self.cells.itertuples(index=False))
        note = f'<p class="dbm-table-note">{esc(self.note)}</p>' if self.note else ""
        return (f'<table class="dataframe dbm-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
                + note)


# columns whose numbers are labels, written without thousands separators (a year, an id, a postal code)
_LABEL_COLUMN = re.compile(r"(^|_)(id|year|code|postal|zip|phone|ean|sku)($|_)|_id$|^id_", re.I)


def column_decimals(values) -> int | None:
    """The decimals a column of floats is written with, the same for every row: none for whole numbers, 1 from
    100, 2 from 1, else enough for two significant digits of the typical value (at least 3, at most 6); None for
    a column that is not all numbers.

    >>> column_decimals([0.3, 0.35, 0.4]), column_decimals([1.5, 0.864, 13.29]), column_decimals([7e-4, 0.0011])
    (3, 2, 5)
    """
    try:
        x = pd.to_numeric(pd.Series(values), errors="raise").astype(float).to_numpy()
    except (TypeError, ValueError):
        return None
    x = x[np.isfinite(x)]
    if not len(x) or (x == np.round(x)).all():
        return 0 if len(x) else None
    m = float(np.median(np.abs(x[x != 0]))) if (x != 0).any() else 0.0
    if m >= 100:
        return 1
    if m >= 1:
        return 2
    return int(min(6, max(3, -math.floor(math.log10(m)) + 1))) if m > 0 else 3


def _fixed(d: int):
    def fmt(v):
        text = number(v)
        if text == NO_VALUE or isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) \
                or not math.isfinite(float(v)):
            return text
        s = f"{abs(float(v)):,.{d}f}"
        return (MINUS if float(v) < 0 and float(s.replace(",", "")) != 0 else "") + s
    return fmt


def _formatter(col: str, money_cols, pct_cols, currency: str, compact: bool, lang: str, pct_decimals: int,
               values=None):
    if _LABEL_COLUMN.search(str(col)) and col not in money_cols and col not in pct_cols:
        return lambda v: NO_VALUE if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    if col in money_cols:
        return lambda v: money(v, currency, compact=compact, lang=lang)
    if col in pct_cols:
        return lambda v: percent(v, pct_decimals)
    if values is not None and pd.api.types.is_float_dtype(values):
        d = column_decimals(values)
        if d:
            return _fixed(d)
    return number


def show(df: pd.DataFrame | pd.Series, key=None, columns=None, money=(), pct=(), currency: str = "",
         max_cols: int = 8, rotate: bool | None = None, compact: bool = True, pct_decimals: int = 1,
         max_rows: int = 60, lang: str | None = None) -> Table:
    """A table for a page, from ``df`` (or a Series).

    ``key``: the column(s) that name a row (a segment, a cell, a decile) — always shown, first; ``columns``: the
    other columns to show, in order (default: all); ``money`` / ``pct``: columns written as money in ``currency``
    (``i18n.money``, compact ``−$2.5k`` unless ``compact=False``) and as percentages of shares 0–1 (with
    ``pct_decimals`` decimals). With more than
    ``max_cols`` columns a table of at most :data:`ROTATE_ROWS` rows is rotated (``rotate=True`` forces it, False
    never): its rows become columns headed by the key; a longer table keeps the key and the first columns and says
    which were left out. A named index (not 0, 1, 2 …) counts as the key. A table of more than ``max_rows`` rows
    shows its first ten and says how many there are.

    >>> wide = pd.DataFrame({"decile": [1, 2]} | {f"c{i}": [i, 2 * i] for i in range(10)})
    >>> print(show(wide, key="decile", max_cols=4, rotate=False))
    decile c0 c1 c2
         1  0  1  2
         2  0  2  4
    (7 more columns not shown: c3, c4, c5, c6, c7, c8, c9)
    >>> show(wide, key="decile", max_cols=4).cells.columns.tolist()          # two rows: rotated
    ['', 'decile 1', 'decile 2']
    """
    lang = lang or get_language()
    if isinstance(df, pd.Series):
        df = df.to_frame(name=df.name if df.name is not None else ("值" if lang == "zh" else "value"))
    keys = [key] if isinstance(key, str) else list(key or [])
    names = [n for n in df.index.names if n is not None]
    if names:                                             # a named index (a groupby's keys): the key
        df = df.reset_index()
        keys = keys or names
    elif not isinstance(df.index, pd.RangeIndex):
        labels = not pd.api.types.is_integer_dtype(df.index)     # row labels (n_treatment …), not row numbers
        df = df.reset_index(names="") if labels and not keys else df.reset_index(drop=True)
        keys = keys or ([""] if labels else [])
    missing = [c for c in [*keys, *(columns or [])] if c not in df.columns]
    if missing:
        raise KeyError(f"show(): no column {', '.join(map(repr, missing))} in the table "
                       f"(it has {', '.join(map(str, df.columns))})")
    rest = [c for c in (columns if columns is not None else df.columns) if c not in keys]
    n_rows = len(df)
    if n_rows > max_rows:
        df = df.head(10)
    money_cols, pct_cols = set(money or ()), set(pct or ())
    cells = pd.DataFrame({c: [_formatter(c, money_cols, pct_cols, currency, compact, lang, pct_decimals, df[c])(v)
                              for v in df[c]] for c in [*keys, *rest]}, dtype=object)
    if lang == "zh":          # a Chinese page: label values and column names in Chinese (the code keeps English)
        for c in cells.columns:
            numeric = pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
            if numeric:
                continue
            given = set(map(str, df[c].dropna().unique()))
            if given and given <= {"True", "False"}:          # a yes/no column (bool, or its text)
                cells[c] = [YES_NO_ZH.get(str(v), v) for v in cells[c]]
            else:
                cells[c] = [value_label(v, lang) for v in cells[c]]
        names = {c: column_label(c, lang) for c in cells.columns}
        if len(set(names.values())) == len(names):
            cells, df = cells.rename(columns=names), df.rename(columns=names)
            keys, rest = [names[k] for k in keys], [names[c] for c in rest]
            money_cols = {names.get(c, c) for c in money_cols}
            pct_cols = {names.get(c, c) for c in pct_cols}
    too_wide = len(keys) + len(rest) > max_cols
    if rotate is None:
        rotate = too_wide and len(df) <= ROTATE_ROWS
    if rotate:
        # rows headed by their key ("vip", "C100246"); a key of numbers is named ("decile 1", "decile 2")
        named = len(keys) == 1 and keys[0] and all(str(v).replace(",", "").isdigit() for v in cells[keys[0]])
        sep = "" if lang == "zh" else " "
        heads = ([f"{keys[0]}{sep}{v}" for v in cells[keys[0]]] if named
                 else [" · ".join(str(cells.at[i, k]) for k in keys) for i in cells.index] if keys
                 else [str(i + 1) for i in range(len(cells))])
        turned = cells[rest].T
        turned.columns = heads
        turned.insert(0, "", [str(c) for c in rest])
        return Table(turned.reset_index(drop=True), source=df, numeric=set(heads))
    note = ""
    if n_rows > len(df):
        note = (f"前10行，共{n_rows:,}行" if lang == "zh" else f"the first 10 of {n_rows:,} rows")
    if too_wide:
        kept = rest[:max(1, max_cols - len(keys))]
        left = [c for c in rest if c not in kept]
        cells = cells[[*keys, *kept]]
        more = (f"另有{len(left)}列未显示：{', '.join(map(str, left))}" if lang == "zh"
                else f"{len(left)} more columns not shown: {', '.join(map(str, left))}")
        note = f"{note}; {more}" if note else more
    numeric = {c for c in cells.columns if c in money_cols or c in pct_cols
               or (pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))}
    return Table(cells.reset_index(drop=True), note=note, source=df, numeric=numeric)


def frame_html(df: pd.DataFrame) -> str:
    """A DataFrame as a report page shows it (:func:`show` with its defaults, every column kept; a table of at most
    three rows and more than eight columns on its side); a frame with several levels of columns as pandas writes
    it."""
    if isinstance(df.columns, pd.MultiIndex) or df.columns.duplicated().any():
        return df._repr_html_()
    rotate = len(df) <= 3 and df.shape[1] > 8
    key = None
    if rotate and isinstance(df.index, pd.RangeIndex):      # head the columns by the first column of unique words
        key = next((c for c in df.columns[:4] if not pd.api.types.is_numeric_dtype(df[c])
                    and df[c].notna().all() and df[c].is_unique), None)
    return show(df, key=key, max_cols=10**6, rotate=rotate)._repr_html_()


def dict_html(d: dict) -> str | None:
    """A flat dict of named numbers or words (a chapter's key numbers, counts per table) as a two-column table;
    None — pandas' and IPython's own display — for anything nested or with keys that are not text."""
    if not d or not all(isinstance(k, str) for k in d) or any(isinstance(v, (dict, list, tuple, set, pd.DataFrame,
                                                                                pd.Series)) for v in d.values()):
        return None
    head = column_label("value")
    cells = pd.DataFrame({"": [column_label(k) for k in d], head: [number(value_label(v)) for v in d.values()]},
                         dtype=object)
    return Table(cells, numeric={head})._repr_html_()


def install(ip=None, tables: bool | None = None) -> bool:
    """Make the running notebook show a pandas Series as a small table and a float rounded (13.29, not
    13.292497560288064), and table cells in full (pandas cuts text longer than 50 characters with "…") — the raw
    printouts a report page should not have. With ``tables`` (default: in a report run, ``DBMKIT_REPORT_OUT``
    set, or a Chinese page) every DataFrame is shown by :func:`frame_html` — in Chinese with Chinese column names and
    labels (``i18n.column_label``, ``i18n.value_label``) — — numbers with thousands separators and few decimals, "–"
    for a missing value, no row numbers — and a flat dict as a two-column table (:func:`dict_html`). Called by
    ``dbm.workspace``; does nothing outside IPython. Returns True when installed."""
    if ip is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        ip = get_ipython()
    if ip is None or not hasattr(ip, "display_formatter"):
        return False
    pd.set_option("display.max_colwidth", None)          # long text in a table wraps on the page, is not cut "…"
    fmt = ip.display_formatter.formatters
    fmt["text/html"].for_type(pd.Series, lambda s: show(s)._repr_html_())
    for t in (float, np.float64, np.float32, np.float16):    # each: a NumPy scalar's own repr comes first
        fmt["text/plain"].for_type(t, lambda v, p, cycle: p.text(number(v)))
    if tables if tables is not None else (bool(os.environ.get("DBMKIT_REPORT_OUT")) or get_language() == "zh"):
        fmt["text/html"].for_type(pd.DataFrame, frame_html)
        fmt["text/html"].for_type(dict, dict_html)
    return True
