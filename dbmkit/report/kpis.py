"""Key numbers (关键指标) a chapter records for its report, and the provenance line that closes every chapter.

In a notebook, ``record("gini", 0.61)`` stores a named number; with ``DBMKIT_KPI_FILE`` set (by the report runner
and the notebook tests) it is also written into that file, the report's ``kpis.json``. ``KPI_INFO`` holds the label
(English, 中文) and format of every known number; :func:`format_kpi` shows one for a page.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import platform
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..i18n import get_language, money, percent

__all__ = ["KPI_INFO", "HEADLINE", "CI_SUFFIXES", "SIGNIFICANCE", "record", "recorded", "format_kpi", "key_numbers",
           "provenance"]

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
    "clv_total": ("Total CLV (discounted margin; horizon 12 months unless configured)",
                  "客户终身价值合计（折现毛利；默认12个月期限）", "money"),
    "clv_holdout_error": ("CLV holdout error", "CLV验证误差", "pct"),
    "champions_share": ("RFM Champions (share of buyers)", "RFM冠军客户占比", "pct"),
    "rfm_breakeven_customers": ("Customers in break-even RFM cells", "盈亏平衡RFM单元客户数", "int"),
    "rfm_expected_profit": ("Expected profit of the selected RFM cells", "所选RFM单元预期利润", "money"),
    "rfm_expected_profit_ci_low": ("RFM cells' expected profit: CI low", "RFM单元预期利润置信下限", "money"),
    "rfm_expected_profit_ci_high": ("RFM cells' expected profit: CI high", "RFM单元预期利润置信上限", "money"),
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
    "expected_profit_ci_low": ("Expected profit: low (response rates at their 95 % lower bound)",
                               "预期利润下限（响应率取95%置信下限）", "money"),
    "expected_profit_ci_high": ("Expected profit: high (response rates at their 95 % upper bound)",
                                "预期利润上限（响应率取95%置信上限）", "money"),
    "expected_roi_ci_low": ("Expected ROI: low (response rates at their lower bound)", "预期投资回报率下限", "pct"),
    "expected_roi_ci_high": ("Expected ROI: high (response rates at their upper bound)", "预期投资回报率上限", "pct"),
    "mailing_depth_deciles": ("Mailing depth (deciles)", "投放深度（十分位）", "int"),
    "mailing_depth_deciles_ci_low": ("Best mailing depth at the response rates' lower bound",
                                     "按响应率下限的最优投放深度", "int"),
    "mailing_depth_deciles_ci_high": ("Best mailing depth at the response rates' upper bound",
                                      "按响应率上限的最优投放深度", "int"),
    "campaign_response_rate_treatment": ("Response rate: treatment", "目标组响应率", "pct"),
    "campaign_response_rate_control": ("Response rate: control", "对照组响应率", "pct"),
    "campaign_lift": ("Lift over control (points)", "相对对照组提升", "pct"),
    "campaign_lift_ci_low": ("Lift: 95 % CI low", "提升95%置信下限", "pct"),
    "campaign_lift_ci_high": ("Lift: 95 % CI high", "提升95%置信上限", "pct"),
    "campaign_p_value": ("p-value", "p值", "float"),
    "campaign_alpha": ("Significance level of the campaign test", "活动检验的显著性水平", "float"),
    "campaign_true_lift": ("True lift (synthetic truth)", "真实提升（合成数据）", "pct"),
    "campaign_incremental_profit": ("Incremental profit", "增量利润", "money"),
    "campaign_incremental_profit_ci_low": ("Incremental profit: CI low", "增量利润置信下限", "money"),
    "campaign_incremental_profit_ci_high": ("Incremental profit: CI high", "增量利润置信上限", "money"),
    "campaign_roi": ("Campaign ROI", "活动投资回报率", "pct"),
    "campaign_roi_ci_low": ("Campaign ROI: CI low", "活动投资回报率置信下限", "pct"),
    "campaign_roi_ci_high": ("Campaign ROI: CI high", "活动投资回报率置信上限", "pct"),
    "email_open_rate": ("E-mail open rate", "邮件打开率", "pct"),
    "email_open_rate_ci_low": ("E-mail open rate: CI low", "邮件打开率置信下限", "pct"),
    "email_open_rate_ci_high": ("E-mail open rate: CI high", "邮件打开率置信上限", "pct"),
    "email_ctor": ("E-mail click-to-open rate", "邮件点击打开率", "pct"),
    "email_ctor_ci_low": ("E-mail click-to-open rate: CI low", "邮件点击打开率置信下限", "pct"),
    "email_ctor_ci_high": ("E-mail click-to-open rate: CI high", "邮件点击打开率置信上限", "pct"),
    "uplift_qini": ("Uplift model Qini", "增量模型Qini系数", "float"),
    "uplift_qini_truth": ("Qini of ranking by the true uplift (synthetic truth)", "按真实增量排序的Qini（合成数据）",
                          "float"),
    "uplift_projected_profit": ("Profit the uplift model projects", "增量模型预测利润", "money"),
    "uplift_observed_profit": ("Observed profit of the deciles the model picks", "模型所选十分位的实际利润", "money"),
    "uplift_observed_profit_ci_low": ("Observed profit of the model's deciles: CI low",
                                      "模型所选十分位实际利润置信下限", "money"),
    "uplift_observed_profit_ci_high": ("Observed profit of the model's deciles: CI high",
                                       "模型所选十分位实际利润置信上限", "money"),
    "uplift_lower_bound_deciles": ("Deciles that pay at the lower bound", "下限仍盈利的十分位数", "int"),
    # case studies (chapters 90, 91)
    "cj_redemption_rate": ("Complete Journey: coupon redemption rate", "Complete Journey：优惠券核销率", "pct"),
    "cj_redemption_type_a": ("Complete Journey: redemption, Type A", "Complete Journey：A类活动核销率", "pct"),
    "cj_redemption_type_b": ("Complete Journey: redemption, Type B", "Complete Journey：B类活动核销率", "pct"),
    "cj_redemption_type_c": ("Complete Journey: redemption, Type C", "Complete Journey：C类活动核销率", "pct"),
    "cj_households_reached": ("Complete Journey: households reached", "Complete Journey：触达家庭数", "int"),
    "cj_champions_redemption_index": ("Complete Journey: Champions' redemption index",
                                      "Complete Journey：冠军客户核销指数", "float"),
    "cdnow_bgnbd_r": ("CDNOW: BG/NBD r", "CDNOW：BG/NBD参数r", "float"),
    "cdnow_bgnbd_log_likelihood": ("CDNOW: BG/NBD log-likelihood", "CDNOW：BG/NBD对数似然", "float"),
    "cdnow_repeat_customers": ("CDNOW: repeat customers (39 weeks)", "CDNOW：重复购买客户（39周）", "int"),
    "cdnow_holdout_error": ("CDNOW: holdout forecast error", "CDNOW：验证期预测误差", "pct"),
    "cdnow_gg_p": ("CDNOW: Gamma-Gamma p", "CDNOW：Gamma-Gamma参数p", "float"),
}
# chapters 27 and 32 (customer description, forecast, spend regression; triggers, loyalty)
KPI_INFO.update({
    "defector_share": ("Defectors (lost) among buyers", "流失客户占购买客户比例", "pct"),
    "forecast_mape": ("Forecast error in the backtest (MAPE)", "回测预测误差（MAPE）", "pct"),
    "forecast_next_total": ("Forecast revenue, next 6 months", "未来6个月预测收入", "money"),
    "spend_model_r2": ("Spend model R² (holdout)", "消费回归 R²（验证集）", "float"),
    "spend_naive_r2": ("Naive spend forecast R² (holdout)", "朴素消费预测 R²（验证集）", "float"),
    "spend_model_truth_r2": ("Spend model R² vs the true next year", "消费回归对真实次年的 R²", "float"),
    "in_market_customers": ("Customers in market for a category now", "当前有品类购买意向的客户", "int"),
    "triggers_next_month": ("Trigger contacts next month", "下月触发式接触人数", "float"),
    "loyalty_required_lift": ("Loyalty programme: break-even spend lift", "忠诚计划：盈亏平衡所需消费提升", "pct"),
})

# a key number's interval is recorded beside it as <name>_ci_low / <name>_ci_high (the index card shows it); a number
# that rests on a significance test names the p-value that judges it, the key of the test's level (default: the
# config's campaign.significance) and what was tested ("" = the number itself, "lift" = the response lift it comes with)
CI_SUFFIXES = ("_ci_low", "_ci_high")
SIGNIFICANCE: dict[str, tuple[str, str, str]] = {
    "campaign_lift": ("campaign_p_value", "campaign_alpha", ""),
    "campaign_roi": ("campaign_p_value", "campaign_alpha", "lift"),
    "campaign_incremental_profit": ("campaign_p_value", "campaign_alpha", "lift"),
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


def format_kpi(name: str, value, lang: str, currency: str) -> tuple[str, str]:
    """Label and display text of a key number in ``lang`` ("en" or "zh"), in the format ``KPI_INFO`` gives it
    (int, pct, money in ``currency``, float, text); an unknown name is labelled from its words.

    >>> format_kpi("top20_revenue_share", 0.612, "en", "USD")
    ('Revenue from the top 20 %', '61.2 %')
    >>> format_kpi("clv_total", 1234567.8, "zh", "CNY")
    ('客户终身价值合计（折现毛利；默认12个月期限）', '¥123万')
    """
    en, zh, kind = KPI_INFO.get(name, (name.replace("_", " ").capitalize(), name, "float"))
    label = zh if lang == "zh" else en
    if value is None:
        return label, "–"
    if kind == "int":
        return label, f"{int(round(float(value))):,}"
    if kind == "pct":
        return label, percent(value)
    if kind == "money":           # in yuan on a Chinese page with 万/亿 (¥123.5万), else in full ($1,234,568)
        zh_yuan = lang == "zh" and (currency or "").upper() == "CNY"
        return label, money(value, currency, compact=zh_yuan, decimals=0, lang=lang)
    if isinstance(value, (int, float)):
        return label, f"{float(value):,.3g}" if abs(float(value)) < 1000 else f"{float(value):,.0f}"
    return label, html.escape(str(value))


def key_numbers(names, ws=None, lang: str | None = None, currency: str | None = None):
    """The chapter's key numbers as a small table — label and value, formatted as on the report's index — instead
    of a printed dict. ``names``: names recorded with :func:`record` (a list), or a dict name → value (numbers not
    recorded can be shown too); ``ws`` gives the language and currency.

    >>> print(key_numbers({"rows_read": 633913, "top20_revenue_share": 0.612, "expected_profit": -2500.0},
    ...                   lang="en", currency="USD"))
                   key number   value
                    Rows read 633,913
    Revenue from the top 20 %  61.2 %
              Expected profit −$2,500
    """
    from ..display import Table
    lang = lang or (ws.language if ws is not None else get_language())
    currency = currency if currency is not None else (ws.currency if ws is not None else "")
    values = dict(names) if isinstance(names, dict) else {n: _KPIS.get(n) for n in names}
    rows = [format_kpi(k, v, lang, currency) for k, v in values.items()]
    head = ("关键指标", "数值") if lang == "zh" else ("key number", "value")
    cells = pd.DataFrame([(label, html.unescape(val)) for label, val in rows], columns=list(head), dtype=object)
    return Table(cells)


def _version_of(module: str, distribution: str) -> str:
    """A library's version without importing it when the chapter did not (importing scikit-learn only to print
    its version costs a chapter about a second).

    >>> _version_of("numpy", "numpy") == np.__version__
    True
    """
    import sys
    if module in sys.modules:
        return getattr(sys.modules[module], "__version__", "?")
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def provenance(ws=None, seed: int | None = None):
    """Versions, data fingerprint, seed and run time — the closing cell of every chapter (as Markdown)."""
    import duckdb
    from IPython.display import Markdown

    lang = ws.language if ws is not None and getattr(ws, "language", None) else get_language()

    rows = [("dbmkit", __version__), ("Python", platform.python_version()), ("pandas", pd.__version__),
            ("NumPy", np.__version__), ("DuckDB", duckdb.__version__),
            ("scikit-learn", _version_of("sklearn", "scikit-learn"))]
    if ws is not None:
        cfg = ws.cfg
        rows += [("client", cfg.client), ("config", Path(cfg.source_path).name if cfg.source_path else "(dict)"),
                 ("data fingerprint", ws.fingerprint()), ("analysis date", str(ws.as_of.date())),
                 ("database built", ws.meta.get("built_at", "?")),
                 ("seed", str(cfg.data.synthetic.seed if cfg.is_synthetic else cfg.seed))]
        if getattr(ws, "overrides", None):               # dbmkit report --set, or workspace(overrides=…)
            rows.append(("settings changed", ", ".join(f"{k}={v}" for k, v in ws.overrides.items())))
    elif seed is not None:
        rows.append(("seed", str(seed)))
    kind = os.environ.get("DBMKIT_CHAPTER_KIND")         # set by the report runner for each chapter
    if kind in ("overridden", "added"):
        rows.append(("chapter", "the client's own copy of the standard chapter" if kind == "overridden"
                     else "a client chapter"))
    rows.append(("run at", dt.datetime.now().isoformat(timespec="seconds")))
    if lang == "zh":
        text = "**运行信息** — " + " · ".join(f"{PROVENANCE_ZH.get(k, k)}：`{PROVENANCE_ZH.get(v, v)}`"
                                              for k, v in rows)
    else:
        text = "**Provenance** — " + " · ".join(f"{k}: `{v}`" for k, v in rows)
    return Markdown(text)


# the names of the provenance line (and the two chapter kinds) on a Chinese page
PROVENANCE_ZH = {"client": "客户", "config": "配置文件", "data fingerprint": "数据指纹", "analysis date": "分析日期",
                 "database built": "数据库构建时间", "seed": "随机种子", "settings changed": "修改的设置",
                 "chapter": "章节", "run at": "运行时间",
                 "the client's own copy of the standard chapter": "客户自己的标准章节副本",
                 "a client chapter": "客户专属章节"}
