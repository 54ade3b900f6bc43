"""Client reports: run the workbook with papermill, export HTML without code, collect the key numbers.

In a notebook, ``record("gini", 0.61)`` stores a named number; the report runner collects them into
``kpis.json``. ``run_report(config)`` executes the chapters in order (parameters: the config path and overrides),
writes one HTML page per chapter (no code cells, figures embedded), the executed notebooks, ``kpis.json`` and an
``index.html`` with the client, the date, the key numbers and links to every chapter. A failing chapter is named
with its cell and error; the report still shows everything that ran.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import os
import platform
import re
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import chapters as _chapters
from .i18n import add as add_labels
from .privacy import mask_pii
from .i18n import t

__all__ = ["record", "recorded", "provenance", "run_report", "ReportResult", "KPI_INFO", "notebooks_dir",
           "export_html", "repo_root", "skipped_page_html"]

_KPIS: dict[str, object] = {}

# name → (English label, 中文, format) ; format: int, pct, money, float, text
KPI_INFO: dict[str, tuple[str, str, str]] = {
    "rows_read": ("Rows read", "读取行数", "int"),
    "rows_loaded": ("Rows loaded", "载入行数", "int"),
    "rows_quarantined": ("Rows quarantined", "隔离行数", "int"),
    "customers_raw": ("Source customer records", "原始客户记录", "int"),
    "persons": ("Customers (after merge/purge)", "客户数（去重后）", "int"),
    "households": ("Households", "家庭数", "int"),
    "identity_precision": ("Merge precision", "合并精确率", "pct"),
    "identity_recall": ("Merge recall", "合并召回率", "pct"),
    "email_optout_share": ("E-mail opt-out share", "邮件退订比例", "pct"),
    "quality_score_before": ("Data quality before cleaning", "清洗前数据质量", "float"),
    "quality_score_after": ("Data quality after cleaning", "清洗后数据质量", "float"),
    "customers_active": ("Active customers", "活跃客户", "int"),
    "top20_revenue_share": ("Revenue from the top 20 %", "前20%客户收入占比", "pct"),
    "gini": ("Gini of customer value", "客户价值基尼系数", "float"),
    "clv_total": ("Total CLV (12 months)", "客户终身价值合计（12个月）", "money"),
    "clv_holdout_error": ("CLV holdout error", "CLV验证误差", "pct"),
    "champions_share": ("RFM Champions (share of buyers)", "RFM冠军客户占比", "pct"),
    "rfm_breakeven_customers": ("Customers in break-even RFM cells", "盈亏平衡RFM单元客户数", "int"),
    "customers_first_tenth_sales": ("Customers making the first 10 % of sales", "贡献前10%销售额的客户数", "int"),
    "unprofitable_share": ("Unprofitable customers (share)", "不盈利客户占比", "pct"),
    "price_only_share": ("Price-only buyers (share)", "只看价格的顾客占比", "pct"),
    "clv_alive_share": ("Customers likely alive (mean P(alive))", "平均存活概率", "pct"),
    "response_model_auc": ("Response model AUC", "响应模型AUC", "float"),
    "top_decile_lift": ("Top-decile lift", "首个十分位提升度", "float"),
    "churn_model_auc": ("Churn model AUC", "流失模型AUC", "float"),
    "top_rule_lift": ("Strongest basket rule (lift)", "最强关联规则提升度", "float"),
    "segments_k": ("Segments (k-means)", "细分数量", "int"),
    "campaign_gross": ("Campaign: eligible (gross)", "活动：初选人数", "int"),
    "campaign_net": ("Campaign: after suppressions (net)", "活动：排除后人数", "int"),
    "breakeven_response_rate": ("Break-even response rate", "盈亏平衡响应率", "pct"),
    "planned_contacts": ("Planned contacts", "计划接触人数", "int"),
    "control_size": ("Control group size", "对照组人数", "int"),
    "expected_profit": ("Expected profit", "预期利润", "money"),
    "expected_roi": ("Expected ROI", "预期投资回报率", "pct"),
    "mailing_depth_deciles": ("Mailing depth (deciles)", "投放深度（十分位）", "int"),
    "campaign_response_rate_treatment": ("Response rate: treatment", "目标组响应率", "pct"),
    "campaign_response_rate_control": ("Response rate: control", "对照组响应率", "pct"),
    "campaign_lift": ("Lift over control (points)", "相对对照组提升", "pct"),
    "campaign_lift_ci_low": ("Lift: 95 % CI low", "提升95%置信下限", "pct"),
    "campaign_lift_ci_high": ("Lift: 95 % CI high", "提升95%置信上限", "pct"),
    "campaign_p_value": ("p-value", "p值", "float"),
    "campaign_true_lift": ("True lift (synthetic truth)", "真实提升（合成数据）", "pct"),
    "campaign_incremental_profit": ("Incremental profit", "增量利润", "money"),
    "campaign_roi": ("Campaign ROI", "活动投资回报率", "pct"),
    "email_open_rate": ("E-mail open rate", "邮件打开率", "pct"),
    "email_ctor": ("E-mail click-to-open rate", "邮件点击打开率", "pct"),
    "uplift_qini": ("Uplift model Qini", "增量模型Qini系数", "float"),
    # case studies (chapters 90, 91)
    "cj_redemption_rate": ("Complete Journey: coupon redemption rate", "Complete Journey：优惠券核销率", "pct"),
    "cj_redemption_type_a": ("Complete Journey: redemption, Type A", "Complete Journey：A类活动核销率", "pct"),
    "cj_redemption_type_b": ("Complete Journey: redemption, Type B", "Complete Journey：B类活动核销率", "pct"),
    "cj_redemption_type_c": ("Complete Journey: redemption, Type C", "Complete Journey：C类活动核销率", "pct"),
    "cj_households_reached": ("Complete Journey: households reached", "Complete Journey：触达家庭数", "int"),
    "cj_champions_redemption_index": ("Complete Journey: Champions' redemption index", "Complete Journey：冠军客户核销指数", "float"),
    "cdnow_bgnbd_r": ("CDNOW: BG/NBD r", "CDNOW：BG/NBD参数r", "float"),
    "cdnow_bgnbd_log_likelihood": ("CDNOW: BG/NBD log-likelihood", "CDNOW：BG/NBD对数似然", "float"),
    "cdnow_repeat_customers": ("CDNOW: repeat customers (39 weeks)", "CDNOW：重复购买客户（39周）", "int"),
    "cdnow_holdout_error": ("CDNOW: holdout forecast error", "CDNOW：验证期预测误差", "pct"),
    "cdnow_gg_p": ("CDNOW: Gamma-Gamma p", "CDNOW：Gamma-Gamma参数p", "float"),
}
HEADLINE = ["persons", "customers_active", "top20_revenue_share", "clv_total", "response_model_auc",
            "planned_contacts", "expected_roi", "campaign_lift", "campaign_roi", "identity_precision",
            "quality_score_after", "email_open_rate"]


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if np.isnan(v) else round(v, 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (pd.Timestamp, dt.date)):
        return str(value)
    return value


def record(name: str, value, label: str | None = None):
    """Record a named key number for the report (``kpis.json``); returns the value so it can be shown inline.

    >>> record("example_number", 0.5)
    0.5
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"KPI names are lower_snake_case, not {name!r}")
    v = _plain(value)
    _KPIS[name] = v
    path = os.environ.get("DBMKIT_KPI_FILE")
    if path:
        p = Path(path)
        data = json.loads(p.read_text(encoding="utf-8")) if p.exists() and p.stat().st_size else {}
        data[name] = v
        tmp = p.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, p)
    if label:
        KPI_INFO.setdefault(name, (label, label, "float"))
    return value


