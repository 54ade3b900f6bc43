"""Data cleaning (数据清洗): standardise names, e-mails, phones, genders, dates and postal codes; validation
rules; and the data-quality report (completeness, validity, uniqueness, freshness) before and after cleaning.

Functions take and return DataFrames (or Series) and never drop rows: an invalid value becomes NULL with a flag,
so the quality report can count it. Masking contact details for display lives in ``dbmkit.privacy``.

Example
-------
>>> standardise_emails(pd.Series([" Ann.Lee@Mail.COM ", "bad@", None])).tolist()
['ann.lee@mail.com', None, None]
>>> standardise_phones(pd.Series(["(212) 555-0142", "12"]), region="US").tolist()
['+12125550142', None]
"""
from __future__ import annotations

import functools
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd

from .app_ids import identifier_problems, standardise_openids, standardise_push_tokens
from .privacy import mask_people

__all__ = [
    "standardise_emails", "email_is_valid", "standardise_phones", "standardise_openids", "standardise_push_tokens",
    "identifier_problems",    "standardise_names", "split_full_name",
    "standardise_gender", "standardise_postal_codes", "plausible_birth_dates", "parse_dates", "clean_customer_records",
    "flag_test_accounts", "quality_report", "quality_score", "quality_summary", "normalise_street",
    "cleaning_examples", "validation_rules", "rules_for", "RULES",
    "quality_report_sql",
    "QUALITY_COLUMNS",
]

_EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                       r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


def email_is_valid(s: pd.Series) -> pd.Series:
    """True where the text is a syntactically valid e-mail address (after trimming and lower-casing).

    >>> email_is_valid(pd.Series(["a@b.com", " A@B.COM ", "a@b", None])).tolist()
    [True, True, False, False]
    """
    t = s.astype("string").str.strip().str.lower()
    return t.str.match(_EMAIL_RE).fillna(False).astype(bool)


def standardise_emails(s: pd.Series) -> pd.Series:
    """Trim, lower-case and validate e-mails; invalid ones become NULL (count them with ``email_is_valid``).

    >>> standardise_emails(pd.Series([" Ann@X.COM", "ann@@x.com"])).tolist()
    ['ann@x.com', None]
    """
    t = s.astype("string").str.strip().str.lower()
    ok = t.str.match(_EMAIL_RE).fillna(False).astype(bool)
    return t.where(ok).astype(object).where(ok, None)


@functools.lru_cache(maxsize=500_000)
def _e164(key: str, region: str) -> str | None:
    import phonenumbers
    try:
        num = phonenumbers.parse(key, region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) \
        if phonenumbers.is_valid_number(num) else None


def _phone_key(x: str) -> str:
    """The number as ``phonenumbers`` needs it: digits (and a leading +; 00 → +). Letters are kept, so that
    "21255501ab" stays invalid instead of becoming a shorter number."""
    x = x.strip()
    if re.search(r"[A-Za-z]", x):
        return x
    digits = re.sub(r"[^\d+]", "", x)
    return "+" + digits[2:] if digits.startswith("00") else digits


def standardise_phones(s: pd.Series, region: str = "US") -> pd.Series:
    """Phone numbers to E.164 (+<country><number>) with ``phonenumbers``; invalid ones become NULL.

    Each distinct number is parsed once (and remembered across calls), so a million rows with repeated numbers
    stay fast.

    >>> standardise_phones(pd.Series(["138 0013 8000", "+86 138 0013 8000", "12345"]), region="CN").tolist()
    ['+8613800138000', '+8613800138000', None]
    """
    t = s.astype("string").str.strip()
    uniq = pd.unique(t.dropna().to_numpy())
    out = {raw: _e164(_phone_key(str(raw)), region) for raw in uniq}
    res = t.map(out)
    return res.astype(object).where(res.notna(), None)


def _fix_case(name: str) -> str:
    if not name.isascii():
        return name
    if name.isupper() or name.islower():
        parts = re.split(r"([\s\-'])", name.lower())
        name = "".join(p.capitalize() if p and p not in " -'" else p for p in parts)
        name = re.sub(r"\bMc([a-z])", lambda m: "Mc" + m.group(1).upper(), name)
    return name


