"""Privacy (隐私保护): personal contact details never reach a page.

One place for what build, analysis and report share: finding raw e-mail addresses and phone numbers in text
(``find_pii``; the report tests scan every page with it), masking them in text (``mask_pii``, ``mask_text``) and in
tables of people (``mask_people``, ``mask_email``, ``mask_phone``, ``mask_identifier``).

What counts as a contact detail:

* **e-mail addresses**, also with non-ASCII letters (``zoë.müller@beispiel.de``, ``张三@例子.中国``);
* **phone numbers** in international form (``+49 (0)151 2345 6789``, ``0049 151 23456789``, ``+4915123456789``)
  and in the national forms of ``PHONE_REGIONS`` (US, CN, DE, GB, FR, JP, IN): ``(212) 555-0342``, ``2125550342``,
  ``139-1234-5678``, ``021-6123-4567``, ``0151 23456789``, ``020 7946 0958``, ``06 12 34 56 78``, ``090-1234-5678``,
  ``98765 43210`` … A number written without ``+``/``00`` counts when ``phonenumbers`` says it is a valid number of
  one of those countries *in the way it is written*: with the trunk prefix 0 (DE, GB, FR, JP, CN landlines, IN), or
  as a North American, Chinese mobile or Indian mobile number without it.

* **app contact points**: a WeChat openid (``oUpF8uMuAJO_M2pxb1Q9zNjWeS6o``: 28 characters from ``o``, letters of
  both cases, digits, ``-`` and ``_``) is found in text too; an app push token (an APNs token is 64 hex digits, like
  a SHA-256 hash, so it cannot be told apart in text) is masked by its column — any column whose name says openid,
  WeChat, push, token, device or registration id (微信, 推送, 令牌, 设备) is masked with ``mask_identifier``.

Not contact details (kept as they are, so teaching pages stay readable): dates (2024-01-05, 05.01.2024,
2024/01/05), times, ranges (1990–2024), amounts (1,234.56, 12 345 678), decimals (0.1234567), percentages, years,
postal codes and ids (100023, O-000123), and the values reserved for documentation: e-mails at example.com/.org/.net
and North American numbers 555-0100 … 555-0199.

>>> mask_email(pd.Series(["ann.lee@mail.com"])).tolist(), mask_phone(pd.Series(["+12125550142"])).tolist()
(['a***@mail.com'], ['+1*******142'])
"""
from __future__ import annotations

import functools
import hashlib
import re

import pandas as pd

__all__ = ["PII_PATTERNS", "PHONE_REGIONS", "salted_hash", "find_pii", "mask_pii",
           "mask_text", "mask_email", "mask_phone", "mask_identifier",
           "mask_people"]


# ---------------------------------------------------------------------------------------------- text on a page
# Raw e-mail addresses and phone numbers must never reach a report page (the tests scan every page with find_pii).

# countries whose national phone formats are recognised (international ones are recognised for every country)
PHONE_REGIONS = ("US", "CN", "DE", "GB", "FR", "JP", "IN")
_TRUNK0_REGIONS = tuple(r for r in PHONE_REGIONS if r != "US")      # national numbers written with a leading 0

_LATIN = "A-Za-z0-9\u00C0-\u024F\u0370-\u03FF\u0400-\u04FF"         # Latin (with accents), Greek, Cyrillic
_CJK = "\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF"        # kana, Han, Hangul
_EMAIL = re.compile(
    rf"(?:(?<![{_LATIN}._%+\-])[{_LATIN}][{_LATIN}._%+\-]*|[{_CJK}][{_CJK}0-9._%+\-]*)"      # the user name
    rf"@(?:[{_LATIN}{_CJK}](?:[{_LATIN}{_CJK}\-]*[{_LATIN}{_CJK}])?\.)+"                           # the domain
    rf"(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9\-]{{2,59}}|[{_CJK}]{{2,}}|[\u00C0-\u024F\u0400-\u04FF]{{2,}})")

# A phone candidate: 7-17 digits with single separators between the groups (space, no-break space, - . /, brackets,
# a "(0)" after the country code), not glued to a word, a sign, a decimal point or another number. Whether a
# candidate is a phone number is decided by _is_phone.
_SEP = r"(?:[ \u00a0]?[\-./][ \u00a0]?|[ \u00a0]|&nbsp;|&#160;|\)[ \u00a0]?|[ \u00a0]?\(|[ \u00a0]?\(0\)[ \u00a0]?)"
_PHONE = re.compile(rf"(?<![A-Za-z0-9_+\-.,/])(?:\+[ \u00a0]?|\()?\d(?:{_SEP}?\d){{6,16}}(?![A-Za-z0-9_]|[.,:]\d)")

# a WeChat openid: 28 characters starting with "o", with an upper-case letter, a lower-case letter and a digit (so
# that a word, a snake_case name or a hex hash never counts)
_OPENID = re.compile(r"(?<![A-Za-z0-9_\-])(?=[A-Za-z0-9_\-]*[A-Z])(?=[A-Za-z0-9_\-]*[a-z])(?=[A-Za-z0-9_\-]*\d)"
                     r"o[A-Za-z0-9_\-]{27}(?![A-Za-z0-9_\-])")

