"""Data cleaning (数据清洗): standardise names, e-mails, phones, genders, dates and postal codes; validation
rules; and the data-quality report (completeness, validity, uniqueness, freshness) before and after cleaning.

Functions take and return DataFrames (or Series) and never drop rows: an invalid value becomes NULL with a flag,
so the quality report can count it.

Example
-------
>>> standardise_emails(pd.Series([" Ann.Lee@Mail.COM ", "bad@", None])).tolist()
['ann.lee@mail.com', None, None]
>>> standardise_phones(pd.Series(["(212) 555-0142", "12"]), region="US").tolist()
['+12125550142', None]
"""
from __future__ import annotations

import re
import unicodedata
import warnings

import numpy as np
import pandas as pd

__all__ = [
    "standardise_emails", "email_is_valid", "standardise_phones", "standardise_names", "split_full_name",
    "standardise_gender", "standardise_postal_codes", "plausible_birth_dates", "clean_customer_records",
    "flag_test_accounts", "quality_report", "quality_score", "normalise_street",
]

_EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@"
                       r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


def email_is_valid(s: pd.Series) -> pd.Series:
    """True where the text is a syntactically valid e-mail address (after trimming and lower-casing)."""
    t = s.astype("string").str.strip().str.lower()
    return t.str.match(_EMAIL_RE).fillna(False).astype(bool)


def standardise_emails(s: pd.Series) -> pd.Series:
    """Trim, lower-case and validate e-mails; invalid ones become NULL (count them with ``email_is_valid``)."""
    t = s.astype("string").str.strip().str.lower()
    ok = t.str.match(_EMAIL_RE).fillna(False).astype(bool)
    return t.where(ok).astype(object).where(ok, None)


def standardise_phones(s: pd.Series, region: str = "US") -> pd.Series:
    """Phone numbers to E.164 (+<country><number>) with ``phonenumbers``; invalid ones become NULL.

    Each distinct value is parsed once, so a million rows with repeated numbers stay fast.
    """
    import phonenumbers

    t = s.astype("string").str.strip()
    uniq = pd.unique(t.dropna().to_numpy())
    out = {}
    for raw in uniq:
        x = str(raw)
        digits = re.sub(r"[^\d+]", "", x)
        if x.startswith("00"):
            digits = "+" + digits[2:]
        try:
            num = phonenumbers.parse(digits if digits.startswith("+") else x, region)
            out[raw] = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164) \
                if phonenumbers.is_valid_number(num) else None
        except phonenumbers.NumberParseException:
            out[raw] = None
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
    """Trim, collapse spaces, normalise Unicode width, and fix ALL CAPS / all lower case (Latin names)."""
    t = s.astype("string").str.strip()
    t = t.map(lambda x: unicodedata.normalize("NFKC", x) if isinstance(x, str) else x)
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
            first.append(None); last.append(None); continue
        x = x.strip()
        if re.search(r"[\u4e00-\u9fff]", x) and " " not in x:
            k = 2 if x[:2] in _CN_COMPOUND and len(x) > 2 else 1
            last.append(x[:k]); first.append(x[k:] or None)
        elif "," in x:
            a, b = x.split(",", 1)
            last.append(a.strip()); first.append(b.strip() or None)
        elif " " in x:
            a, b = x.rsplit(" ", 1)
            first.append(a.strip()); last.append(b.strip())
        else:
            first.append(None); last.append(x)
    return pd.DataFrame({"first_name": first, "last_name": last}, index=s.index)


def standardise_gender(s: pd.Series) -> pd.Series:
    """Map gender codes and titles (m, Male, Mr, 男 / f, Female, Mrs, Ms, 女) to 'M' / 'F'; others to NULL."""
    from .schema import SYNONYMS
    syn = SYNONYMS["gender"]
    t = s.astype("string").str.strip().str.lower().str.rstrip(".")
    out = t.map(lambda x: syn.get(x) if isinstance(x, str) else None)
    return out.astype(object).where(out.notna(), None)


def standardise_postal_codes(s: pd.Series, region: str = "US") -> pd.Series:
    """Remove spaces; restore leading zeros that spreadsheets dropped (US 5 digits, CN 6 digits)."""
    t = s.astype("string").str.strip().str.replace(r"\s+", "", regex=True).str.replace(r"\.0$", "", regex=True)
    width = {"US": 5, "CN": 6}.get(region.upper())
    if width:
        short = t.str.fullmatch(r"\d{3,%d}" % (width - 1)).fillna(False).astype(bool)
        t = t.where(~short, t.str.zfill(width))
        t = t.where(t.str.fullmatch(r"\d{%d}(-\d{4})?" % width).fillna(False).astype(bool) | t.isna())
        if region.upper() == "US":
            t = t.str.slice(0, 5)
    out = t.astype(object)
    return out.where(pd.notna(out) & (out != ""), None)