def standardise_names(s: pd.Series) -> pd.Series:
    """Trim, collapse spaces, normalise Unicode width, and fix ALL CAPS / all lower case (Latin names).

    >>> standardise_names(pd.Series(["  MARY  O'NEIL ", "mcdonald", "王伟"])).tolist()
    ["Mary O'Neil", 'McDonald', '王伟']
    """
    t = s.astype("string").str.strip()
    t = t.map(lambda x: unicodedata.normalize("NFKC", x) if isinstance(x, str) else x).astype("string")
    t = t.str.replace(r"\s+", " ", regex=True)
    out = t.map(lambda x: _fix_case(x) if isinstance(x, str) and x else None)
    return out.astype(object).where(out.notna() & (out != ""), None)


_CN_COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "令狐", "夏侯")


def split_full_name(s: pd.Series) -> pd.DataFrame:
    """Split full names into first_name / last_name.

    Handles "LAST, First", "First Last" and Chinese names (surname first, two-character compound surnames).

    >>> split_full_name(pd.Series(["SMITH, Anna", "John Lee", "欧阳娜娜", "王伟"])).values.tolist()
    [['Anna', 'SMITH'], ['John', 'Lee'], ['娜娜', '欧阳'], ['伟', '王']]
    """
    first, last = [], []
    for x in s.astype(object):
        if not isinstance(x, str) or not x.strip():
            first.append(None)
            last.append(None)
            continue
        x = x.strip()
        if re.search(r"[\u4e00-\u9fff]", x) and " " not in x:
            k = 2 if x[:2] in _CN_COMPOUND and len(x) > 2 else 1
            last.append(x[:k])
            first.append(x[k:] or None)
        elif "," in x:
            a, b = x.split(",", 1)
            last.append(a.strip())
            first.append(b.strip() or None)
        elif " " in x:
            a, b = x.rsplit(" ", 1)
            first.append(a.strip())
            last.append(b.strip())
        else:
            first.append(None)
            last.append(x)
    return pd.DataFrame({"first_name": first, "last_name": last}, index=s.index)


def standardise_gender(s: pd.Series) -> pd.Series:
    """Map gender codes and titles (m, Male, Mr, 男 / f, Female, Mrs, Ms, 女) to 'M' / 'F'; others to NULL.

    >>> standardise_gender(pd.Series(["Mrs.", "m", "女", "?"])).tolist()
    ['F', 'M', 'F', None]
    """
    from .schema import SYNONYMS
    syn = SYNONYMS["gender"]
    t = s.astype("string").str.strip().str.lower().str.rstrip(".")
    out = t.map(lambda x: syn.get(x) if isinstance(x, str) else None)
    return out.astype(object).where(out.notna(), None)


def standardise_postal_codes(s: pd.Series, region: str = "US") -> pd.Series:
    """One written form per postal code: restore leading zeros that spreadsheets dropped (US 5 digits, CN 6 digits);
    elsewhere upper case with one space where the country writes one (UK and Canada before the last three characters,
    the Netherlands between digits and letters), so "sw1a1aa" and "SW1A  1AA" are the same code.

    >>> standardise_postal_codes(pd.Series(["2183", "10001-1234", "x"]), "US").tolist()
    ['02183', '10001', None]
    >>> standardise_postal_codes(pd.Series(["sw1a1aa", " SW1A  1AA", "EC1A 1BB"]), "GB").tolist()
    ['SW1A 1AA', 'SW1A 1AA', 'EC1A 1BB']
    >>> standardise_postal_codes(pd.Series(["1012ab", "75008", "k1a0b1"]), "NL").tolist()[0]
    '1012 AB'
    """
    reg = region.upper()
    t = s.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    width = {"US": 5, "CN": 6}.get(reg)
    if width:
        t = t.str.replace(r"\s+", "", regex=True)
        short = t.str.fullmatch(r"\d{3,%d}" % (width - 1)).fillna(False).astype(bool)
        t = t.where(~short, t.str.zfill(width))
        t = t.where(t.str.fullmatch(r"\d{%d}(-\d{4})?" % width).fillna(False).astype(bool) | t.isna())
        if reg == "US":
            t = t.str.slice(0, 5)
    else:
        t = t.str.upper().str.replace(r"\s+", " ", regex=True)
        if reg in ("GB", "UK", "CA"):
            packed = t.str.replace(" ", "", regex=False)
            t = packed.str.replace(r"^([A-Z0-9]{2,4})([0-9][A-Z]{2}|[0-9][A-Z][0-9])$", r"\1 \2", regex=True)
        elif reg == "NL":
            t = t.str.replace(r"^(\d{4}) ?([A-Z]{2})$", r"\1 \2", regex=True)
    out = t.astype(object)
    return out.where(pd.notna(out) & (out != ""), None)


