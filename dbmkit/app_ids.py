"""App contact points (Chinese market): whether a WeChat openid or an app push token is one, and why not.

One concept: the validity of the identifiers the ``wechat`` and ``app_push`` channels send to — cleaning
(``dbmkit.clean.clean_customer_records``) keeps the valid ones, the build lists the others in ``value_issues`` with
the reason, and the send file (``dbmkit.campaign.export``) writes a row only with a valid one.

>>> standardise_openids(pd.Series([" oUpF8uMuAJO_M2pxb1Q9zNjWeS6o ", "未绑定"])).tolist()
['oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', None]
"""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

__all__ = ["standardise_openids", "standardise_push_tokens", "identifier_problems"]


# A WeChat openid (微信OpenID) identifies a person to one service account or mini-program: 28 characters of
# letters, digits, "-" and "_" in practice (``oUpF8uMuAJO_M2pxb1Q9zNjWeS6o``); 16–64 are accepted. An app push
# token is a device token or push id: an APNs token (64 hex digits, sometimes written ``<740f4707 bebcf74f …>``),
# an FCM registration token (≈ 150 characters with ``:`` and ``-``), a JPush/Getui/vendor push id (16–40 letters and
# digits); 16–512 characters of letters, digits and ``- _ : .``, starting with a letter or digit (so no valid value
# can start like a spreadsheet formula). An openid is case-sensitive and kept as written; a hex APNs token is lower
# case.
_OPENID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{15,63}$")
_PUSH_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.\-]{15,511}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]{7,20}$")
_PLACEHOLDER = {"test", "unknown", "none", "null", "nil", "undefined", "na", "n/a", "0", "-", "无", "未知", "暂无",
                "未绑定", "未关注", "未授权", "未开启"}


def _identifier_problem(v: str, kind: str) -> str | None:
    """Why ``v`` (trimmed, not empty) is no ``kind`` ("openid" or "push token"), or None when it is one."""
    ok = _OPENID_RE if kind == "openid" else _PUSH_RE
    if ok.match(v):
        return None
    what = "a WeChat openid" if kind == "openid" else "an app push token"
    if v.casefold() in _PLACEHOLDER:
        return f"a placeholder ('{v}'), not {what}"
    if "@" in v:
        return f"an e-mail address, not {what}"
    if _PHONE_LIKE.match(v):
        return f"a phone number, not {what}"
    if re.search(r"\s", v):
        return f"contains spaces: not {what}"
    n, hi = 16, (64 if kind == "openid" else 512)
    if len(v) < n:
        return f"too short for {what} ({len(v)} characters, at least {n})"
    if len(v) > hi:
        return f"too long for {what} ({len(v)} characters, at most {hi})"
    allowed = "letters, digits, - and _" if kind == "openid" else "letters, digits, - _ : ."
    return f"not {what} (only {allowed}, starting with a letter or digit)"


def _prepare_identifier(s: pd.Series, kind: str) -> list:
    """The values as text (NFKC, trimmed; empty or whitespace → None); an APNs token's brackets and spaces removed."""
    out = []
    for x in s.astype(object).where(s.notna(), None):
        x = None if x is None else unicodedata.normalize("NFKC", str(x)).strip() or None
        if x is not None and kind == "push token":
            y = x[1:-1].strip() if x.startswith("<") and x.endswith(">") else x
            z = re.sub(r"\s+", "", y)
            x = z.lower() if re.fullmatch(r"[0-9A-Fa-f]{64}", z) else y
        out.append(x)
    return out


def identifier_problems(s: pd.Series, kind: str) -> pd.Series:
    """Per value, why it cannot be used as a ``kind`` ("openid" or "push token") — None for a valid or a missing
    value. The reason names what the value looks like (an e-mail, a phone number, a placeholder, too short …).

    >>> p = identifier_problems(pd.Series(["oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "ann@x.com", "13912345678", "abc", None]),
    ...                         "openid")
    >>> p[0], p[1], p[2], p[4]
    (None, 'an e-mail address, not a WeChat openid', 'a phone number, not a WeChat openid', None)
    >>> p[3]
    'too short for a WeChat openid (3 characters, at least 16)'
    """
    if kind not in ("openid", "push token"):
        raise ValueError("kind is 'openid' or 'push token'")
    t = _prepare_identifier(s, kind)
    return pd.Series([None if x is None else _identifier_problem(x, kind) for x in t], index=s.index, dtype=object)


def standardise_openids(s: pd.Series) -> pd.Series:
    """WeChat openids trimmed (full-width characters folded); empty, whitespace and invalid values become NULL —
    the person then has no WeChat contact point (``identifier_problems`` says why).

    >>> standardise_openids(pd.Series([" oUpF8uMuAJO_M2pxb1Q9zNjWeS6o ", "   ", "not an openid", None])).tolist()
    ['oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', None, None, None]
    """
    t = _prepare_identifier(s, "openid")
    return pd.Series([x if x is not None and _OPENID_RE.match(x) else None for x in t], index=s.index, dtype=object)


def standardise_push_tokens(s: pd.Series) -> pd.Series:
    """App push tokens trimmed; an APNs token written with brackets and spaces joined and lower-cased; empty,
    whitespace and invalid values become NULL (no app push contact point).

    >>> standardise_push_tokens(pd.Series(["<740F4707 BEBCF74F 9B7C25D4 8E335894 5F6AA01D A5DDB387 462C7EAF 61BB78AD>",
    ...                                    "1a0018970a8e4f7b9c0", "x"])).tolist()
    ['740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad', '1a0018970a8e4f7b9c0', None]
    """
    t = _prepare_identifier(s, "push token")
    return pd.Series([x if x is not None and _PUSH_RE.match(x) else None for x in t], index=s.index, dtype=object)