PII_PATTERNS = {
    "email": _EMAIL,
    "phone": _PHONE,        # candidates: _is_phone decides (phonenumbers, per country)
    "openid": _OPENID,
}

_US_SHAPE = re.compile(r"\(?\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}")          # (212) 555-0342, 212.555.0342
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_D, _M, _Y = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)\d\d"
_NOT_PHONE = re.compile(
    r"\d+[.,]\d+"                                                     # a decimal: 0.1234567
    r"|[1-9]\d{0,2}(?:(?P<t>[ .\u00a0]|&nbsp;|&#160;)\d{3})(?:(?P=t)\d{3})+"   # thousands: 12 345 678, 1.234.567
    rf"|(?:{_D}(?P<d>[\-./]){_M}|{_M}(?P<e>[\-./]){_D})(?:(?P=d)|(?P=e))(?:{_Y}|\d\d)")   # a date: 05.01.2024
_DATE_INSIDE = re.compile(                                            # 2024-01-05, 05/01/2024 in a longer run
    rf"(?<!\d)(?:{_Y}(?P<a>[\-./]){_M}(?P=a){_D}|(?:{_D}(?P<b>[\-./]){_M}|{_M}(?P<c>[\-./]){_D})(?:(?P=b)|(?P=c)){_Y})"
    r"(?!\d)")
_DIGITS = re.compile(r"\d+")


def _reserved(s: str) -> bool:
    """Values reserved for documentation, never a person's: e-mails at example.com/.org/.net (RFC 2606) and North
    American numbers 555-0100 … 555-0199 (reserved for fiction) — teaching text may show them."""
    if "@" in s:
        return bool(re.search(r"@(?:[\w-]+\.)*example\.(?:com|org|net)$", s, re.I))
    digits = re.sub(r"\D", "", s)
    return bool(re.fullmatch(r"1?\d{3}55501\d\d", digits))


def _valid(number: str, region: str | None) -> bool:
    """Is ``number`` (digits, or + and digits) a valid phone number of ``region`` written without its trunk prefix
    (None: an international number)?"""
    import phonenumbers
    try:
        if region is None:
            return phonenumbers.is_valid_number(phonenumbers.parse(number, None))
        if number.startswith("0"):
            return False
        num = phonenumbers.PhoneNumber(country_code=phonenumbers.country_code_for_region(region),
                                       national_number=int(number))
        return phonenumbers.is_valid_number_for_region(num, region)     # no parse: 5x faster on a long page
    except phonenumbers.NumberParseException:
        return False


@functools.lru_cache(maxsize=65536)
def _is_phone(s: str) -> bool:
    """Is this candidate (a run of digits and separators) a phone number? See the module doc for the rule."""
    s = s.strip()
    plain = s.replace("&nbsp;", " ").replace("&#160;", " ")
    groups = _DIGITS.findall(plain)
    digits = "".join(groups)
    n = len(digits)
    plus = plain.startswith("+")
    if n < 7 or n > 17 or (not plus and digits[0] != "0" and n not in (10, 11)):
        return False
    if sum(len(g) == 1 for g in groups) > 2:                      # 1 2 3 4 5 6 7 8 9 10: a count, not a number
        return False
    if _NOT_PHONE.fullmatch(plain) or _DATE_INSIDE.search(plain):
        return False
    if plus:                                                      # international: +<country code><number>
        if _NOT_PHONE.fullmatch(plain[1:].lstrip(" \u00a0")):       # +12 345 678: a change in money, unless valid
            return _valid("+" + digits, None)
        return 8 <= n <= 15
    if digits.startswith("00") and not digits.startswith("000"):  # international with the 00 prefix
        return 9 <= n <= 17 and _valid("+" + digits[2:], None)
    if _US_SHAPE.fullmatch(plain) or (n == 11 and _CN_MOBILE.fullmatch(digits)):
        return True
    if digits[0] == "0":                                          # national, with the trunk prefix
        return any(_valid(digits[1:], r) for r in _TRUNK0_REGIONS)
    if n == 10:                                                   # 2125550342, 98765 43210 (a mobile)
        return _valid(digits, "US") or (digits[0] in "6789" and _valid(digits, "IN"))
    if n == 11 and digits[0] == "1":                              # 1 212 555 0342
        return _valid(digits[1:], "US")
    return False


_SOFT = re.compile(r"[ \u00a0]+|&nbsp;|&#160;")


