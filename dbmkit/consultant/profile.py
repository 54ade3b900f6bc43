"""Column profiles: what the values of a column read from a client's file look like — dates (and their format,
day or month first), numbers (decimal comma, currency, negatives), ids, codes, e-mails, phones, yes/no flags, text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ColumnProfile", "profile_column", "profile_columns"]

_RE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_RE_DATE_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::\d{2}(?:\.\d+)?)?)?")
_RE_DATE_XXY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::\d{2})?)?$")
_RE_DATE_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{2})(?::\d{2})?)?$")
_RE_DATE_COMPACT = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_RE_DATE_WORDS = re.compile(r"^\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{4}$|^[A-Za-z]{3,9} \d{1,2}, \d{4}$")
_CODES = r"(?:USD|EUR|GBP|CNY|RMB|JPY|CHF|HKD|AUD|CAD|SGD)"
_RE_NUMBER = re.compile(r"^[(\-+]?\s*(?:[$€£¥￥]|" + _CODES + r")?\s*-?\d[\d.,\s']*\)?"
                        r"\s*(?:[$€£¥￥元]|" + _CODES + r")?$")
_RE_PHONE = re.compile(r"^(?:\+|00)?[\d\s\-().]{7,22}$")
_RE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-./]{0,30}$")
_TRUE_FALSE = {"y", "n", "yes", "no", "true", "false", "t", "f", "是", "否", "0", "1", "opt_in", "opt_out", "x"}
_CURRENCY_MARKS = [("CNY", ("¥", "￥", "元", "RMB", "CNY")), ("EUR", ("€", "EUR")), ("GBP", ("£", "GBP")),
                   ("JPY", ("JPY",)), ("USD", ("$", "USD"))]


def _parse_number(v: str, decimal_comma: bool) -> float | None:
    s = re.sub(r"[$€£¥￥元\s']|" + _CODES, "", v)
    neg = s.startswith("(") and s.endswith(")")
    s = s.strip("()")
    if decimal_comma:
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        x = float(s)
    except ValueError:
        return None
    return -x if neg else x


def _is_phone(v: str) -> bool:
    if not _RE_PHONE.match(v):
        return False
    digits = re.sub(r"\D", "", v)
    if not 8 <= len(digits) <= 15:
        return False
    # a plain run of digits is an id or an amount unless it looks like a mobile number
    if re.fullmatch(r"\d+", v):
        return bool(re.fullmatch(r"1[3-9]\d{9}", v) or (v.startswith("0") and len(v) >= 10))
    if re.fullmatch(r"-?\d+[.,]\d+", v):
        return False
    return True


def _date_parts(v: str):
    """(kind, first, second) for slash dates; ('ymd', …) for ISO/Chinese; None when not a date."""
    m = _RE_DATE_YMD.match(v)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return ("ymd", None, None, m.group(4) is not None)
    m = _RE_DATE_CN.match(v)
    if m and 1 <= int(m.group(2)) <= 12:
        return ("cn", None, None, m.group(4) is not None)
    m = _RE_DATE_XXY.match(v)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12):
            sep = re.search(r"[-/.]", v).group(0)
            return ("xxy" + sep + ("4" if len(m.group(3)) == 4 else "2"), a, b, m.group(4) is not None)
    if _RE_DATE_COMPACT.match(v):
        return ("compact", None, None, False)
    if _RE_DATE_WORDS.match(v):
        return ("words", None, None, False)
    return None


@dataclass
class ColumnProfile:
    column: str
    kind: str                 # date, datetime, int, decimal, id, code, email, phone, bool, text, empty
    non_null: int
    distinct: int
    unique_ratio: float       # distinct / non-null
    examples: list
    decimal_comma: bool = False
    negative_share: float = 0.0
    median: float | None = None
    max_abs: float | None = None
    date_format: str | None = None
    date_note: str = ""
    letter_prefix: str | None = None     # a letter that starts a minority of otherwise numeric ids ('C')
    letter_prefix_share: float = 0.0
    currency: str | None = None
    cjk_share: float = 0.0
    top_values: list = field(default_factory=list)    # the most frequent values (for enums such as status)


def profile_column(name: str, values: pd.Series) -> ColumnProfile:
    """The profile of one column (values as text, as read from a file): see :func:`profile_columns`."""
    vals = [str(v).strip() for v in values.dropna().tolist()]
    vals = [v for v in vals if v and v.lower() not in ("nan", "null", "none", "n/a", "na", "-", "nat")]
    n = len(vals)
    distinct = len(set(vals))
    ex = list(dict.fromkeys(vals))[:3]
    p = ColumnProfile(column=str(name), kind="empty", non_null=n, distinct=distinct,
                      unique_ratio=(distinct / n) if n else 0.0, examples=ex)
    if not n:
        return p
    if distinct <= 50:
        p.top_values = pd.Series(vals).value_counts().index[:20].tolist()
    p.cjk_share = sum(bool(re.search(r"[\u4e00-\u9fff]", v)) for v in vals) / n

    def share(pred) -> float:
        return sum(1 for v in vals if pred(v)) / n

    if share(lambda v: bool(_RE_EMAIL.match(v))) >= 0.8:
        p.kind = "email"
        return p
    parts = [_date_parts(v) for v in vals]
    if sum(x is not None for x in parts) / n >= 0.9:
        ok = [x for x in parts if x is not None]
        p.kind = "datetime" if sum(x[3] for x in ok) / len(ok) >= 0.5 else "date"
        kinds = pd.Series([x[0] for x in ok]).value_counts()
        main = kinds.index[0]
        if main == "compact":
            p.date_format = "%Y%m%d"
        elif main == "cn":
            p.date_format = "%Y年%m月%d日"
        elif main.startswith("xxy"):
            sep, year = main[3], main[4]
            first_big = sum(1 for x in ok if x[0] == main and x[1] > 12)
            second_big = sum(1 for x in ok if x[0] == main and x[2] > 12)
            y = "%Y" if year == "4" else "%y"
            if second_big and not first_big:
                p.date_format = f"%m{sep}%d{sep}{y}"
                p.date_note = "month first (a second number above 12 occurs)"
            elif first_big and not second_big:
                p.date_format = f"%d{sep}%m{sep}{y}"
                p.date_note = "day first (a first number above 12 occurs)"
            else:
                p.date_format = f"%d{sep}%m{sep}{y}"
                p.date_note = ("AMBIGUOUS: no day above 12 in the sample, day-first assumed; "
                               f"use %m{sep}%d{sep}{y} if the dates are month-first")
            if p.kind == "datetime":
                p.date_format += " %H:%M"
        return p
    if share(_is_phone) >= 0.8:
        p.kind = "phone"
        return p
    if share(lambda v: v.lower() in _TRUE_FALSE) >= 0.95 and distinct <= 4 and not share(
            lambda v: v in ("0", "1")) == 1.0:
        p.kind = "bool"
        return p
    num_like = [v for v in vals if _RE_NUMBER.match(v)]
    if len(num_like) / n >= 0.95:
        bare = [re.sub(r"[^\d.,\-]", "", v) for v in num_like]
        comma_dec = sum(1 for v in bare if re.search(r",\d{1,2}$", v) or re.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+", v))
        dot_dec = sum(1 for v in bare if re.search(r"\.\d{1,2}$", v) or re.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+", v))
        p.decimal_comma = comma_dec > dot_dec
        nums = [_parse_number(v, p.decimal_comma) for v in num_like]
        nums = [x for x in nums if x is not None]
        if len(nums) / n >= 0.95:
            arr = np.array(nums, dtype=float)
            p.negative_share = float((arr < 0).mean())
            p.median = float(np.median(arr))
            p.max_abs = float(np.abs(arr).max())
            is_int = bool(np.all(np.isclose(arr, np.round(arr))))
            has_dec_text = any(re.search(r"[.,]\d{1,2}\)?\s*\D*$", v) and not re.search(r"\.0+$", v) for v in num_like)
            for code, marks in _CURRENCY_MARKS:
                if any(m in v for v in num_like[:200] for m in marks):
                    p.currency = code
                    break
            if is_int and not has_dec_text:
                # long integers that never repeat much and are never negative are ids, not quantities
                p.kind = "id" if (p.median is not None and abs(p.median) >= 1000 and p.negative_share == 0
                                  and all(re.fullmatch(r"\d+(\.0+)?", v) for v in num_like)) else "int"
            else:
                p.kind = "decimal"
            return p
    # ids with a letter prefix on a minority (Online Retail's cancellations: C536379)
    m = [re.fullmatch(r"([A-Za-z])(\d+)", v) for v in vals]
    lp = pd.Series([x.group(1) for x in m if x]).value_counts()
    if share(lambda v: bool(re.fullmatch(r"[A-Za-z]?\d+", v))) >= 0.95 and len(lp):
        p.kind = "id"
        if lp.iloc[0] / n < 0.5:
            p.letter_prefix, p.letter_prefix_share = str(lp.index[0]), float(lp.iloc[0] / n)
        return p
    if share(lambda v: bool(_RE_CODE.match(v))) >= 0.95 and max(len(v) for v in vals) <= 24:
        p.kind = "code"
        return p
    p.kind = "text"
    return p


def profile_columns(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column of ``df`` (text as read from a file): the kind of values, distinct count, examples.

    Kinds: ``date``, ``datetime``, ``int``, ``decimal``, ``id`` (long integer keys, or numbers with a letter
    prefix), ``code`` (short alphanumeric keys such as SKUs), ``email``, ``phone``, ``bool``, ``text``, ``empty``.

    >>> df = pd.DataFrame({"d": ["2024-01-05", "2024-02-01"], "a": ["12,50", "3,00"], "e": ["a@x.com", "b@y.org"]})
    >>> profile_columns(df)[["column", "kind", "decimal_comma"]].values.tolist()
    [['d', 'date', False], ['a', 'decimal', True], ['e', 'email', False]]
    """
    rows = [profile_column(c, df[c]).__dict__ for c in df.columns]
    return pd.DataFrame(rows)
