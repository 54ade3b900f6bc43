"""The report's index page: the client, the analysis date, the settings changed with ``--set``, the key numbers as
cards, a summary of the data, every chapter with its status and time, notes on skipped and failed chapters, and the
downloads."""
from __future__ import annotations

import datetime as dt
import html
import os
from pathlib import Path

from .. import chapters as _chapters
from ..i18n import add as add_labels
from ..i18n import date_text, money, t
from .kpis import CI_SUFFIXES, HEADLINE, KPI_INFO, SIGNIFICANCE, format_kpi
from .result import ReportResult
from .style import REPORT_CSS

__all__ = ["data_summary", "index_html", "kpi_card", "CARD_CSS"]

# a card's interval and its significance badge (added to the report's style sheet on the index page)
CARD_CSS = (".card .ci{font-size:12px;color:#1d2733;margin-top:2px;font-variant-numeric:tabular-nums}"
            ".card .badge{display:inline-block;font-size:11px;border-radius:10px;padding:1px 8px;margin-top:5px}"
            ".card .badge.ns{background:#fdf1d6;color:#8d5b00}.card .badge.sig{background:#e3f2e5;color:#2e7d32}")

add_labels({
    "data": ("Data", "数据概况"),
    "customers_n": ("Customers", "客户数"),
    "buyers_n": ("Buyers", "购买客户数"),
    "orders_n": ("Orders", "订单数"),
    "revenue_total": ("Revenue (net)", "净收入"),
    "period": ("Period", "时间范围"),
    "sources_n": ("Sources", "数据源"),
    "all_key_numbers": ("All key numbers", "全部关键指标"),
    "notes_skipped": ("Skipped chapters (inputs missing)", "已跳过的章节（缺少数据）"),
    "notes_failed": ("Chapters that failed", "运行失败的章节"),
    "time": ("Time", "用时"),
    "overrides_used": ("Settings changed for this run (dbmkit report --set; the config file says otherwise)",
                       "本次运行修改的设置（dbmkit report --set；与配置文件不同）"),
    "status": ("Status", "状态"),
    "chapter": ("Chapter", "章节"),
    "kind_overridden": ("overridden for this client", "本客户修改版"),
    "kind_added": ("client chapter", "客户专属章节"),
    "client_chapters_note": ("Chapters marked for this client come from the client's own notebooks",
                             "标记的章节来自该客户自己的笔记本"),
    "kpi_ci": ("{level} CI {low} to {high}", "{level}置信区间 {low} 至 {high}"),
    "kpi_not_significant": ("not significant (p = {p})", "差异不显著（p = {p}）"),
    "kpi_significant": ("significant (p = {p})", "差异显著（p = {p}）"),
    "kpi_lift_not_significant": ("lift not significant (p = {p})", "提升不显著（p = {p}）"),
    "kpi_lift_significant": ("lift significant (p = {p})", "提升显著（p = {p}）"),
    "language_note": ("Chapter text is written in English with the Chinese terms; headings, labels and charts "
                      "are in Chinese.", "章节正文为英文（附中文术语）；标题、标签与图表为中文。"),
    "seconds": ("{s:.0f} s", "{s:.0f} 秒"),
    "no_downloads": ("–", "（无）"),
})


def _when(value, lang: str) -> str:
    """A date (and time) on the index: 2026-06-30 (14:05) in English, 2026年6月30日（14:05）in Chinese."""
    if lang != "zh":
        return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, dt.datetime) else f"{value}"[:10]
    text = date_text(value, "zh")
    return text + (f" {value:%H:%M}" if isinstance(value, dt.datetime) else "")


def data_summary(ws) -> dict:
    """Customers, buyers, orders, net revenue, period and sources of a client's database (for the report index)."""
    with ws.connect() as con:
        r = con.execute("""SELECT (SELECT count(*) FROM customers), count(DISTINCT customer_id), count(*),
                                  sum(net_amount), min(order_ts), max(order_ts) FROM sales""").fetchall()[0]
        n_src = con.execute("SELECT count(*) FROM load_log").fetchall()[0][0]
    return {"customers": int(r[0] or 0), "buyers": int(r[1] or 0), "orders": int(r[2] or 0),
            "revenue": float(r[3] or 0.0), "first": r[4], "last": r[5], "sources": int(n_src or 0)}