def recorded() -> dict:
    """The key numbers recorded in this process."""
    return dict(_KPIS)


def provenance(ws=None, seed: int | None = None):
    """Versions, data fingerprint, seed and run time — the closing cell of every chapter (as Markdown)."""
    from IPython.display import Markdown

    import duckdb
    import sklearn

    import dbmkit
    rows = [("dbmkit", dbmkit.__version__), ("Python", platform.python_version()), ("pandas", pd.__version__),
            ("NumPy", np.__version__), ("DuckDB", duckdb.__version__), ("scikit-learn", sklearn.__version__)]
    if ws is not None:
        cfg = ws.cfg
        rows += [("client", cfg.client), ("config", Path(cfg.source_path).name if cfg.source_path else "(dict)"),
                 ("data fingerprint", ws.fingerprint()), ("analysis date", str(ws.as_of.date())),
                 ("database built", ws.meta.get("built_at", "?")),
                 ("seed", str(cfg.data.synthetic.seed if cfg.is_synthetic else cfg.seed))]
    elif seed is not None:
        rows.append(("seed", str(seed)))
    rows.append(("run at", dt.datetime.now().isoformat(timespec="seconds")))
    text = "**Provenance** — " + " · ".join(f"{k}: `{v}`" for k, v in rows)
    return Markdown(text)


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]