def plausible_birth_dates(s: pd.Series, as_of=None, min_age: int = 14, max_age: int = 110) -> pd.Series:
    """Birth dates outside [as_of − max_age, as_of − min_age] become NULL (placeholders like 1900-01-01).

    >>> [str(d) for d in plausible_birth_dates(pd.Series(["1900-01-01", "1980-05-01"]), as_of="2026-06-30")]
    ['None', '1980-05-01']
    """
    d = pd.to_datetime(s, errors="coerce")
    ref = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    ok = (d >= ref - pd.DateOffset(years=max_age)) & (d <= ref - pd.DateOffset(years=min_age))
    return d.where(ok).dt.date.astype(object).where(ok, None)


_STREET_ABBR = {"street": "st", "avenue": "ave", "road": "rd", "drive": "dr", "lane": "ln", "boulevard": "blvd",
                "court": "ct", "place": "pl", "square": "sq", "apartment": "apt", "north": "n", "south": "s",
                "east": "e", "west": "w"}


def normalise_street(s: pd.Series) -> pd.Series:
    """A comparison key for addresses: lower case, no punctuation, standard abbreviations (Street → st).

    >>> normalise_street(pd.Series(["12 Oak Street, Apt. 3", "12 oak st apt 3"])).tolist()
    ['12 oak st apt 3', '12 oak st apt 3']
    """
    t = (s.astype("string").str.lower().str.replace(r"[.,#]", " ", regex=True)
         .str.replace(r"\s+", " ", regex=True).str.strip())
    for full, ab in _STREET_ABBR.items():
        t = t.str.replace(rf"\b{full}\b", ab, regex=True)
    return t.astype(object).where(t.notna(), None)


def flag_test_accounts(df: pd.DataFrame, patterns: list[str], staff_domains: list[str]) -> pd.DataFrame:
    """Set ``is_test`` (test/QA accounts by e-mail pattern or name) and ``is_staff`` (company e-mail domains).

    >>> out = flag_test_accounts(pd.DataFrame({"email": ["test1@shop.com", "ann@x.com"]}),
    ...                          [r"^test\\d*@"], ["shop.com"])
    >>> out[["is_test", "is_staff"]].values.tolist()
    [[True, True], [False, False]]
    """
    email = df["email"].astype("string").str.lower()
    is_test = pd.Series(False, index=df.index)
    for p in patterns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # patterns may contain groups; we only test for a match
            is_test |= email.str.contains(p, regex=True).fillna(False).astype(bool)
    names = (df.get("first_name", pd.Series(index=df.index, dtype="string")).astype("string").fillna("") + " " +
             df.get("last_name", pd.Series(index=df.index, dtype="string")).astype("string").fillna("")).str.lower()
    is_test |= names.str.contains(r"^(?:test|qa|demo|dummy)\b|\btest user\b|do not use|测试|勿用|演示",
                                  regex=True).fillna(False).astype(bool)
    is_staff = pd.Series(False, index=df.index)
    for d in staff_domains:
        is_staff |= email.str.endswith("@" + d.lower().lstrip("@")).fillna(False).astype(bool)
    out = df.copy()
    out["is_test"] = out.get("is_test", False)
    out["is_test"] = out["is_test"].fillna(False).astype(bool) | is_test
    out["is_staff"] = out.get("is_staff", False)
    out["is_staff"] = out["is_staff"].fillna(False).astype(bool) | is_staff
    return out


