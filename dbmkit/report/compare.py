"""What moved between two reports (前后对比): the key numbers of two report folders side by side — a consultant's
"what changed since last month", or the effect of a ``--set`` on the plan.

A report folder holds ``kpis.json`` (every key number of the run) and ``status.json`` (client, settings, chapters).
:func:`compare_kpis` lines the numbers up in the order of ``KPI_INFO`` (the chapters' order) and calls a number
*changed* when its display text differs (``61.2 %`` against ``61.3 %``): a change below the rounding of the page is
no change to a reader. Shares move in percentage points, money and counts also by their relative change. The command
is ``dbmkit compare REPORT_A REPORT_B``.

>>> t = compare_kpis({"gini": 0.6812, "persons": 1000, "top20_revenue_share": 0.612},
...                  {"gini": 0.6814, "persons": 1040, "top20_revenue_share": 0.631, "segments_k": 5})
>>> t[["name", "a_text", "b_text", "change", "status"]].values.tolist()   # doctest: +NORMALIZE_WHITESPACE
[['persons', '1,000', '1,040', '+40 (+4.0 %)', 'changed'],
 ['top20_revenue_share', '61.2 %', '63.1 %', '+1.9 pts', 'changed'],
 ['gini', '0.681', '0.681', '', 'same'],
 ['segments_k', '–', '5', '', 'new']]
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from .kpis import KPI_INFO, format_kpi

__all__ = ["CompareError", "load_report", "compare_kpis", "compare_reports"]


class CompareError(ValueError):
    """A report folder that cannot be compared (no kpis.json, unreadable file), with the fix."""


def load_report(path: str | Path) -> dict:
    """``{"kpis": …, "status": …, "where": …}`` of a report folder (or of its ``kpis.json``)."""
    p = Path(path)
    folder = p.parent if p.is_file() else p
    kp = p if p.is_file() else p / "kpis.json"
    if not kp.exists():
        raise CompareError(f"{p}: no kpis.json there — give a report folder written by `dbmkit report` (for example "
                           "reports/acme) or its kpis.json")
    try:
        kpis = json.loads(kp.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CompareError(f"{kp}: not a readable kpis.json ({e}) — run the report again to rewrite it") from None
    if not isinstance(kpis, dict):
        raise CompareError(f"{kp}: kpis.json should hold one object of named numbers")
    st = folder / "status.json"
    try:
        status = json.loads(st.read_text(encoding="utf-8")) if st.exists() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        status = {}
    return {"kpis": kpis, "status": status, "where": str(folder)}


def _number(v) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v) if math.isfinite(float(v)) else None


def _change(kind: str, a: float, b: float, lang: str, currency: str) -> str:
    """The change from a to b as a reader wants it, negative numbers with a real minus sign (−)."""
    return re.sub(r"(?<!\w)-(?=\d)", "−", _change_text(kind, a, b, lang, currency))


def _change_text(kind: str, a: float, b: float, lang: str, currency: str) -> str:
    d = b - a
    if kind == "pct":
        return f"{100 * d:+.1f} {'个百分点' if lang == 'zh' else 'pts'}"
    rel = f" ({100 * d / abs(a):+.1f} %)" if a else ""
    if kind == "money":
        sym = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥"}.get(currency, currency + " ")
        text = f"{'+' if d >= 0 else '−'}{sym}{abs(d):,.0f}"
        return text + rel
    if kind == "int":
        return f"{int(round(d)):+,}{rel}"
    return f"{d:+,.3g}" if abs(d) < 1000 else f"{d:+,.0f}"


def compare_kpis(a: dict, b: dict, lang: str = "en", currency: str = "USD") -> pd.DataFrame:
    """One row per key number of either run: name, label, both values and their display texts, the change, and
    ``status`` — changed, same (equal as displayed), new (only in B), gone (only in A). Known numbers come in the
    chapters' order, then the others by name."""
    known = [n for n in KPI_INFO if n in a or n in b]
    names = known + sorted(n for n in {*a, *b} if n not in KPI_INFO)
    rows = []
    for n in names:
        kind = KPI_INFO.get(n, ("", "", "float"))[2]
        label, at = format_kpi(n, a.get(n), lang, currency)
        _, bt = format_kpi(n, b.get(n), lang, currency)
        if n not in a:
            status = "new"
        elif n not in b:
            status = "gone"
        else:
            status = "same" if at == bt else "changed"
        x, y = _number(a.get(n)), _number(b.get(n))
        change = _change(kind, x, y, lang, currency) if status == "changed" and x is not None and y is not None else ""
        rows.append({"name": n, "label": label, "a": a.get(n), "b": b.get(n), "a_text": at, "b_text": bt,
                     "change": change, "status": status})
    order = {"changed": 0, "new": 2, "gone": 3, "same": 1}
    t = pd.DataFrame(rows, columns=["name", "label", "a", "b", "a_text", "b_text", "change", "status"])
    t["_o"] = t["status"].map(order)
    return t.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def compare_reports(a_path: str | Path, b_path: str | Path, show_all: bool = False, lang: str | None = None) -> str:
    """The text ``dbmkit compare`` prints: what the two runs were, then the numbers that moved (all with
    ``show_all``), the ones that are new or gone, and how many stayed the same."""
    ra, rb = load_report(a_path), load_report(b_path)
    sa, sb = ra["status"], rb["status"]
    lang = lang or sb.get("language") or sa.get("language") or "en"
    currency = sb.get("currency") or sa.get("currency") or "USD"
    zh = lang == "zh"
    t = compare_kpis(ra["kpis"], rb["kpis"], lang, currency)
    lines = []
    for tag, r, s in (("A", ra, sa), ("B", rb, sb)):
        extra = [f"{k}={v}" for k, v in (s.get("overrides") or {}).items()]
        when = s.get("as_of")
        lines.append(f"{tag}: {r['where']}  ({s.get('client', '?')}"
                     + (f", {'数据截至' if zh else 'data as of'} {when}" if when else "")
                     + (f", --set {' '.join(extra)}" if extra else "") + ")")
    if sa.get("client") and sb.get("client") and sa["client"] != sb["client"]:
        lines.append("注意：两份报告属于不同客户。" if zh else "Note: the two reports are of different clients.")
    shown = t if show_all else t[t["status"] != "same"]
    counts = t["status"].value_counts()
    if shown.empty:
        lines.append("关键指标没有变化（按页面上的精度）。" if zh else
                     f"No key number moved (as the pages round them): {len(t)} the same.")
        return "\n".join(lines)
    width = max(len(x) for x in shown["label"])
    wa = max(len(x) for x in shown["a_text"])
    wb = max(len(x) for x in shown["b_text"])
    lines.append("")
    head = ("指标", "A", "B", "变化") if zh else ("key number", "A", "B", "change")
    lines.append(f"{head[0]:<{width}}  {head[1]:>{wa}}  {head[2]:>{wb}}  {head[3]}")
    marks = {"new": "新增" if zh else "new", "gone": "已无" if zh else "gone", "same": "", "changed": ""}
    for r in shown.itertuples():
        note = r.change or marks[r.status]
        lines.append(f"{r.label:<{width}}  {r.a_text:>{wa}}  {r.b_text:>{wb}}  {note}".rstrip())
    lines.append("")
    summary = {k: int(counts.get(k, 0)) for k in ("changed", "new", "gone", "same")}
    lines.append((f"变化 {summary['changed']} 项，新增 {summary['new']} 项，已无 {summary['gone']} 项，"
                  f"不变 {summary['same']} 项。") if zh else
                 (f"{summary['changed']} changed, {summary['new']} new, {summary['gone']} gone, "
                  f"{summary['same']} the same (as the pages round them)."))
    return "\n".join(lines)