def notebooks_dir() -> Path:
    env = os.environ.get("DBMKIT_NOTEBOOKS")
    return Path(env) if env else repo_root() / "notebooks"


# ------------------------------------------------------------------------------------------------ HTML export
add_labels({
    "what_it_means": ("What this means for the marketer", "对营销人员的意义"),
    "skipped_title": ("This chapter was skipped", "本章已跳过"),
    "skipped_why": ("The client's data does not have what this chapter needs:", "客户数据缺少本章所需的内容："),
    "skipped_fix": ("How to provide it", "如何提供"),
    "skipped_after": ("Add the source to the client config, run `dbmkit check CONFIG`, then run the report again.",
                      "在客户配置中加入数据源，运行 `dbmkit check CONFIG`，然后重新生成报告。"),
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
    "status": ("Status", "状态"),
    "chapter": ("Chapter", "章节"),
    "masked_note": ("contact details masked on this page", "条联系方式已在本页隐藏"),
    "language_note": ("Chapter text is written in English with the Chinese terms; headings, labels and charts "
                      "are in Chinese.", "章节正文为英文（附中文术语）；标题、标签与图表为中文。"),
})

def _mask_cell_outputs(cell) -> int:
    n = 0
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            o["text"], k = mask_pii(o.get("text", ""))
            n += k
        for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
            data = o.get("data", {})
            if mime in data:
                val = data[mime] if isinstance(data[mime], str) else "".join(data[mime])
                data[mime], k = mask_pii(val)
                n += k
    return n


_HEADING_ZH = {
    "what this means for the marketer": "对营销人员的意义",
    "what this means for the marketer:": "对营销人员的意义：",
    "learning objectives": "学习目标",
    "summary": "小结",
    "key numbers": "关键指标",
    "next steps": "下一步",
    "the data": "数据",
}


def _zh_markdown(src: str) -> str:
    """Headings with a Chinese term in brackets show it first ('RFM analysis (RFM分析)' → 'RFM分析（RFM analysis）');
    the standard headings are translated."""
    out = []
    for line in src.splitlines():
        m = re.match(r"^(#{1,6})\s+(\d{2} · )?(.+?)\s*[(（]([^()（）]*[\u4e00-\u9fff][^()（）]*)[)）]\s*$", line)
        if m:
            line = f"{m.group(1)} {m.group(2) or ''}{m.group(4)}（{m.group(3)}）"
        else:
            m = re.match(r"^(#{1,6})\s+(.+?)\s*$", line)
            if m and m.group(2).lower() in _HEADING_ZH:
                line = f"{m.group(1)} {_HEADING_ZH[m.group(2).lower()]}（{m.group(2)}）"
        line = re.sub(r"\*\*What this means for the marketer:?\*\*:?",
                      "**对营销人员的意义（What this means for the marketer）：**", line)
        out.append(line)
    return "\n".join(out)


def _drop_your_turn(cells: list) -> list:
    """Remove the "Your turn" sections (student exercises) from a report page."""
    keep, inside = [], False
    for c in cells:
        tags = c.get("metadata", {}).get("tags", [])
        heads = [ln for ln in c.source.splitlines() if ln.startswith("#")] if c.cell_type == "markdown" else []
        if c.cell_type == "markdown" and heads:
            inside = any(re.search(r"your turn|动手练习|练习", h, re.I) for h in heads[:1])
            if inside:
                continue
        elif inside and (c.cell_type == "markdown" or "exercise" in tags):
            continue
        elif c.cell_type == "code" and "exercise" not in tags:
            inside = False
        keep.append(c)
    return keep