def clean_customer_records(df: pd.DataFrame, region: str = "US", as_of=None, test_patterns=(),
                           staff_domains=()) -> pd.DataFrame:
    """Standardise every field of the source customer records (no rows dropped).

    Adds ``email_valid`` and ``phone_valid`` (False when a value was present but invalid, NULL when absent), and for
    sources with a WeChat openid or app push token ``wechat_openid_valid`` / ``push_token_valid`` with the reason of
    each invalid one in ``_wechat_openid_problem`` / ``_push_token_problem`` (the build lists them in
    ``value_issues``).

    >>> out = clean_customer_records(pd.DataFrame({"customer_id": ["1"], "full_name": ["LEE, Ann"],
    ...                                            "email": ["bad@"], "phone": ["(212) 555-0142"]}))
    >>> out[["first_name", "last_name", "email", "email_valid", "phone"]].values.tolist()
    [['Ann', 'Lee', None, False, '+12125550142']]
    """
    out = df.copy()
    if "full_name" in out.columns:
        split = split_full_name(out["full_name"])
        for c in ("first_name", "last_name"):
            out[c] = out[c].where(out[c].notna(), split[c]) if c in out.columns else split[c]
        out = out.drop(columns="full_name")
    for c in ("first_name", "last_name", "city"):
        if c in out.columns:
            out[c] = standardise_names(out[c])
    if "street" in out.columns:
        out["street"] = standardise_names(out["street"])
    had_email = out["email"].notna() if "email" in out.columns else pd.Series(False, index=out.index)
    out["email"] = standardise_emails(out["email"]) if "email" in out.columns else None
    out["email_valid"] = np.where(had_email, pd.notna(out["email"]), None)
    had_phone = out["phone"].notna() if "phone" in out.columns else pd.Series(False, index=out.index)
    out["phone"] = standardise_phones(out["phone"], region) if "phone" in out.columns else None
    out["phone_valid"] = np.where(had_phone, pd.notna(out["phone"]), None)
    for col, kind, std in (("wechat_openid", "openid", standardise_openids),
                           ("push_token", "push token", standardise_push_tokens)):
        if col in out.columns:                 # a source without the column: no contact point (unknown → none)
            raw = out[col]
            out[f"_{col}_problem"] = identifier_problems(raw, kind)
            out[col] = std(raw)
            given = out[f"_{col}_problem"].notna() | out[col].notna()
            out[f"{col}_valid"] = np.where(given, out[col].notna(), None)
    if "gender" in out.columns:
        out["gender"] = standardise_gender(out["gender"])
    if "postal_code" in out.columns:
        out["postal_code"] = standardise_postal_codes(out["postal_code"], region)
    if "birth_date" in out.columns:
        out["birth_date"] = plausible_birth_dates(out["birth_date"], as_of)
    out = flag_test_accounts(out, list(test_patterns), list(staff_domains))
    return out


# ------------------------------------------------------------------------------------------------ dates
_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y%m%d",
                 "%Y年%m月%d日", "%Y.%m.%d", "%d.%m.%Y", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y"]