def kpi_card(name: str, kpis: dict, lang: str, currency: str, alpha: float = 0.05) -> str:
    """One key-number card: the value, its interval when ``kpis`` holds ``<name>_ci_low`` and ``<name>_ci_high``,
    and — for a number that rests on a significance test (``SIGNIFICANCE``) — a badge "significant" or
    "not significant (p = …)" ("lift not significant" on the ROI and the profit, whose test is the response lift's)
    at the level recorded with it (else ``alpha``).

    >>> k = {"campaign_roi": 0.389, "campaign_roi_ci_low": -1.2, "campaign_roi_ci_high": 2.1, "campaign_p_value": 0.095}
    >>> html_ = kpi_card("campaign_roi", k, "en", "USD")
    >>> "95 % CI −120.0 % to 210.0 %" in html_, "lift not significant (p = 0.095)" in html_
    (True, True)
    """
    esc = html.escape
    label, val = format_kpi(name, kpis[name], lang, currency)
    parts = [f'<div class="v">{val}</div>']
    test = SIGNIFICANCE.get(name)
    level_alpha = kpis.get(test[1]) if test and kpis.get(test[1]) is not None else alpha
    lo, hi = (kpis.get(name + s) for s in CI_SUFFIXES)
    if lo is not None and hi is not None:
        level = f"{100 * (1 - float(level_alpha)):.0f} %"
        low, high = (format_kpi(name, x, lang, currency)[1] for x in (lo, hi))
        parts.append(f'<div class="ci">{esc(t("kpi_ci", lang).format(level=level, low=low, high=high))}</div>')
    p = kpis.get(test[0]) if test else None
    if p is not None:
        sig = float(p) < float(level_alpha)
        what = f"kpi_{test[2]}_" if test[2] else "kpi_"
        text = t(what + ("significant" if sig else "not_significant"), lang).format(p=f"{float(p):.2g}")
        parts.append(f'<div class="badge {"sig" if sig else "ns"}">{esc(text)}</div>')
    parts.append(f'<div class="l">{esc(label)}</div>')
    return f'<div class="card" data-kpi="{esc(name)}">' + "".join(parts) + "</div>"


