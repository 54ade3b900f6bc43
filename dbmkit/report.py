"""Client reports: run the workbook with papermill, export HTML without code, collect the key numbers.

In a notebook, ``record("gini", 0.61)`` stores a named number; the report runner collects them into
``kpis.json``. ``run_report(config)`` executes the chapters in order (parameters: the config path and overrides),
writes one HTML page per chapter (no code cells, figures embedded), the executed notebooks, ``kpis.json`` and an
``index.html`` with the client, the date, the key numbers and links to every chapter. A failing chapter is named
with its cell and error; the report still shows everything that ran.
"""
from __future__ import annotations

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
from .i18n import t

__all__ = ["record", "recorded", "provenance", "run_report", "ReportResult", "KPI_INFO", "notebooks_dir",
           "export_html", "repo_root"]

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
def export_html(nb_path: Path, html_path: Path, title: str, nav: str = "", language: str = "en") -> None:
    """A chapter page without code: inputs, prompts, parameter/exercise cells and stderr removed; links to
    other chapters point at their HTML pages."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    nb = nbformat.read(str(nb_path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"\(([\w\-]+)\.ipynb\)", r"(\1.html)", cell.source)
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    trp = TagRemovePreprocessor(remove_cell_tags={"parameters", "injected-parameters", "exercise", "remove",
                                                  "solution", "nav"})
    exporter.register_preprocessor(trp, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    banner = (f'<div style="font-family:sans-serif;padding:8px 16px;background:#1f5f8b;color:white">'
              f'<a style="color:white" href="index.html">← {html.escape(t("back_to_index", language))}</a> {nav}</div>')
    body = body.replace("<body", "<body data-dbmkit-chapter=\"1\"", 1)
    body = re.sub(r"(<body[^>]*>)", r"\1" + banner.replace("\\", "\\\\"), body, count=1)
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    html_path.write_text(body, encoding="utf-8")


# ------------------------------------------------------------------------------------------------ runner
@dataclass
class ChapterRun:
    file: str
    title: str
    status: str = "pending"        # ok | failed | skipped
    seconds: float = 0.0
    message: str = ""
    cell: int | None = None


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
"""


def _index_html(res: ReportResult, cfg, as_of, lang: str, currency: str) -> str:
    title = html.escape(cfg.title or cfg.client)
    cards = []
    shown = [k for k in HEADLINE if k in res.kpis] + [k for k in res.kpis if k not in HEADLINE]
    for k in shown[:24]:
        label, val = _fmt_kpi(k, res.kpis[k], lang, currency)
        cards.append(f'<div class="card" data-kpi="{html.escape(k)}"><div class="v">{val}</div>'
                     f'<div class="l">{html.escape(label)}</div></div>')
    rows = []
    for r in res.runs:
        ch = _chapters.BY_FILE.get(r.file)
        name = (ch.title_zh if lang == "zh" else ch.title) if ch else r.file
        link = f'<a href="{r.file}.html">{html.escape(name)}</a>' if r.status in ("ok", "failed") else html.escape(name)
        status = t("status_" + r.status, lang)
        msg = f'<div class="msg">{html.escape(r.message)}</div>' if r.message else ""
        rows.append(f"<tr><td>{html.escape(r.file.split('_')[0])}</td><td>{link}{msg}</td>"
                    f'<td class="{r.status}">{status}</td><td>{r.seconds:.0f} s</td></tr>')
    downloads = []
    for fname, key in (("campaign_list.csv", "campaign_list"), ("kpis.json", "kpi_file")):
        if (res.out / fname).exists():
            downloads.append(f'<li><a href="{fname}">{html.escape(t(key, lang))}</a> ({fname})</li>')
    gen = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html><html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — {html.escape(t('report_title', lang))}</title>
<style>{_CSS}</style></head><body>
<header><h1>{title}</h1><p>{html.escape(t('report_title', lang))} · {html.escape(t('analysis_date', lang))}: {as_of}
 · {html.escape(t('generated', lang))}: {gen}</p></header>
<main><h2>{html.escape(t('key_numbers', lang))}</h2><div class="cards">{''.join(cards) or '–'}</div>
<h2>{html.escape(t('chapters', lang))}</h2><table><tr><th>#</th><th></th><th></th><th></th></tr>{''.join(rows)}</table>
<h2>{html.escape(t('downloads', lang))}</h2><ul>{''.join(downloads) or '<li>–</li>'}</ul></main>
<footer>dbmkit · {html.escape(cfg.client)}</footer></body></html>"""


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
        chs = _chapters.select(phases or cfg.report.phases, include_cases=include_cases)
        ws = Workspace(cfg)
        if progress:
            print(f"[dbmkit] {cfg.client}: preparing the database in {ws.workdir} …", flush=True)
        ws.ensure_built(progress=(lambda m: print(f"[dbmkit]   {m}", flush=True)) if progress else None)
        params = {"config": str(cfg_path)}
        params.update({k.replace(".", "__"): v for k, v in (overrides or {}).items()})
        nb_dir = notebooks_dir()
        bar = tqdm(chs, desc=cfg.client, unit="chapter", disable=not progress, file=sys.stdout)
        for ch in bar:
            bar.set_postfix_str(ch.file)
            run = ChapterRun(ch.file, ch.title)
            res.runs.append(run)
            src = nb_dir / f"{ch.file}.ipynb"
            dst = out / "notebooks" / f"{ch.file}.ipynb"
            if not src.exists():
                run.status, run.message = "skipped", f"notebook {src.name} not found"
                continue
            s = time.time()
            try:
                pm.execute_notebook(str(src), str(dst), parameters=params, cwd=str(nb_dir), kernel_name="python3", language="python",
                                    execution_timeout=timeout or cfg.report.timeout_per_notebook,
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
                    prev, nxt = _chapters.neighbours(ch.file)
                    nav = " · ".join(x for x in (
                        f'<a style="color:white" href="{prev.file}.html">← {html.escape(t("previous", lang))}</a>' if prev else "",
                        f'<a style="color:white" href="{nxt.file}.html">{html.escape(t("next", lang))} →</a>' if nxt else "") if x)
                    title = f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}"
                    export_html(dst, out / f"{ch.file}.html", title, nav=nav, language=lang)
                except Exception as e:  # noqa: BLE001
                    run.message += f" (HTML export failed: {e})"
            if run.status == "failed" and progress:
                print(f"\n[dbmkit] chapter failed — {run.message}", flush=True)
        kp = out / "kpis.json"
        res.kpis = json.loads(kp.read_text(encoding="utf-8")) if kp.exists() else {}
        kp.write_text(json.dumps(res.kpis, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        as_of = str(ws.as_of.date())
        (out / "index.html").write_text(_index_html(res, cfg, as_of, lang, ws.currency), encoding="utf-8")
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