def parse_dates(s: pd.Series, date_format: str | None = None, day_first: bool | None = None) -> pd.Series:
    """Dates written in mixed formats → datetime (NaT where unreadable). The given ``date_format`` is tried first,
    then ISO, Chinese and dotted forms, then slash dates day- or month-first (decided by the data when not given:
    a first number above 12 means day-first), then Excel serial day numbers.

    >>> parse_dates(pd.Series(["2024-03-05", "05/03/2024", "2024年3月5日", "31/12/2024", "45356",
    ...                        "soon"])).dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-05', '2024-03-05', '2024-03-05', '2024-12-31', '2024-03-05', nan]
    """
    t = s.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    slash = t.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{2,4}( .*)?").fillna(False).astype(bool)
    if day_first is None:
        first = pd.to_numeric(t[slash].str.split("/").str[0], errors="coerce")
        second = pd.to_numeric(t[slash].str.split("/").str[1], errors="coerce")
        day_first = bool((first > 12).sum() >= (second > 12).sum())
    slash_fmts = ["%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y"] if day_first else \
        ["%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y"]
    fmts = ([date_format] if date_format else []) + _DATE_FORMATS + slash_fmts + \
        [f + " %H:%M" for f in slash_fmts[:2]] + [f + " %H:%M:%S" for f in slash_fmts[:2]]
    for f in fmts:
        todo = out.isna() & t.notna()
        if not todo.any():
            break
        out[todo] = pd.to_datetime(t[todo], format=f, errors="coerce")
    serial = out.isna() & t.str.fullmatch(r"\d{5}(\.\d+)?").fillna(False).astype(bool)
    if serial.any():
        out[serial] = pd.Timestamp("1899-12-30") + pd.to_timedelta(t[serial].astype(float).round(), unit="D")
    return out


def _as_text(x):
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return None
    if isinstance(x, pd.Timestamp) and x == x.normalize():
        return x.date().isoformat()
    return x.isoformat() if hasattr(x, "isoformat") else str(x)


def cleaning_examples(before: pd.DataFrame, after: pd.DataFrame, columns: list[str] | None = None,
                      n: int = 3) -> pd.DataFrame:
    """What cleaning changed, column by column: how many values changed or were emptied, and a few examples
    (before → after, e-mails and phones masked). ``before`` and ``after`` have the same rows in the same order.

    >>> b = pd.DataFrame({"email": [" A@X.COM", "bad@", "c@x.com"]})
    >>> cleaning_examples(b, pd.DataFrame({"email": ["a@x.com", None, "c@x.com"]}))[
    ...     ["column", "changed", "emptied"]].values.tolist()
    [['email', 2, 1]]
    """
    cols = columns or [c for c in before.columns if c in after.columns]
    rows = []
    for c in cols:
        if c not in before.columns or c not in after.columns:
            continue
        b = before[c].reset_index(drop=True).map(_as_text)
        a = after[c].reset_index(drop=True).map(_as_text)
        changed = (b != a) & ~(b.isna() & a.isna())
        emptied = b.notna() & a.isna()
        ex = pd.DataFrame({"before": b[changed], "after": a[changed]}).drop_duplicates().head(n)
        masked = mask_people(ex.rename(columns={"before": c, "after": c + "_"}))
        rows.append(dict(column=c, changed=int(changed.sum()), emptied=int(emptied.sum()),
                         examples="; ".join(f"{x!s} → {y!s}" for x, y in zip(masked[c], masked[c + "_"]))))
    return pd.DataFrame(rows, columns=["column", "changed", "emptied", "examples"])


# ------------------------------------------------------------------------------------------------ validation rules
_NAME_RE = re.compile(r"^[^\d@#$%^&*_=+<>?/\\|{}\[\]~]+$")


def _valid_name(s: pd.Series) -> pd.Series:
    t = s.astype("string")
    ok = t.str.match(_NAME_RE).fillna(False).astype(bool)
    ascii_caps = t.str.isascii().fillna(False).astype(bool) & (t.str.len() > 1) & \
        ((t.str.upper() == t) | (t.str.lower() == t)).fillna(False).astype(bool)
    return ok & ~ascii_caps & (t.str.strip() == t).fillna(False).astype(bool)


def _valid_phone(s: pd.Series) -> pd.Series:
    return s.astype("string").str.fullmatch(r"\+[1-9]\d{6,14}").fillna(False).astype(bool)


def _valid_postal(region: str):
    pat = {"US": r"\d{5}", "CN": r"\d{6}"}.get(region.upper(), r"[0-9A-Za-z][0-9A-Za-z\- ]{1,9}")
    return lambda s: s.astype("string").str.fullmatch(pat).fillna(False).astype(bool)


