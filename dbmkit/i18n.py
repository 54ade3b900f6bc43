"""Labels in English and Chinese for charts, tables and the report (``language: en | zh`` in the config).

``t(key)`` returns the label in the current language; unknown keys come back unchanged, so a chart never fails
for want of a translation. Modules add their labels with ``add({...})`` at import time.

>>> set_language("zh"); t("customers")
'客户'
>>> set_language("en"); t("customers")
'Customers'

Money and shares are written one way everywhere — tables, key numbers, chart labels — by :func:`money` and
:func:`percent`: the sign before the currency symbol, a real minus sign (U+2212), k/M (万/亿 for a Chinese page in
yuan), and "–" where there is no number.
"""
from __future__ import annotations

import datetime as dt
import math
import os
from functools import lru_cache
from pathlib import Path

__all__ = ["t", "add", "set_language", "get_language", "LABELS", "money", "percent", "currency_symbol",
           "MINUS", "NO_VALUE", "pick", "say", "column_label", "value_label", "date_text", "catalogue"]

_STATE = {"lang": os.environ.get("DBMKIT_LANGUAGE", "en")}

LABELS: dict[str, tuple[str, str]] = {
    # key: (English, 中文)
    "customers": ("Customers", "客户"),
    "revenue": ("Revenue", "收入"),
    "profit": ("Profit", "利润"),
    "margin": ("Margin", "毛利"),
    "orders": ("Orders", "订单"),
    "month": ("Month", "月份"),
    "share": ("Share", "占比"),
    "count": ("Count", "数量"),
    "segment": ("Segment", "细分"),
    "channel": ("Channel", "渠道"),
    "decile": ("Decile", "十分位"),
    "response_rate": ("Response rate", "响应率"),
    "treatment": ("Treatment", "目标组"),
    "control": ("Control", "对照组"),
    "lift": ("Lift", "提升"),
    "new": ("New", "新客户"),
    "active": ("Active (on rhythm)", "活跃期"),            # the lifecycle stage; an active customer: "active_customers"
    "lapsed": ("Lapsed", "沉睡"),
    "lost": ("Lost", "流失"),
    "at_risk": ("At risk", "有流失风险"),
    "store": ("Store", "门店"),
    "web": ("Web", "网站"),
    "app": ("App", "App"),
    "catalog": ("Catalogue/phone", "目录/电话"),
    "email": ("E-mail", "邮件"),
    "sms": ("SMS", "短信"),
    "mail": ("Direct mail", "直邮"),
    "phone": ("Phone", "电话"),
    "wechat": ("WeChat", "微信"),                        # service-account / mini-program subscription messages
    "app_push": ("App push", "App推送"),
    # report
    "report_title": ("Database marketing report", "数据库营销报告"),
    "key_numbers": ("Key numbers", "关键指标"),
    "chapters": ("Chapters", "章节"),
    "downloads": ("Downloads", "下载"),
    "analysis_date": ("Analysis date", "分析日期"),
    "generated": ("Generated", "生成时间"),
    "status_ok": ("ran", "已运行"),
    "status_failed": ("failed", "失败"),
    "status_skipped": ("skipped", "已跳过"),
    "campaign_list": ("Campaign list (send file)", "营销名单（发送文件）"),
    "kpi_file": ("All key numbers (JSON)", "全部关键指标 (JSON)"),
    "previous": ("previous", "上一章"),
    "next": ("next", "下一章"),
    "index": ("index", "目录"),
    "back_to_index": ("Back to the report index", "返回报告目录"),
    "notes": ("Notes", "说明"),
}


def set_language(lang: str) -> None:
    if lang not in ("en", "zh"):
        raise ValueError("language must be 'en' or 'zh'")
    _STATE["lang"] = lang


def get_language() -> str:
    return _STATE["lang"]


