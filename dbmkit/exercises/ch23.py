"""Exercises of chapter 23 (customer lifetime value).

23.1–23.3 compute by hand what the chapter's helpers and models give (the retention formula, the historical CLV,
the share of repeat buyers the purchase model must reproduce); 23.4 reads the tiers; 23.5 decides which CLV
belongs beside an acquisition cost. ``META`` (read by the exercise engine) gives each exercise its kind and the
diagnoses of the usual mistakes.
"""
from __future__ import annotations

import pandas as pd

from . import exercise
from .mistakes import close, letter, safe_meta, share_is_percent

PERCENT = share_is_percent()


# --------------------------------------------------------------------------------------------- 23.1 the formula
def _retention_inputs(ws) -> tuple[float, float, float]:
    from ..clv import retention_rate
    rr = retention_rate(ws).iloc[0]
    return float(rr["margin_per_retained"]), float(rr["retention_rate"]), float(ws.cfg.economics.annual_discount_rate)


def _formula(ws, variant: str = "forever") -> float:
    m, r, d = _retention_inputs(ws)
    if variant == "one_year":
        return m * r / (1 + d)
    if variant == "undiscounted":
        return m * r / (1 - r)
    if variant == "margin_now":
        return m * (1 + d) / (1 + d - r)
    return m * r / (1 + d - r)


@exercise("23.1", "Retention-formula CLV, by hand",
          hint="dbm.clv.retention_rate(ws) gives retention_rate (r) and margin_per_retained (m); d is "
               "ws.cfg.economics.annual_discount_rate. With no horizon: m × r / (1 + d − r).")
def _retention(ws):
    from ..clv import retention_clv
    m, r, d = _retention_inputs(ws)
    return float(retention_clv(m, r, d))


# --------------------------------------------------------------------------------------- 23.2 historical CLV
def _with_acquisition(ws) -> pd.DataFrame:
    s = ws.table("customer_summary")
    return s.merge(ws.sql("SELECT customer_id, acquisition_cost FROM customers"), on="customer_id", how="left")


def _historical_mean(ws, value: str = "margin_total", acquisition: bool = True, over_all_customers: bool = False):
    d = _with_acquisition(ws)
    v = d[value].astype(float).fillna(0.0)
    if acquisition:
        v = v - d["acquisition_cost"].astype(float).fillna(0.0)
    if over_all_customers:
        return float(v.sum() / int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]))
    return float(v.mean())


@exercise("23.2", "Average historical CLV, by hand",
          hint="Join the acquisition_cost of ws.sql('SELECT customer_id, acquisition_cost FROM customers') to the "
               "customer summary; historical CLV = margin_total − acquisition_cost (a missing cost counts as 0); "
               "average it over the customers who bought.",
          rel_tol=0.005, abs_tol=0.01)
def _historical(ws):
    from ..clv import historical_clv
    return float(historical_clv(_with_acquisition(ws), acquisition_cost_col="acquisition_cost")["historical_clv"]
                 .mean())


# ------------------------------------------------------------------------------------------- 23.3 repeat rate
def _repeat_share(ws, column: str = "frequency", at_least: int = 1) -> float:
    s = ws.table("customer_summary")
    return float((s[column] >= at_least).mean())


@exercise("23.3", "Share of customers with a repeat purchase, without a model",
          hint="In the customer summary, frequency counts repeat purchase days: the share of customers with "
               "frequency ≥ 1.",
          rel_tol=0.001)
def _repeat(ws):
    return _repeat_share(ws)


# ----------------------------------------------------------------------------------------------- 23.4 tiers
def _tier_share(ws, column: str = "clv", of_customers: bool = False) -> float:
    c = ws.table("clv")
    top = c["value_tier"] == "platinum"
    return float(top.mean()) if of_customers else float(c.loc[top, column].sum() / c[column].sum())


@exercise("23.4", "Share of total CLV held by the platinum tier",
          hint="In ws.table('clv'), sum clv for value_tier == 'platinum' and divide by the total clv.",
          rel_tol=0.005)
def _platinum(ws):
    return _tier_share(ws)


# -------------------------------------------------------------------------------------------- 23.5 CLV : CAC
CAC_CHOICES = {
    "a": "the 12-month model CLV: the model predicts the next year best",
    "b": "a long-horizon (e.g. 10-year) discounted CLV, over the same horizon for every channel: the one-off cost "
         "buys the whole relationship, and discounting already makes later years count less",
    "c": "the retention-formula CLV without discounting: it has no horizon, so it covers the whole relationship",
    "d": "the historical CLV: it is measured, not predicted",
}


@exercise("23.5", "Which CLV goes beside a one-off acquisition cost?",
          hint="What does the acquisition cost buy: one year of purchases, or the customer for as long as they stay? "
               "And what makes next decade's margin worth less than today's?")
def _cac(ws=None):
    return "b"