_PAGE_CSS = """
<style>
body{background:#fff}
.dbm-banner{font-family:-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC',Roboto,Helvetica,Arial,sans-serif;
  padding:8px 16px;background:#1f5f8b;color:#fff;font-size:14px}
.dbm-banner a{color:#fff}
.dbm-head{font-family:-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC',Roboto,Helvetica,Arial,sans-serif;
  padding:10px 24px 0 24px;color:#5b6b7b;font-size:13px}.dbm-head p{margin:0}
.jp-RenderedHTMLCommon table.dataframe, .jp-RenderedHTMLCommon table{border-collapse:collapse;font-size:13px;
  margin:8px 0;font-variant-numeric:tabular-nums;border:none}
.jp-RenderedHTMLCommon table.dataframe thead th{background:#eef3f8;position:sticky;top:0;z-index:1}
.jp-RenderedHTMLCommon table.dataframe th,.jp-RenderedHTMLCommon table.dataframe td{padding:5px 10px;
  border:none;border-bottom:1px solid #e3e8ee}
.jp-RenderedHTMLCommon table.dataframe tbody tr:nth-child(even){background:#f7f9fb}
.jp-RenderedHTMLCommon table.dataframe tbody tr:hover{background:#eaf2fb}
.jp-OutputArea-output[data-mime-type="text/html"]{max-height:560px;overflow:auto}
.jp-RenderedImage img{max-width:100%;height:auto}
</style>
"""


def export_html(nb_path: Path, html_path: Path, title: str, nav: str = "", language: str = "en",
                subtitle: str = "") -> dict:
    """A chapter page without code: inputs, prompts, parameter/exercise cells, "Your turn" sections and stderr
    removed; tables styled for reading; raw e-mails and phone numbers masked; with ``language="zh"`` the headings
    show their Chinese terms first. Links to other chapters point at their HTML pages.

    Returns {"masked": number of contact details masked}.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(str(nb_path), as_version=4)
    masked = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            masked += _mask_cell_outputs(cell)
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\(([\w\-]+)\.ipynb(#[\w\-]*)?\)", r"(\1.html\2)", cell.source)
            cell.source, k = mask_pii(cell.source)
            masked += k
            if language == "zh":
                cell.source = _zh_markdown(cell.source)
    nb.cells = _drop_your_turn(nb.cells)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    trp = TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters", "exercise", "remove",
                                                  "solution", "nav"})
    exporter.register_preprocessor(trp, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    banner = (f'<div class="dbm-banner">'
              f'<a href="index.html">← {html.escape(t("back_to_index", language))}</a> {nav}</div>')
    note = ""
    if masked:
        note = f" · {masked} {html.escape(t('masked_note', language))}"
    head = f'<div class="dbm-head"><p>{html.escape(subtitle)}{note}</p></div>' if (subtitle or note) else ""
    body = body.replace("</head>", _PAGE_CSS + "</head>", 1)
    body = body.replace("<body", "<body data-dbmkit-chapter=\"1\"", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + banner + head, body, count=1)
    body = re.sub(r"<title>.*?</title>", lambda m: f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    if language == "zh":
        body = body.replace('<html lang="en">', '<html lang="zh-CN">', 1)
    html_path.write_text(body, encoding="utf-8")
    return {"masked": masked}


def skipped_page_html(ch, missing: list, lang: str, nav: str = "", client: str = "") -> str:
    """The short page of a chapter the report skipped: what is missing and how to provide it."""
    title = f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}"
    items = "".join(
        f"<li><b>{html.escape(n.what_zh if lang == 'zh' else n.what)}</b><br>"
        f"<span class=\"fix\">{html.escape(t('skipped_fix', lang))}: {html.escape(n.fix)}</span></li>"
        for _, n in missing)
    return f"""<!doctype html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title>