def _phone_spans(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """The phone numbers inside text[lo:hi], leftmost and longest first."""
    out, pos = [], lo
    while True:
        m = _PHONE.search(text, pos, hi)
        if not m:
            return out
        s, e = m.span()
        if text[s] == "(" and ")" not in text[s:e]:               # (010 1234 5678): the bracket is the text's
            s += 1
        if _is_phone(text[s:e]):
            out.append((s, e))
            pos = e
            continue
        # a run that is not one number may still hold one (before a year or a count, after a date): try it cut at
        # a space, longest first, then look again from the next group on (groups joined by - . / stay together)
        cand = text[s:e]
        soft = list(_SOFT.finditer(cand))
        b = next((x.start() for x in reversed(soft) if x.start() >= 7 and _is_phone(cand[:x.start()])), None)
        if b is not None:
            out.append((s, s + b))
            pos = s + b
        else:
            pos = s + soft[0].end() if soft else e


def _pii_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of every e-mail address and phone number in ``text``, in order, without overlaps."""
    spans = []
    pos = 0
    if "@" in text:
        for m in _EMAIL.finditer(text):
            for a, b in _phone_spans(text, pos, m.start()):
                spans.append((a, b, "phone"))
            spans.append((m.start(), m.end(), "email"))
            pos = m.end()
    spans += [(a, b, "phone") for a, b in _phone_spans(text, pos, len(text))]
    if "o" in text:
        ids = [(m.start(), m.end(), "openid") for m in _OPENID.finditer(text)]
        if ids:
            spans = sorted([s for s in spans if not any(a < s[1] and s[0] < b for a, b, _ in ids)] + ids)
    return spans


def find_pii(text: str) -> list[str]:
    """Raw e-mail addresses and phone numbers found in ``text`` (documentation values such as
    x@example.com or 212-555-0142 are not personal data and are not reported).

    >>> find_pii("write to ann.lee@mail.com or call +1 212 555 0342; order 12345 on 2024-01-05; demo@example.com")
    ['ann.lee@mail.com', '+1 212 555 0342']
    >>> find_pii("Ruf an: 0151 23456789, 张三@例子.中国, 021-6123-4567; 1990–2024, 0.1234567, $1,234.56, O-000123")
    ['0151 23456789', '张三@例子.中国', '021-6123-4567']
    """
    return [t for t in (text[a:b] for a, b, _ in _pii_spans(text)) if not _reserved(t)]


def _mask_one(s: str) -> str:
    if _OPENID.fullmatch(s):
        return _mask_id(s)
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
    >>> mask_pii("Tel. 0049 151 23456789 oder 06 12 34 56 78 am 2024-01-05")
    ('Tel. ************789 oder *******678 am 2024-01-05', 2)
    """
    spans = _pii_spans(text)
    if not spans:
        return text, 0
    out, pos, n = [], 0, 0
    for a, b, _ in spans:
        out.append(text[pos:a])
        raw = text[a:b]
        masked = _mask_one(raw)
        n += masked != raw
        out.append(masked)
        pos = b
    out.append(text[pos:])
    return "".join(out), n


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


def _mask_id(x: str) -> str:
    x = x.strip()
    return "*" * len(x) if len(x) <= 8 else x[:3] + "***" + x[-2:]


def mask_identifier(s: pd.Series) -> pd.Series:
    """Hide a WeChat openid or app push token but the first three and last two characters (enough to tell two apart
    when checking a file, never enough to send to): ``oUpF8uMuAJO_M2pxb1Q9zNjWeS6o`` → ``oUp***6o``.

    >>> mask_identifier(pd.Series(["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "short", None])).tolist()
    ['oUp***6o', '*****', None]
    """
    return pd.Series([_mask_id(str(x)) if isinstance(x, str) and x.strip() else None for x in s], index=s.index,
                     dtype=object)


_ID_COL = re.compile(r"openid|open_id|wechat|weixin|push|token|device|registration_?id|reg_?id|unionid"
                     r"|微信|推送|令牌|设备", re.I)
_NOT_ID_COL = re.compile(r"consent|valid|flag|allow|opt|允许|同意|(?:^|_)ok$", re.I)     # "token" has an "ok" in it


def mask_text(s: pd.Series) -> pd.Series:
    """E-mails and phone numbers inside free text (a quarantined row, a reason) masked where they appear, with the
    patterns the report uses to check its pages (``find_pii``).

    >>> mask_text(pd.Series(["write to ann@x.com or call +1 212 736 0142"])).tolist()
    ['write to a***@x.com or call +********142']
    """
    return pd.Series([mask_pii(x)[0] if isinstance(x, str) else x for x in s], index=s.index, dtype=object)


def mask_people(df: pd.DataFrame) -> pd.DataFrame:
    """A copy fit for a report: e-mail values masked with ``mask_email``, phone columns (phone, mobile, tel, 手机,
    电话 — not their consent flags) with ``mask_phone``, WeChat openid and app push token columns (openid, wechat,
    push, token, device, registration id, 微信, 推送, 令牌, 设备 — not their consent or validity flags) with
    ``mask_identifier``, e-mails and phones inside other text masked where they
    appear, house numbers removed from street and address columns.

    >>> mask_people(pd.DataFrame({"Mail": ["ann@x.com"], "Phone": ["(212) 555-0142"],
    ...                           "PhoneOK": ["Y"]})).values.tolist()
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
        if _ID_COL.search(name) and not _NOT_ID_COL.search(name):
            out[c] = mask_identifier(vals.map(lambda x: None if x is None else str(x)))
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