META = {
    "23.1": {
        "kind": "money",
        "diagnoses": [
            (lambda a, e, ws, **k: close(a, _formula(ws, "one_year")),
             "that is one year only (periods=1); the question asks for no horizon: m × r / (1 + d − r)"),
            (lambda a, e, ws, **k: close(a, _formula(ws, "undiscounted")),
             "you left out the discount rate: m × r / (1 + d − r) with d = economics.annual_discount_rate"),
            (lambda a, e, ws, **k: close(a, _formula(ws, "margin_now")),
             "you counted this year's margin too: the formula starts with next year's, m × r / (1 + d − r)"),
        ],
    },
    "23.2": {
        "kind": "money",
        "diagnoses": [
            (lambda a, e, ws, **k: close(a, _historical_mean(ws, "monetary_total")),
             "you used revenue, not margin: historical CLV is margin_total − acquisition_cost"),
            (lambda a, e, ws, **k: close(a, _historical_mean(ws, acquisition=False)) and not close(a, e),
             "you left out the acquisition cost: subtract it (a missing cost counts as 0)"),
            (lambda a, e, ws, **k: close(a, _historical_mean(ws, over_all_customers=True)) and not close(a, e),
             "you divided by every customer in the database; average over the customers who bought (the summary)"),
        ],
    },
    "23.3": {
        "kind": "share",
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, 1 - e, rel=0.001) and not close(a, e, rel=0.001),
             "that is the share of one-time buyers; the question asks for customers with a repeat purchase"),
            (lambda a, e, ws, **k: close(a, _repeat_share(ws, "n_orders", 2), rel=0.001)
             and not close(a, e, rel=0.001),
             "you counted customers with two orders; a repeat purchase is a purchase *day* after the first "
             "(frequency), so several orders on one day count once"),
        ],
    },
    "23.4": {
        "kind": "share",
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, _tier_share(ws, of_customers=True), rel=0.05),
             "that is the tier's share of customers (about 2 %); the question asks its share of CLV"),
            (lambda a, e, ws, **k: close(a, _tier_share(ws, "clv_revenue")) and not close(a, e),
             "you used expected revenue (clv_revenue); CLV is margin: use the clv column"),
        ],
    },
    "23.5": {
        "kind": "choice",
        "choices": CAC_CHOICES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: letter(a) == "a",
             "12 months covers only the first year of what the acquisition cost buys: the ratio looks worse than "
             "it is and good channels get cut"),
            (lambda a, e, ws=None, **k: letter(a) == "c",
             "without discounting, margin in 20 years counts as much as today's: the ratio looks better than it is"),
            (lambda a, e, ws=None, **k: letter(a) == "d",
             "a new customer has no history yet: the cost is paid for what they will bring, a prediction"),
        ],
    },
}
safe_meta(META)

PERCENT_ZH = "这看起来是百分数——请给出0到1之间的比例"
ZH = {
    "23.1": {
        "title": "手工计算留存率公式CLV",
        "hint": "dbm.clv.retention_rate(ws) 给出 retention_rate（r）和 margin_per_retained（m）；d 是 "
                "ws.cfg.economics.annual_discount_rate。没有时间范围时：m × r / (1 + d − r)。",
        "diagnoses": [
            "这只是一年的价值（periods=1）；题目要求没有时间范围：m × r / (1 + d − r)",
            "你漏掉了折现率：m × r / (1 + d − r)，其中 d = economics.annual_discount_rate",
            "你把今年的毛利也算进去了：公式从明年的毛利算起，m × r / (1 + d − r)",
        ],
    },
    "23.2": {
        "title": "手工计算平均历史客户价值",
        "hint": "把 ws.sql('SELECT customer_id, acquisition_cost FROM customers') 的 acquisition_cost "
                "合并到客户汇总表；历史客户价值 = margin_total − acquisition_cost（缺失的成本按0计）；"
                "对购买过的客户求平均。",
        "diagnoses": [
            "你用的是收入而不是毛利：历史客户价值是 margin_total − acquisition_cost",
            "你漏掉了获客成本：要减去它（缺失的成本按0计）",
            "你除以了数据库中的全部客户；应对购买过的客户（客户汇总表）求平均",
        ],
    },
    "23.3": {
        "title": "不用模型：有过重复购买的客户比例",
        "hint": "在客户汇总表中，frequency 统计的是重复购买的天数：求 frequency ≥ 1 的客户比例。",
        "diagnoses": [
            PERCENT_ZH,
            "这是只买过一次的客户比例；题目问的是有过重复购买的客户",
            "你统计的是有两笔订单的客户；重复购买指首次之后的一个购买*日*（frequency），同一天的多笔订单只算一次",
        ],
    },
    "23.4": {
        "title": "铂金层占CLV总额的比例",
        "hint": "在 ws.table('clv') 中，对 value_tier == 'platinum' 的 clv 求和，再除以 clv 总和。",
        "diagnoses": [
            PERCENT_ZH,
            "这是该层占客户人数的比例（约2%）；题目问的是它占CLV的比例",
            "你用的是预期收入（clv_revenue）；CLV 是毛利：请用 clv 列",
        ],
    },
    "23.5": {
        "title": "一次性的获客成本应与哪一个CLV比较？",
        "hint": "获客成本买到的是什么：一年的购买，还是客户留下来的整个期间？"
                "又是什么让下一个十年的毛利不如今天的值钱？",
        "diagnoses": [
            "12个月只覆盖了获客成本所买到价值的第一年：比值显得比实际差，好渠道会被砍掉",
            "不折现的话，20年后的毛利和今天的同样值钱：比值显得比实际好",
            "新客户还没有历史：这笔成本是为他将来带来的价值而付，那是一个预测",
        ],
    },
}
