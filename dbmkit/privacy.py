"""Privacy (隐私保护): personal contact details never reach a page.

One place for what build, analysis and report share: the patterns that find raw e-mail addresses and phone numbers
in text (``find_pii``; the report tests scan every page with them), masking them in text (``mask_pii``,
``mask_text``) and in tables of people (``mask_people``, ``mask_email``, ``mask_phone``).

>>> mask_email(pd.Series(["ann.lee@mail.com"])).tolist(), mask_phone(pd.Series(["+12125550142"])).tolist()
(['a***@mail.com'], ['+1*******142'])
"""
from __future__ import annotations

import re

import pandas as pd

__all__ = ["PII_PATTERNS", "find_pii", "mask_pii", "mask_text", "mask_email", "mask_phone", "mask_people"]


# ---------------------------------------------------------------------------------------------- text on a page
# Raw e-mail addresses and phone numbers must never reach a report page (the tests scan every page with these).
PII_PATTERNS = {
    "email": re.compile(r"(?<![\w.+%-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
    "phone_international": re.compile(r"(?<![\w+])\+\d{1,3}[\d \-().]{6,16}\d(?!\d)"),
    "phone_national": re.compile(r"(?<![\d\w])\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}(?![\d\w])"),
    "phone_cn_mobile": re.compile(r"(?<![\d.\w])1[3-9]\d{9}(?![\d.\w])"),
}


_PII_ANY = re.compile("|".join(f"(?:{rx.pattern})" for rx in PII_PATTERNS.values()))


def _reserved(s: str) -> bool:
    """Values reserved for documentation, never a person's: e-mails at example.com/.org/.net (RFC 2606) and North
    American numbers 555-0100 … 555-0199 (reserved for fiction) — teaching text may show them."""
    if "@" in s:
        return bool(re.search(r"@(?:[\w-]+\.)*example\.(?:com|org|net)$", s, re.I))
    digits = re.sub(r"\D", "", s)
    return bool(re.fullmatch(r"1?\d{3}55501\d\d", digits))


def find_pii(text: str) -> list[str]:
    """Raw e-mail addresses and phone numbers found in ``text`` (documentation values such as
    x@example.com or 212-555-0142 are not personal data and are not reported).

    >>> find_pii("write to ann.lee@mail.com or call +1 212 555 0342; order 12345 on 2024-01-05; demo@example.com")
    ['ann.lee@mail.com', '+1 212 555 0342']
    """
    return [m.group(0) for m in _PII_ANY.finditer(text) if not _reserved(m.group(0))]


def _mask_match(m: re.Match) -> str:
    s = m.group(0)
    if _reserved(s):
        return s
    if "@" in s:
        local, domain = s.split("@", 1)
        return local[:1] + "***@" + domain
    digits = [c for c in s if c.isdigit()]
    return ("+" if s.startswith("+") else "") + "*" * max(len(digits) - 3, 3) + "".join(digits[-3:])


def mask_pii(text: str) -> tuple[str, int]:
    """Mask raw e-mails and phone numbers in ``text`` (a***@mail.com, ********142); returns (text, count).

    >>> mask_pii("ann.lee@mail.com, 13912345678, (212) 555-0142")
    ('a***@mail.com, ********678, (212) 555-0142', 2)
    """
    n = 0

    def sub(m: re.Match) -> str:
        nonlocal n
        out = _mask_match(m)
        n += out != m.group(0)
        return out
    return _PII_ANY.sub(sub, text), n



# ------------------------------------------------------------------------------------ masking people in tables
def mask_email(s: pd.Series) -> pd.Series:
    """Hide an e-mail's user name but the first letter: ``john.smith@gmail.com`` → ``j***@gmail.com``.

    >>> mask_email(pd.Series(["john.smith@gmail.com", None])).tolist()
    ['j***@gmail.com', None]
    """
    def m(x):
        if not isinstance(x, str) or not x:
            return None
        user, at, dom = x.strip().partition("@")
        return (user[:1] + "***" + at + dom) if at else (x[:1] + "***")
    return pd.Series([m(x) for x in s], index=s.index, dtype=object)


def mask_phone(s: pd.Series) -> pd.Series:
    """Hide a phone number but the first two and last three characters: ``+12125550142`` → ``+1*******142``.

    >>> mask_phone(pd.Series(["+8613800138000"])).tolist()
    ['+8*********000']
    """
    def m(x):
        if not isinstance(x, str) or not x:
            return None
        x = x.strip()
        if len(x) <= 5:
            return "*" * len(x)
        return x[:2] + "*" * (len(x) - 5) + x[-3:]
    return pd.Series([m(x) for x in s], index=s.index, dtype=object)


_PHONE_COL = re.compile(r"phone|mobile|tel|cell|手机|电话", re.I)
_NOT_CONTACT_COL = re.compile(r"ok|consent|valid|flag|allow|允许|同意", re.I)
_STREET_COL = re.compile(r"street|address|地址", re.I)
_EMAIL_ONLY = re.compile(r"\S*@\S*")
_EMAIL_COL = re.compile(r"e-?mail|邮箱|邮件地址", re.I)


def mask_text(s: pd.Series) -> pd.Series:
    """E-mails and phone numbers inside free text (a quarantined row, a reason) masked where they appear, with the
    patterns the report uses to check its pages (``find_pii``).

    >>> mask_text(pd.Series(["write to ann@x.com or call +1 212 736 0142"])).tolist()
    ['write to a***@x.com or call +********142']
    """
    return pd.Series([mask_pii(x)[0] if isinstance(x, str) else x for x in s], index=s.index, dtype=object)


def mask_people(df: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for a report: e-mail values masked with ``mask_email``, phone columns (phone, mobile, tel, 手机,
    电话 — not their consent flags) with ``mask_phone``, e-mails and phones inside other text masked where they
    appear, house numbers removed from street and address columns.

    >>> mask_people(pd.DataFrame({"Mail": ["ann@x.com"], "Phone": ["(212) 555-0142"], "PhoneOK": ["Y"]})).values.tolist()
    [['a***@x.com', '(2*********142', 'Y']]
    """
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if s.dtype == bool or pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        name = str(c)
        vals = s.astype(object).where(s.notna(), None)
        if _PHONE_COL.search(name) and not _NOT_CONTACT_COL.search(name):
            out[c] = mask_phone(vals.map(lambda x: None if x is None else str(x)))
            continue
        mail_col = bool(_EMAIL_COL.search(name)) and not _NOT_CONTACT_COL.search(name)
        is_mail = vals.map(lambda x: isinstance(x, str) and (mail_col or bool(_EMAIL_ONLY.fullmatch(x.strip()))))
        if is_mail.any():
            vals = vals.where(~is_mail, mask_email(vals.where(is_mail, None)))
        vals = mask_text(vals)
        if _STREET_COL.search(name):
            vals = vals.astype("string").str.replace(r"^\s*\d+\w?\s+", "# ", regex=True) \
                .str.replace(r"(\d+)号", "#号", regex=True).astype(object)
        out[c] = vals
    return out


# ---------------------------------------------------------------------------------------------- pseudonymisation
import hashlib  # noqa: E402  (this section is appended: the imports above belong to the masking part)

__all__ += ["salted_hash"]


def salted_hash(value, salt: str) -> str:
    """A salted SHA-256 token of a value (24 hex characters): the same value and salt always give the same token,
    another salt another one, and the value cannot be read back. Used for pseudonymised extracts and for the
    erasure memory (``dbmkit.database.erasure``), which keeps erased people out without keeping who they were.

    >>> salted_hash("P1", "s") == salted_hash("P1", "s"), salted_hash("P1", "s") == salted_hash("P1", "t")
    (True, False)
    >>> len(salted_hash("ann@x.com", "s"))
    24
    """
    return hashlib.sha256((salt + "|" + str(value)).encode("utf-8")).hexdigest()[:24]