<style>{_CSS} .fix{{color:#5b6b7b;font-size:14px}} li{{margin:10px 0}}</style></head>
<body data-dbmkit-chapter="1" data-dbmkit-skipped="1"><div class="dbm-banner" style="padding:8px 16px;background:#174a6d">
<a style="color:white" href="index.html">← {html.escape(t("back_to_index", lang))}</a> {nav}</div>
<header><h1>{html.escape(title)}</h1><p>{html.escape(t('skipped_title', lang))}</p></header>
<main><h2>{html.escape(t('skipped_why', lang))}</h2><ul>{items}</ul>
<p>{html.escape(t('skipped_after', lang))}</p></main><footer>dbmkit · {html.escape(client)}</footer></body></html>"""


# ------------------------------------------------------------------------------------------------ runner
@dataclass
class ChapterRun:
    file: str
    title: str
    status: str = "pending"        # ok | failed | skipped
    seconds: float = 0.0
    message: str = ""
    cell: int | None = None
    masked: int = 0                # contact details masked on the page (a chapter showed raw e-mails/phones)
    missing: list = field(default_factory=list)   # keys of chapters.NEEDS the client's data does not meet


@dataclass
class ReportResult:
    out: Path
    client: str
    runs: list[ChapterRun] = field(default_factory=list)
    kpis: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.status in ("ok", "skipped") for r in self.runs)

    @property
    def index(self) -> Path:
        return self.out / "index.html"


def _fmt_kpi(name: str, value, lang: str, currency: str) -> tuple[str, str]:
    en, zh, kind = KPI_INFO.get(name, (name.replace("_", " ").capitalize(), name, "float"))
    label = zh if lang == "zh" else en
    if value is None:
        return label, "–"
    if kind == "int":
        return label, f"{int(round(float(value))):,}"
    if kind == "pct":
        return label, f"{100 * float(value):.1f} %"
    if kind == "money":
        sym = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥"}.get(currency, currency + " ")
        return label, f"{sym}{float(value):,.0f}"
    if isinstance(value, (int, float)):
        return label, f"{float(value):,.3g}" if abs(float(value)) < 1000 else f"{float(value):,.0f}"
    return label, html.escape(str(value))


_CSS = """
body{font-family:-apple-system,'Segoe UI','Noto Sans CJK SC','PingFang SC',Roboto,Helvetica,Arial,sans-serif;
margin:0;background:#f5f7fa;color:#1d2733}
header{background:#1f5f8b;color:#fff;padding:28px 40px}header h1{margin:0 0 6px 0;font-size:28px}
header p{margin:0;opacity:.85}main{padding:24px 40px;max-width:1200px}
h2{font-size:18px;margin:28px 0 12px 0;color:#1f5f8b}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card .v{font-size:24px;font-weight:600;color:#1d2733}.card .l{font-size:12px;color:#5b6b7b;margin-top:4px}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.08)}
td,th{padding:9px 12px;border-bottom:1px solid #e8edf2;text-align:left;font-size:14px}
th{background:#eef3f8;font-weight:600}.ok{color:#2e7d32}.failed{color:#c62828}.skipped{color:#8d6e00}
a{color:#1f5f8b}.msg{font-size:12px;color:#c62828;white-space:pre-wrap}footer{padding:20px 40px;color:#7a8896;font-size:12px}
.msg.skipped{color:#8d6e00}tr.phase td{background:#f7f9fb;font-weight:600;color:#1f5f8b;font-size:13px}
.cards.data .card .v{font-size:18px}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.key{color:#7a8896;font-size:12px;font-family:monospace}h3{font-size:15px;margin:16px 0 6px 0}.small{font-size:12px;color:#5b6b7b}
"""


def data_summary(ws) -> dict:
    """Customers, buyers, orders, net revenue, period and sources of a client's database (for the report index)."""
    with ws.connect() as con:
        r = con.execute("""SELECT (SELECT count(*) FROM customers), count(DISTINCT customer_id), count(*),
                                  sum(net_amount), min(order_ts), max(order_ts) FROM sales""").fetchall()[0]
        n_src = con.execute("SELECT count(*) FROM load_log").fetchall()[0][0]
    return {"customers": int(r[0] or 0), "buyers": int(r[1] or 0), "orders": int(r[2] or 0),
            "revenue": float(r[3] or 0.0), "first": r[4], "last": r[5], "sources": int(n_src or 0)}


def _index_html(res: ReportResult, cfg, as_of, lang: str, currency: str, data: dict | None = None) -> str:
    title = html.escape(cfg.title or cfg.client)
    esc = html.escape
    # key-number cards: the headline numbers first, then the rest (all of them in the table further down)
    shown = [k for k in HEADLINE if k in res.kpis] + [k for k in res.kpis if k not in HEADLINE and k in KPI_INFO]
    shown = [k for k in shown if res.kpis[k] is not None]          # a number the data could not give: table only
    cards = []
    for k in shown[:16]:
        label, val = _fmt_kpi(k, res.kpis[k], lang, currency)
        cards.append(f'<div class="card" data-kpi="{esc(k)}"><div class="v">{val}</div>'
                     f'<div class="l">{esc(label)}</div></div>')
    data_html = ""
    if data:
        sym = {"USD": "$", "EUR": "€", "GBP": "£", "CNY": "¥"}.get(currency, currency + " ")
        period = (f"{data['first']:%Y-%m-%d} – {data['last']:%Y-%m-%d}" if data.get("first") is not None else "–")
        items = [(t("customers_n", lang), f"{data['customers']:,}"), (t("buyers_n", lang), f"{data['buyers']:,}"),
                 (t("orders_n", lang), f"{data['orders']:,}"), (t("revenue_total", lang), f"{sym}{data['revenue']:,.0f}"),
                 (t("period", lang), period), (t("sources_n", lang), f"{data['sources']:,}")]
        data_html = ('<div class="cards data">' + "".join(
            f'<div class="card small"><div class="v">{esc(v)}</div><div class="l">{esc(k)}</div></div>'
            for k, v in items) + "</div>")
    # the chapter list, by phase
    rows = []
    last_phase = None
    for r in res.runs:
        ch = _chapters.BY_FILE.get(r.file)
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
        rows.append(f'<tr data-chapter="{esc(r.file)}"><td>{esc(r.file.split("_")[0])}</td><td>{link}{msg}</td>'
                    f'<td class="{r.status}">{esc(status)}</td><td>{r.seconds:.0f} s</td></tr>')
    notes = []
    skipped = [r for r in res.runs if r.status == "skipped"]
    failed = [r for r in res.runs if r.status == "failed"]
    def chapter_name(f: str) -> str:
        ch = _chapters.BY_FILE.get(f)
        return f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}" if ch else f

    if skipped:
        notes.append(f"<h3>{esc(t('notes_skipped', lang))}</h3><ul>" + "".join(
            f'<li><a href="{r.file}.html">{esc(chapter_name(r.file))}</a>: {esc(r.message)}</li>'
            if (res.out / f"{r.file}.html").exists() else f"<li>{esc(chapter_name(r.file))}: {esc(r.message)}</li>"
            for r in skipped) + "</ul>")
    if failed:
        notes.append(f"<h3>{esc(t('notes_failed', lang))}</h3><ul>" + "".join(
            f"<li>{esc(r.message)}</li>" for r in failed) + "</ul>")
    if lang == "zh":
        notes.append(f"<p class=\"small\">{esc(t('language_note', lang))}</p>")
    downloads = []
    for fname, key in (("campaign_list.csv", "campaign_list"), ("kpis.json", "kpi_file")):
        if (res.out / fname).exists():
            downloads.append(f'<li><a href="{fname}">{esc(t(key, lang))}</a> ({fname})</li>')
    all_rows = "".join(
        f"<tr><td>{esc(_fmt_kpi(k, v, lang, currency)[0])}</td><td class=\"num\">{_fmt_kpi(k, v, lang, currency)[1]}</td>"
        f"<td class=\"key\">{esc(k)}</td></tr>" for k, v in sorted(res.kpis.items()))
    gen = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    th = "".join(f"<th>{esc(x)}</th>" for x in ("#", t("chapter", lang), t("status", lang), t("time", lang)))
    return f"""<!doctype html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — {esc(t('report_title', lang))}</title>
<style>{_CSS}</style></head><body>
<header><h1>{title}</h1><p>{esc(t('report_title', lang))} · {esc(t('analysis_date', lang))}: {as_of}
 · {esc(t('generated', lang))}: {gen}</p></header>
<main><h2>{esc(t('key_numbers', lang))}</h2><div class="cards">{''.join(cards) or '–'}</div>
{f"<h2>{esc(t('data', lang))}</h2>{data_html}" if data_html else ""}
<h2>{esc(t('chapters', lang))}</h2><table class="chapters"><tr>{th}</tr>{''.join(rows)}</table>
{f"<h2>{esc(t('notes', lang))}</h2>" + "".join(notes) if notes else ""}
<h2>{esc(t('downloads', lang))}</h2><ul>{''.join(downloads) or '<li>–</li>'}</ul>
{f"<h2>{esc(t('all_key_numbers', lang))}</h2><table class='kpis'>{all_rows}</table>" if all_rows else ""}</main>
<footer>dbmkit · {esc(cfg.client)}</footer></body></html>"""


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send this process's and its children's standard error (file descriptor 2) to ``path`` for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _failed_cell(executed: Path) -> tuple[int | None, str]:
    """Position (1-based, as in the chapter's own notebook) and first code line of the cell that raised."""
    import nbformat
    try:
        nb = nbformat.read(str(executed), as_version=4)
    except Exception:  # noqa: BLE001
        return None, ""
    k = 0
    for c in nb.cells:
        tags = c.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or any(t_.startswith("papermill-error") for t_ in tags):
            continue
        k += 1
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            return k, (lines[0][:60] if lines else "")
    return None, ""


def _neighbours_in(chs: list, ch, nb_dir: Path):
    """Previous and next chapter of this report run (chapters without a notebook have no page to link to)."""
    seq = [c for c in chs if (nb_dir / f"{c.file}.ipynb").exists() or c.file == ch.file]
    i = seq.index(ch)
    return (seq[i - 1] if i > 0 else None, seq[i + 1] if i + 1 < len(seq) else None)


def run_report(config, out: str | Path | None = None, workdir: str | Path | None = None,
               phases: list[str] | None = None, timeout: int | None = None, overrides: dict | None = None,
               progress: bool = True, include_cases: bool = False) -> ReportResult:
    """Execute the workbook for one client and write the report folder. Returns a :class:`ReportResult`."""
    import nbformat
    import papermill as pm
    from tqdm.auto import tqdm

    from .config import load_config
    from .workspace import Workspace

    t0 = time.time()
    cfg = load_config(config)
    cfg_path = Path(cfg.source_path) if cfg.source_path else None
    out = Path(out) if out else repo_root() / "reports" / cfg.client
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "notebooks").mkdir(exist_ok=True)
    for old in ("kpis.json", "campaign_list.csv"):
        if (out / old).exists():
            (out / old).unlink()
    saved_env = {k: os.environ.get(k) for k in ("DBMKIT_KPI_FILE", "DBMKIT_WORKDIR", "DBMKIT_REPORT_OUT",
                                                 "DBMKIT_CONFIG", "DBMKIT_LANGUAGE")}
    os.environ["DBMKIT_KPI_FILE"] = str(out / "kpis.json")
    os.environ["DBMKIT_REPORT_OUT"] = str(out)
    os.environ["DBMKIT_LANGUAGE"] = cfg.language
    os.environ.pop("DBMKIT_CONFIG", None)
    if workdir:
        os.environ["DBMKIT_WORKDIR"] = str(Path(workdir).resolve())
    if cfg_path is None:   # a config given as a dict: write it where the kernels can read it
        from .config import to_yaml
        cfg_path = out / f"{cfg.client}.yaml"
        cfg_path.write_text(to_yaml(cfg), encoding="utf-8")
    res = ReportResult(out=out, client=cfg.client)
    lang = cfg.language
    try:
        try:
            chs = _chapters.select(phases or cfg.report.phases, include_cases=include_cases)
        except ValueError as e:
            from .config import ConfigError
            raise ConfigError([("--phases" if phases else "report.phases", str(e))], source=cfg.source_path) from None
        ws = Workspace(cfg)
        if progress:
            print(f"[dbmkit] {cfg.client}: preparing the database in {ws.workdir} …", flush=True)
        ws.ensure_built(progress=(lambda m: print(f"[dbmkit]   {m}", flush=True)) if progress else None)
        params = {"config": str(cfg_path)}
        params.update({k.replace(".", "__"): v for k, v in (overrides or {}).items()})
        nb_dir = notebooks_dir()
        bar = tqdm(chs, desc=cfg.client, unit="chapter", disable=not progress, file=sys.stdout)
        subtitle = f"{cfg.title or cfg.client} · {t('analysis_date', lang)}: {ws.as_of.date()}"
        for old in out.glob("*.html"):              # pages of an earlier run must not survive as stale links
            if old.stem in _chapters.BY_FILE or old.name == "index.html":
                old.unlink()
        for ch in bar:
            bar.set_postfix_str(ch.file)
            run = ChapterRun(ch.file, ch.title)
            res.runs.append(run)
            src = nb_dir / f"{ch.file}.ipynb"
            dst = out / "notebooks" / f"{ch.file}.ipynb"
            prev, nxt = _neighbours_in(chs, ch, nb_dir)
            nav = " · ".join(x for x in (
                f'<a style="color:white" href="{prev.file}.html">← {html.escape(t("previous", lang))}</a>' if prev else "",
                f'<a style="color:white" href="{nxt.file}.html">{html.escape(t("next", lang))} →</a>' if nxt else "") if x)
            if not src.exists():
                run.status = "skipped"
                run.message = f"缺少笔记本 {src.name}" if lang == "zh" else f"notebook {src.name} not found"
                continue
            with ws.connect() as con:
                missing = _chapters.missing_inputs(ch, con)
            if missing:
                run.status, run.missing = "skipped", [k for k, _ in missing]
                run.message = ("inputs missing: " if lang != "zh" else "缺少数据：") + "; ".join(
                    (n.what_zh if lang == "zh" else n.what) for _, n in missing)
                (out / f"{ch.file}.html").write_text(skipped_page_html(ch, missing, lang, nav, cfg.client),
                                                      encoding="utf-8")
                if dst.exists():
                    dst.unlink()
                continue
            s = time.time()
            try:
                with _stderr_to(out / "kernels.log"):      # kernel chatter goes to a log, not the terminal
                    pm.execute_notebook(str(src), str(dst), parameters=params, cwd=str(nb_dir), kernel_name="python3",
                                        language="python", execution_timeout=timeout or cfg.report.timeout_per_notebook,
                                        progress_bar=False, log_output=False, request_save_on_cell_execute=False)
                run.status = "ok"
            except pm.PapermillExecutionError as e:
                run.status = "failed"
                run.cell, first_line = _failed_cell(dst)
                where = f"cell {run.cell} ({first_line!r})" if run.cell else f"cell {e.exec_count}"
                run.message = f"{ch.file}.ipynb, {where}: {e.ename}: {e.evalue}"
            except Exception as e:  # noqa: BLE001 - kernel died, timeout …: report it and go on
                run.status = "failed"
                run.message = f"{ch.file}.ipynb: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
            run.seconds = time.time() - s
            if dst.exists():
                try:
                    title = f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}"
                    run.masked = export_html(dst, out / f"{ch.file}.html", title, nav=nav, language=lang,
                                             subtitle=subtitle)["masked"]
                except Exception as e:  # noqa: BLE001
                    run.message += f" (HTML export failed: {e})"
            if run.status == "failed" and progress:
                print(f"\n[dbmkit] chapter failed — {run.message}", flush=True)
        kp = out / "kpis.json"
        res.kpis = json.loads(kp.read_text(encoding="utf-8")) if kp.exists() else {}
        kp.write_text(json.dumps(res.kpis, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        as_of = str(ws.as_of.date())
        try:
            data = data_summary(ws)
        except Exception:  # noqa: BLE001 - the index must be written even if the summary query fails
            data = None
        (out / "index.html").write_text(_index_html(res, cfg, as_of, lang, ws.currency, data), encoding="utf-8")
        (out / "status.json").write_text(json.dumps(
            {"client": cfg.client, "ok": res.ok, "seconds": round(time.time() - t0, 1),
             "chapters": [r.__dict__ for r in res.runs]}, indent=1), encoding="utf-8")
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    res.seconds = time.time() - t0
    return res