def _valid_birth(as_of):
    ref = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    def f(s):
        d = pd.to_datetime(s, errors="coerce")
        return ((d >= ref - pd.DateOffset(years=110)) & (d <= ref - pd.DateOffset(years=14))).fillna(False)
    return f


def _not_future(as_of):
    ref = (pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()) + pd.Timedelta(days=1)
    return lambda s: (pd.to_datetime(s, errors="coerce") < ref).fillna(False)


def _in(values):
    vals = sorted(values)
    return lambda s: s.astype(object).isin(vals)


def rules_for(table: str, region: str = "US", as_of=None) -> dict:
    """The validation rules (数据校验规则) of a table: column → (rule in words, test returning True where valid).

    >>> sorted(rules_for("orders"))
    ['channel', 'order_ts', 'status']
    """
    from .schema import ENUMS
    r = {
        "customers": {
            "email": ("valid syntax, trimmed, lower case",
                      lambda s: s.astype("string").str.match(_EMAIL_RE).fillna(False).astype(bool)),
            "phone": ("E.164 (+<country><number>)", _valid_phone),
            "first_name": ("letters only, no stray spaces, not ALL CAPS / all lower case", _valid_name),
            "last_name": ("letters only, no stray spaces, not ALL CAPS / all lower case", _valid_name),
            "gender": ("M or F", _in({"M", "F"})),
            "birth_date": ("age between 14 and 110 at the analysis date", _valid_birth(as_of)),
            "postal_code": (f"postal code format of {region}", _valid_postal(region)),
            "signup_date": ("not in the future", _not_future(as_of)),
        },
        "orders": {
            "order_ts": ("not in the future", _not_future(as_of)),
            "status": ("completed / cancelled / returned", _in(set(ENUMS["order_status"]))),
            "channel": ("a known sales channel", _in(set(ENUMS["sales_channel"]))),
        },
        "consents": {
            "channel": ("email / sms / phone / mail", _in(set(ENUMS["consent_channel"]))),
            "status": ("opt_in / opt_out", _in(set(ENUMS["consent_status"]))),
            "updated_at": ("not in the future", _not_future(as_of)),
        },
    }
    return r.get(table, {})


RULES = rules_for("customers")      # the customer rules with the default region (for reading)

# the columns each table's quality report covers: (key, date column for freshness, columns, columns whose
# uniqueness matters)
QUALITY_COLUMNS: dict[str, tuple[str, str, list[str], list[str]]] = {
    "customers": ("customer_id", "signup_date",
                  ["customer_id", "first_name", "last_name", "email", "phone", "gender", "birth_date", "street",
                   "postal_code", "city", "signup_date"], ["customer_id", "email", "phone"]),
    "orders": ("order_id", "order_ts", ["order_id", "customer_id", "order_ts", "channel", "net_amount", "status"],
               ["order_id"]),
    "consents": (None, "updated_at", ["customer_id", "channel", "status", "updated_at"], []),
}
SCORE_COLUMNS = {"customers": ["first_name", "last_name", "email", "phone", "birth_date", "postal_code", "gender"],
                 "orders": ["customer_id", "order_ts", "channel", "net_amount", "status"],
                 "consents": ["customer_id", "channel", "status", "updated_at"]}


def validation_rules(df: pd.DataFrame, table: str = "customers", region: str = "US", as_of=None) -> pd.DataFrame:
    """Check each filled value against its column's rule: one row per rule with the values checked, the failures
    and their share.

    >>> validation_rules(pd.DataFrame({"email": ["a@b.com", "A@B.COM ", None]}))[
    ...     ["column", "checked", "failed"]].values.tolist()
    [['email', 2, 1]]
    """
    rows = []
    for col, (text, test) in rules_for(table, region, as_of).items():
        if col not in df.columns:
            continue
        s = df[col]
        filled = s.notna() & (s.astype("string").str.strip().fillna("") != "")
        if not filled.any():
            rows.append(dict(column=col, rule=text, checked=0, failed=0, failed_share=np.nan))
            continue
        ok = test(s[filled]).astype(bool)
        rows.append(dict(column=col, rule=text, checked=int(filled.sum()), failed=int((~ok).sum()),
                         failed_share=float((~ok).mean())))
    return pd.DataFrame(rows, columns=["column", "rule", "checked", "failed", "failed_share"])