def plausible_birth_dates(s: pd.Series, as_of=None, min_age: int = 14, max_age: int = 110) -> pd.Series:
    """Birth dates outside [as_of − max_age, as_of − min_age] become NULL (placeholders like 1900-01-01)."""
    d = pd.to_datetime(s, errors="coerce")
    ref = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    ok = (d >= ref - pd.DateOffset(years=max_age)) & (d <= ref - pd.DateOffset(years=min_age))
    return d.where(ok).dt.date.astype(object).where(ok, None)


_STREET_ABBR = {"street": "st", "avenue": "ave", "road": "rd", "drive": "dr", "lane": "ln", "boulevard": "blvd",
                "court": "ct", "place": "pl", "square": "sq", "apartment": "apt", "north": "n", "south": "s",
                "east": "e", "west": "w"}


def normalise_street(s: pd.Series) -> pd.Series:
    """A comparison key for addresses: lower case, no punctuation, standard abbreviations (Street → st)."""
    t = s.astype("string").str.lower().str.replace(r"[.,#]", " ", regex=True).str.replace(r"\s+", " ", regex=True).str.strip()
    for full, ab in _STREET_ABBR.items():
        t = t.str.replace(rf"\b{full}\b", ab, regex=True)
    return t.astype(object).where(t.notna(), None)


def flag_test_accounts(df: pd.DataFrame, patterns: list[str], staff_domains: list[str]) -> pd.DataFrame:
    """Set ``is_test`` (test/QA accounts by e-mail pattern or name) and ``is_staff`` (company e-mail domains)."""
    email = df["email"].astype("string").str.lower()
    is_test = pd.Series(False, index=df.index)
    for p in patterns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # patterns may contain groups; we only test for a match
            is_test |= email.str.contains(p, regex=True).fillna(False).astype(bool)
    names = (df.get("first_name", pd.Series(index=df.index, dtype="string")).astype("string").fillna("") + " " +
             df.get("last_name", pd.Series(index=df.index, dtype="string")).astype("string").fillna("")).str.lower()
    is_test |= names.str.contains(r"^(?:test|qa|demo|dummy)\b|\btest user\b|do not use|测试|勿用|演示", regex=True).fillna(False).astype(bool)
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

    Adds ``email_valid`` and ``phone_valid`` (False when a value was present but invalid, NULL when absent).
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
    if "gender" in out.columns:
        out["gender"] = standardise_gender(out["gender"])
    if "postal_code" in out.columns:
        out["postal_code"] = standardise_postal_codes(out["postal_code"], region)
    if "birth_date" in out.columns:
        out["birth_date"] = plausible_birth_dates(out["birth_date"], as_of)
    out = flag_test_accounts(out, list(test_patterns), list(staff_domains))
    return out


# ------------------------------------------------------------------------------------------------ quality
_VALIDATORS = {
    "email": lambda s: email_is_valid(s),
    "phone": lambda s: s.astype("string").str.replace(r"[^\d]", "", regex=True).str.len().between(7, 15).fillna(False),
    "birth_date": lambda s: pd.to_datetime(s, errors="coerce").between(pd.Timestamp("1910-01-01"), pd.Timestamp.today()),
    "postal_code": lambda s: s.astype("string").str.strip().str.fullmatch(r"[0-9A-Za-z\- ]{3,10}").fillna(False),
    "gender": lambda s: s.astype("string").str.strip().str.upper().isin(["M", "F"]),
}


def quality_report(df: pd.DataFrame, table: str, key: str | None = None, date_col: str | None = None,
                   as_of=None, stage: str = "") -> pd.DataFrame:
    """Per column: completeness (non-empty share), validity (share of non-empty values that pass the column's rule),
    uniqueness (distinct share, for the key) and freshness (days from the newest date to ``as_of``).

    >>> q = quality_report(pd.DataFrame({"email": ["a@b.com", "bad", None]}), "customers")
    >>> q[["column", "completeness", "validity"]].round(2).values.tolist()
    [['email', 0.67, 0.5]]
    """
    rows = []
    n = len(df)
    ref = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.today().normalize()
    for c in df.columns:
        s = df[c]
        filled = s.notna() & (s.astype("string").str.strip().fillna("") != "")
        comp = float(filled.mean()) if n else np.nan
        val = np.nan
        if c in _VALIDATORS and filled.any():
            val = float(_VALIDATORS[c](s[filled]).astype(bool).mean())
        uniq = float(s[filled].nunique() / filled.sum()) if (c == key and filled.any()) else np.nan
        fresh = np.nan
        if c == date_col and filled.any():
            fresh = float((ref - pd.to_datetime(s[filled], errors="coerce").max()).days)
        rows.append(dict(stage=stage, table=table, column=c, rows=n, completeness=comp, validity=val,
                         uniqueness=uniq, freshness_days=fresh))
    return pd.DataFrame(rows)


def quality_score(report: pd.DataFrame, columns: list[str] | None = None) -> float:
    """One number 0–100: the mean over the chosen columns of completeness × validity (validity 1 where no rule)."""
    r = report if columns is None else report[report["column"].isin(columns)]
    if r.empty:
        return float("nan")
    v = r["validity"].fillna(1.0)
    return float(100 * (r["completeness"] * v).mean())