def t(key: str, lang: str | None = None) -> str:
    """The label of ``key`` in the current (or given) language."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if (lang or _STATE["lang"]) == "zh" else pair[0]


def add(labels: dict[str, tuple[str, str]]) -> None:
    """Add labels (key → (English, 中文)); existing keys are kept."""
    for k, v in labels.items():
        LABELS.setdefault(k, v)


MINUS = "\u2212"          # the minus sign of every formatted number (not the hyphen "-")
NO_VALUE = "–"            # what a missing number (None, NaN) shows
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "": ""}


def currency_symbol(currency: str = "") -> str:
    """The symbol of a currency code ("USD" → "$"); an unknown code is written as itself with a space ("CHF "); a
    symbol ("$", "€") stays as it is.

    >>> currency_symbol("CNY"), currency_symbol("chf"), currency_symbol("$")
    ('¥', 'CHF ', '$')
    """
    code = (currency or "").strip().upper()
    if code and not code.isalpha():
        return currency.strip()
    return _SYMBOLS.get(code, f"{code} ")


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def money(x, currency: str = "", compact: bool = True, decimals: int | None = None, lang: str | None = None,
          chart: bool = False) -> str:
    """A money amount as text, the one way dbmkit writes money.

    ``compact`` (default) shortens large amounts: 2,500 → 2.5k, 25,000 → 25k, 1,260,000 → 1.3M; in Chinese
    (``lang="zh"``, or the current language) amounts in yuan use 万 (10⁴) and 亿 (10⁸). Without ``compact`` the
    amount has thousands separators and ``decimals`` decimals (default: 2 below 10, else none). Negative amounts
    put a real minus sign before the currency symbol. ``chart=True`` escapes "$" for matplotlib (two "$" in one
    label would otherwise start mathtext).

    >>> money(-2500, "USD"), money(0, "USD"), money(float("nan"), "USD"), money(None)
    ('−$2.5k', '$0', '–', '–')
    >>> money(1_260_000, "EUR"), money(950.4, "GBP"), money(0.85, "USD"), money(-12345.6, "USD", compact=False)
    ('€1.3M', '£950', '$0.85', '−$12,346')
    >>> money(123_456, "CNY", lang="zh"), money(-250_000_000, "CNY", lang="zh"), money(2500, "CNY", lang="zh")
    ('¥12.3万', '−¥2.5亿', '¥2,500')
    """
    if _missing(x):
        return NO_VALUE
    v = float(x)
    sym = currency_symbol(currency)
    if chart:
        sym = sym.replace("$", r"\$")
    sign = MINUS if v < 0 and round(abs(v), 2) > 0 else ""
    a = abs(v)
    if compact:
        zh = (lang or get_language()) == "zh" and (currency or "").upper() == "CNY"
        steps = ((1e8, "亿"), (1e4, "万")) if zh else ((1e9, "bn"), (1e6, "M"), (1e3, "k"))
        for size, suffix in steps:
            if a >= size * 0.9995 and not (suffix == "k" and a < 1000):
                q = a / size
                text = f"{q:.1f}" if q < 100 else f"{q:,.0f}"
                text = text[:-2] if text.endswith(".0") else text
                return f"{sign}{sym}{text}{suffix}"
    d = decimals if decimals is not None else (2 if a < 10 and a != int(a) else 0)
    return f"{sign}{sym}{a:,.{d}f}"


def percent(x, decimals: int = 1, signed: bool = False) -> str:
    """A share (0–1) as a percentage, "12.3 %", with a real minus sign; ``signed`` writes "+" for a rise
    (a lift in points of percentage is ``percent(lift, signed=True)``); "–" where there is no number.

    >>> percent(0.1234), percent(-0.005, 2), percent(0.02, signed=True), percent(None)
    ('12.3 %', '−0.50 %', '+2.0 %', '–')
    """
    if _missing(x):
        return NO_VALUE
    v = 100 * float(x)
    text = f"{abs(v):.{decimals}f}"
    zero = float(text) == 0
    sign = MINUS if v < 0 and not zero else ("+" if signed and v > 0 and not zero else "")
    return f"{sign}{text} %"


def pick(text, lang: str | None = None) -> str:
    """The text of the current (or given) language from a pair ``(English, 中文)``; a plain string is returned as
    it is. The one way a code cell, a note or an exercise says something in both languages.

    >>> pick(("customers", "客户"), "zh"), pick(("customers", "客户"), "en"), pick("RFM", "zh")
    ('客户', 'customers', 'RFM')
    """
    if isinstance(text, (tuple, list)) and len(text) == 2:
        return str(text[1] if (lang or _STATE["lang"]) == "zh" else text[0])
    return str(text)


def say(en: str, zh: str | None = None, lang: str | None = None) -> None:
    """Print one line in the page's language: ``dbm.say(f"{n:,} customers", f"{n:,}位客户")`` (a notebook's
    printouts are written once in each language; the code around them exists once)."""
    print(pick((en, zh if zh is not None else en), lang))


LABELS_DIR = Path(__file__).resolve().parent / "labels"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """The Chinese names of table columns and of label values, from the YAML files in ``dbmkit/labels/`` (one per
    area: ``columns:`` column name → 中文, ``values:`` English label → 中文). Two files may name the same column
    only with the same Chinese (``tests/test_chinese_edition.py`` checks it)."""
    import yaml
    out: dict[str, dict[str, str]] = {"columns": {}, "values": {}}
    for f in sorted(LABELS_DIR.glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for part in ("columns", "values"):
            for k, v in (data.get(part) or {}).items():
                out[part].setdefault(str(k), str(v))
    return out


def column_label(name, lang: str | None = None) -> str:
    """A table column's name as a page shows it: in Chinese its catalogue name (``clv`` → 客户终身价值), else the
    name itself; in English the name unchanged (code and page agree).

    >>> column_label("customers", "zh"), column_label("customers", "en"), column_label("no_such_column", "zh")
    ('客户数', 'customers', 'no_such_column')
    """
    text = str(name)
    if (lang or _STATE["lang"]) != "zh":
        return text
    cols = catalogue()["columns"]
    if text in cols:
        return cols[text]
    if text.startswith("n_") and text[2:] in cols:     # n_orders → 订单数 when "orders" is known
        return cols[text[2:]] + "数"
    return LABELS[text][1] if text in LABELS else text


def value_label(value, lang: str | None = None):
    """A label value (a segment, a channel, a stage) as a Chinese page shows it; anything else unchanged.

    >>> value_label("Champions", "zh"), value_label("Champions", "en"), value_label(3, "zh")
    ('冠军客户', 'Champions', 3)
    """
    if not isinstance(value, str) or (lang or _STATE["lang"]) != "zh":
        return value
    vals = catalogue()["values"]
    if value in vals:
        return vals[value]
    return LABELS[value][1] if value in LABELS else value


def date_text(d, lang: str | None = None) -> str:
    """A date in prose: "30 June 2026" / "2026年6月30日"; "–" for no date.

    >>> date_text("2026-06-30", "zh"), date_text("2026-06-30", "en")
    ('2026年6月30日', '30 June 2026')
    """
    if d is None or (isinstance(d, float) and math.isnan(d)):
        return NO_VALUE
    try:
        x = d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10])
    except ValueError:
        return str(d)
    if (lang or _STATE["lang"]) == "zh":
        return f"{x.year}年{x.month}月{x.day}日"
    return f"{x.day} {x.strftime('%B')} {x.year}"