# ------------------------------------------------------------------------------------------------ quality
def quality_report(df: pd.DataFrame, table: str, key: str | None = None, date_col: str | None = None,
                   as_of=None, stage: str = "", region: str = "US", columns: list[str] | None = None,
                   unique: list[str] | None = None) -> pd.DataFrame:
    """Data quality per column (数据质量报告):

    * completeness — share of rows with a value;
    * validity — share of the filled values that pass the column's validation rule (``rules_for``; empty where the
      column has no rule);
    * uniqueness — share of distinct values among the filled ones (for the key and contact columns: duplicates
      lower it);
    * freshness — days from the newest date (``date_col``) to ``as_of``.

    ``columns``/``key``/``date_col``/``unique`` default to ``QUALITY_COLUMNS[table]``.

    >>> q = quality_report(pd.DataFrame({"email": ["a@b.com", "bad", None]}), "customers")
    >>> q[["column", "completeness", "validity"]].round(2).values.tolist()
    [['email', 0.67, 0.5]]
    """
    dk, dd, dcols, duniq = QUALITY_COLUMNS.get(table, (None, None, list(df.columns), []))
    key = key if key is not None else dk
    date_col = date_col if date_col is not None else dd
    cols = [c for c in (columns or dcols) if c in df.columns]
    uniq_cols = set(unique if unique is not None else duniq) | ({key} if key else set())
    rules = rules_for(table, region, as_of)
    rows = []
    n = len(df)
    ref = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    for c in cols:
        s = df[c]
        filled = s.notna() & (s.astype("string").str.strip().fillna("") != "")
        comp = float(filled.mean()) if n else np.nan
        val = np.nan
        if c in rules and filled.any():
            val = float(rules[c][1](s[filled]).astype(bool).mean())
        uniq = float(s[filled].nunique() / filled.sum()) if (c in uniq_cols and filled.any()) else np.nan
        fresh = np.nan
        if c == date_col and filled.any():
            d = pd.to_datetime(s[filled], errors="coerce")
            d = d[d <= ref + pd.Timedelta(days=1)]
            fresh = float((ref - d.max()).days) if len(d) else np.nan
        rows.append(dict(stage=stage, table=table, column=c, rows=n, completeness=comp, validity=val,
                         uniqueness=uniq, freshness_days=fresh))
    return pd.DataFrame(rows, columns=["stage", "table", "column", "rows", "completeness", "validity", "uniqueness",
                                       "freshness_days"])


