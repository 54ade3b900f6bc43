"""Labels in English and Chinese for charts, tables and the report (``language: en | zh`` in the config).

``t(key)`` returns the label in the current language; unknown keys come back unchanged, so a chart never fails
for want of a translation. Modules add their labels with ``add({...})`` at import time.

>>> set_language("zh"); t("customers")
'客户'
>>> set_language("en"); t("customers")
'Customers'
"""
from __future__ import annotations

import os

__all__ = ["t", "add", "set_language", "get_language", "LABELS"]

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