def index_html(res: ReportResult, cfg, as_of, lang: str, currency: str, data: dict | None = None) -> str:
    """The ``index.html`` of a report run ``res`` for the client config ``cfg``, in ``lang``; ``data`` is the
    :func:`data_summary` (None leaves the data cards out)."""
    title = html.escape(cfg.title or cfg.client)
    esc = html.escape
    # key-number cards: the headline numbers first, then the rest (all of them in the table further down)
    shown = [k for k in HEADLINE if k in res.kpis] + [k for k in res.kpis if k not in HEADLINE and k in KPI_INFO]
    shown = [k for k in shown if res.kpis[k] is not None]          # a number the data could not give: table only
    # an interval is shown on its number's card, not as a card of its own
    shown = [k for k in shown if not (k.endswith(CI_SUFFIXES) and k.rsplit("_ci_", 1)[0] in res.kpis)]
    alpha = float(getattr(getattr(cfg, "campaign", None), "significance", 0.05) or 0.05)
    cards = [kpi_card(k, res.kpis, lang, currency, alpha) for k in shown[:16]]
    data_html = ""
    if data:
        period = (f"{data['first']:%Y-%m-%d} – {data['last']:%Y-%m-%d}" if data.get("first") is not None else "–")
        if lang == "zh" and data.get("first") is not None:
            period = f"{date_text(data['first'], 'zh')}至{date_text(data['last'], 'zh')}"
        items = [(t("customers_n", lang), f"{data['customers']:,}"), (t("buyers_n", lang), f"{data['buyers']:,}"),
                 (t("orders_n", lang), f"{data['orders']:,}"),
                 (t("revenue_total", lang), money(data['revenue'], currency, compact=lang == "zh", decimals=0,
                                                  lang=lang)),
                 (t("period", lang), period), (t("sources_n", lang), f"{data['sources']:,}")]
        data_html = ('<div class="cards data">' + "".join(
            f'<div class="card small"><div class="v">{esc(v)}</div><div class="l">{esc(k)}</div></div>'
            for k, v in items) + "</div>")
    # the chapter list, by phase
    rows = []
    last_phase = None
    known = {**_chapters.BY_FILE, **res.chapters}
    for r in res.runs:
        ch = known.get(r.file)
        if ch and ch.phase != last_phase:
            last_phase = ch.phase
            en, zh = _chapters.PHASES.get(ch.phase, (ch.phase, ch.phase))
            rows.append(f'<tr class="phase"><td colspan="4">{esc(zh if lang == "zh" else en)}'
                        f'{"" if lang == "zh" else " · " + esc(zh)}</td></tr>')
        name = (ch.title_zh if lang == "zh" else ch.title) if ch else r.file
        has_page = (res.out / f"{r.file}.html").exists()
        link = f'<a href="{r.file}.html">{esc(name)}</a>' if has_page else esc(name)
        status = t("status_" + r.status, lang)
        msg = f'<div class="msg {r.status}">{esc(r.message)}</div>' if r.message else ""
        if r.kind != "standard":
            link += (f' <span class="kind {esc(r.kind)}" data-kind="{esc(r.kind)}">'
                     f'{esc(t("kind_" + r.kind, lang))}</span>')
        rows.append(f'<tr data-chapter="{esc(r.file)}" data-kind="{esc(r.kind)}"><td>{esc(r.file.split("_")[0])}</td>'
                    f'<td>{link}{msg}</td>'
                    f'<td class="{r.status}">{esc(status)}</td><td>{esc(t("seconds", lang).format(s=r.seconds))}'
                    '</td></tr>')
    notes = []
    skipped = [r for r in res.runs if r.status == "skipped"]
    failed = [r for r in res.runs if r.status == "failed"]
    def chapter_name(f: str) -> str:
        ch = known.get(f)
        return f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}" if ch else f

    if skipped:
        notes.append(f"<h3>{esc(t('notes_skipped', lang))}</h3><ul>" + "".join(
            f'<li><a href="{r.file}.html">{esc(chapter_name(r.file))}</a>: {esc(r.message)}</li>'
            if (res.out / f"{r.file}.html").exists() else f"<li>{esc(chapter_name(r.file))}: {esc(r.message)}</li>"
            for r in skipped) + "</ul>")
    if failed:
        notes.append(f"<h3>{esc(t('notes_failed', lang))}</h3><ul>" + "".join(
            f"<li>{esc(r.message)}</li>" for r in failed) + "</ul>")
    own = [r for r in res.runs if r.kind != "standard"]
    if own:
        def shown(p: Path) -> str:                   # relative to the config's folder, as the config names it
            try:
                return Path(os.path.relpath(p, cfg.base_dir)).as_posix()
            except ValueError:
                return p.as_posix()
        folders = sorted({shown(Path(r.notebook).parent) for r in own})
        notes.append(f"<p class=\"small\">{esc(t('client_chapters_note', lang))}: "
                     + ", ".join(f"<code>{esc(f)}</code>" for f in folders) + "</p>")
    english_text = [r for r in res.runs if r.kind == "standard" and r.notebook and not Path(r.notebook).parent.name
                    .endswith("_zh")]
    if lang == "zh" and english_text:          # a Chinese report that ran the English edition (no notebooks_zh/)
        notes.append(f"<p class=\"small\">{esc(t('language_note', lang))}</p>")
    downloads = []
    for fname, key in (("campaign_list.csv", "campaign_list"), ("kpis.json", "kpi_file")):
        if (res.out / fname).exists():
            downloads.append(f'<li><a href="{fname}">{esc(t(key, lang))}</a> ({fname})</li>')
    all_rows = "".join(
        f"<tr><td>{esc(format_kpi(k, v, lang, currency)[0])}</td>"
        f"<td class=\"num\">{format_kpi(k, v, lang, currency)[1]}</td>"
        f"<td class=\"key\"><code>{esc(k)}</code></td></tr>" for k, v in sorted(res.kpis.items()))
    overrides = ""
    if res.overrides:
        import json
        overrides = (f'<div class="overrides"><h3>{esc(t("overrides_used", lang))}</h3><ul>' + "".join(
            f'<li data-override="{esc(k)}"><code>{esc(k)} = {esc(json.dumps(v, ensure_ascii=False))}</code></li>'
            for k, v in res.overrides.items()) + "</ul></div>")
    gen = _when(dt.datetime.now(), lang)
    colon = "：" if lang == "zh" else ": "
    day = date_text(as_of, "zh") if lang == "zh" else str(as_of)
    th = "".join(f"<th>{esc(x)}</th>" for x in ("#", t("chapter", lang), t("status", lang), t("time", lang)))
    return f"""<!doctype html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">\
<title>{title} — {esc(t('report_title', lang))}</title>
<style>{REPORT_CSS}{CARD_CSS}</style></head><body>
<header><h1>{title}</h1><p>{esc(t('report_title', lang))} · {esc(t('analysis_date', lang))}{colon}{esc(day)}
 · {esc(t('generated', lang))}{colon}{gen}</p></header>
<main>{overrides}<h2>{esc(t('key_numbers', lang))}</h2><div class="cards">{''.join(cards) or '–'}</div>
{f"<h2>{esc(t('data', lang))}</h2>{data_html}" if data_html else ""}
<h2>{esc(t('chapters', lang))}</h2><table class="chapters"><tr>{th}</tr>{''.join(rows)}</table>
{f"<h2>{esc(t('notes', lang))}</h2>" + "".join(notes) if notes else ""}
<h2>{esc(t('downloads', lang))}</h2><ul>{''.join(downloads) or f"<li>{esc(t('no_downloads', lang))}</li>"}</ul>
{f"<h2>{esc(t('all_key_numbers', lang))}</h2><table class='kpis'>{all_rows}</table>" if all_rows else ""}</main>
<footer>dbmkit · {esc(cfg.client)}</footer></body></html>"""