def _rules_sql(table: str, as_of) -> dict[str, str]:
    """The validation rules of ``rules_for`` that tables of transactions need, as SQL conditions on ``{c}``."""
    from .schema import ENUMS
    ref = ((pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize())
           + pd.Timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    inlist = lambda enum: "{c} IN (" + ", ".join(f"'{v}'" for v in ENUMS[enum]) + ")"   # noqa: E731
    return {"orders": {"order_ts": f"{{c}} < TIMESTAMP '{ref}'", "status": inlist("order_status"),
                       "channel": inlist("sales_channel")},
            "consents": {"channel": inlist("consent_channel"), "status": inlist("consent_status"),
                         "updated_at": f"{{c}} < TIMESTAMP '{ref}'"}}.get(table, {})


def quality_report_sql(con, relation: str, table: str, as_of=None, stage: str = "") -> pd.DataFrame:
    """``quality_report`` computed inside DuckDB for a table of transactions (``relation`` is a table name or a
    query), so millions of orders never travel to pandas. Same columns and definitions as ``quality_report``.

    >>> import duckdb
    >>> con = duckdb.connect()
    >>> q = quality_report_sql(con, "SELECT * FROM (VALUES ('1', 'completed'), ('1', 'lost'), ('2', NULL)) "
    ...                        "t(order_id, status)", "orders")
    >>> q[["column", "completeness", "validity", "uniqueness"]].round(3).values.tolist()
    [['order_id', 1.0, nan, 0.667], ['status', 0.667, 0.5, nan]]
    """
    key, date_col, cols, uniq = QUALITY_COLUMNS[table]
    have = [r[0] for r in con.execute(f"DESCRIBE ({relation})").fetchall()]
    cols = [c for c in cols if c in have]
    rules = _rules_sql(table, as_of)
    ref = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    parts = ["count(*) AS n"]
    for k, c in enumerate(cols):
        q = f'"{c}"'
        filled = f"({q} IS NOT NULL AND trim(CAST({q} AS VARCHAR)) <> '')"
        parts.append(f"count(*) FILTER (WHERE {filled}) AS f{k}")
        if c in rules:
            parts.append(f"count(*) FILTER (WHERE {filled} AND coalesce({rules[c].format(c=q)}, false)) AS v{k}")
        if c in set(uniq) | {key}:
            parts.append(f"count(DISTINCT {q}) FILTER (WHERE {filled}) AS u{k}")
        if c == date_col:
            parts.append(f"max({q}) FILTER (WHERE {q} < TIMESTAMP '{(ref + pd.Timedelta(days=1)):%Y-%m-%d}') AS d{k}")
    r = con.execute(f"SELECT {', '.join(parts)} FROM ({relation})").df().iloc[0]
    n = int(r["n"])
    rows = []
    for k, c in enumerate(cols):
        f = int(r[f"f{k}"])
        val = float(r[f"v{k}"] / f) if (f"v{k}" in r and f) else np.nan
        uni = float(r[f"u{k}"] / f) if (f"u{k}" in r and f) else np.nan
        fresh = float((ref - pd.Timestamp(r[f"d{k}"])).days) if (f"d{k}" in r and pd.notna(r[f"d{k}"])) else np.nan
        rows.append(dict(stage=stage, table=table, column=c, rows=n, completeness=f / n if n else np.nan,
                         validity=val, uniqueness=uni, freshness_days=fresh))
    return pd.DataFrame(rows, columns=["stage", "table", "column", "rows", "completeness", "validity", "uniqueness",
                                       "freshness_days"])


def quality_score(report: pd.DataFrame, columns: list[str] | None = None) -> float:
    """One number 0–100: the mean over the chosen columns of completeness × validity (validity 1 where no rule).

    >>> quality_score(pd.DataFrame({"column": ["a", "b"], "completeness": [1.0, 0.5], "validity": [0.8, None]}))
    65.0
    """
    r = report if columns is None else report[report["column"].isin(columns)]
    if r.empty:
        return float("nan")
    v = r["validity"].astype(float).fillna(1.0)
    return round(float(100 * (r["completeness"].astype(float) * v).mean()), 1)


def quality_summary(report: pd.DataFrame) -> pd.DataFrame:
    """Quality score per table and stage (before/after cleaning), over each table's score columns, with the
    table's freshness (days from its newest date to the analysis date).

    >>> rep = pd.DataFrame({"stage": ["before", "after"], "table": ["orders"] * 2, "column": ["order_ts"] * 2,
    ...                     "completeness": [0.9, 1.0], "validity": [1.0, 1.0]})
    >>> quality_summary(rep)["score"].tolist()
    [100.0, 90.0]
    """
    rows = []
    for (table, stage), r in report.groupby(["table", "stage"], sort=False):
        rows.append(dict(table=table, stage=stage, score=quality_score(r, SCORE_COLUMNS.get(table)),
                         freshness_days=r["freshness_days"].min() if "freshness_days" in r else np.nan))
    return pd.DataFrame(rows, columns=["table", "stage", "score", "freshness_days"]).sort_values(
        ["table", "stage"]).reset_index(drop=True)
