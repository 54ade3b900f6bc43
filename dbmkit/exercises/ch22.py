"""Exercises of chapter 22 (value: deciles, Pareto and profitability).

22.1 and 22.2 build the decile and the top-20 % share by hand before the chapter's helpers show them; 22.3 decides
how deep to mail; 22.4 counts the unprofitable customers. ``META`` (read by the exercise engine) gives each
exercise its kind, other correct forms and the diagnoses of the usual mistakes.
"""
from __future__ import annotations

import pandas as pd

from . import exercise
from .mistakes import close, safe_meta, same_int, share_is_percent

COST_PER_CONTACT = 2.0      # 22.3: cost of one catalogue
UPLIFT = 0.02               # 22.3: extra margin a catalogue brings, as a share of the customer's margin to date


def _summary(ws) -> pd.DataFrame:
    return ws.table("customer_summary")


def _top_decile_share(ws, value: str = "monetary_total") -> float:
    from ..value import decile_table
    return float(decile_table(_summary(ws), value=value, profit=None)["value_share"].iloc[0])


def _qcut_share(ws, top: bool = True, value: str = "monetary_total") -> float:
    """The student's way: deciles with pandas qcut on the rank (1 = the best customer)."""
    v = _summary(ws)[value].astype(float).fillna(0.0)
    dec = pd.qcut(v.rank(method="first", ascending=False), 10, labels=range(1, 11))
    return float(v[dec == (1 if top else 10)].sum() / v.sum())


def _top20(ws, clip: bool = True) -> float:
    from ..value import pareto
    if clip:
        return float(pareto(_summary(ws), top_shares=(0.2,))["value_share"].iloc[0])
    v = _summary(ws)["monetary_total"].astype(float).fillna(0.0).sort_values(ascending=False)
    return float(v.head(int(round(0.2 * len(v)))).sum() / v.sum())


def _bottom20(ws) -> float:
    v = _summary(ws)["monetary_total"].astype(float).fillna(0.0).sort_values()
    return float(v.head(int(round(0.2 * len(v)))).sum() / v.sum())


def _mailing_depth(ws, per_customer: str = "profit", cost_per_contact: float = COST_PER_CONTACT,
                   uplift: float = UPLIFT) -> int:
    """Mailing from decile 1 down, the last decile whose extra margin per contact still covers the cost."""
    from ..value import decile_table
    d = decile_table(_summary(ws), value="monetary_total", profit="margin_total", n=10)
    mean = d[per_customer] / d["customers"] if per_customer == "profit" else d["mean_value"]
    pays = (uplift * mean >= cost_per_contact).tolist()
    return int(pays.index(False)) if False in pays else len(pays)


def _unprofitable(ws, cost_per_return: float = 0.0, include_acquisition: bool = True) -> int:
    from ..value import profitability
    p = profitability(ws, cost_per_return=cost_per_return, include_acquisition=include_acquisition)
    return int(p["unprofitable"].sum())






PERCENT = share_is_percent()


@exercise("22.1", "Top decile's share of sales, by hand",
          hint="Rank the customers by monetary_total (ascending=False, so rank 1 is the best), cut the ranks into "
               "10 groups with pd.qcut(..., 10, labels=range(1, 11)), then sum decile 1 and divide by the total.",
          rel_tol=0.005)
def _ex_top_decile(ws):
    return _top_decile_share(ws)


@exercise("22.2", "Top 20 % share of sales, by hand",
          hint="Sort monetary_total from the largest, take the first 20 % of the customers (round(0.2 × n)) and "
               "divide their sum by the total.",
          rel_tol=0.005)
def _ex_top20(ws):
    return _top20(ws)


@exercise("22.3", "How deep to mail the catalogue",
          hint="Per decile: extra margin per contact = uplift × the decile's mean margin to date (profit ÷ "
               "customers in dbm.value.decile_table). Go down from decile 1 and stop before the first decile where "
               "that is below the cost per contact.",
          rel_tol=0, abs_tol=0)
def _ex_depth(ws, cost_per_contact=COST_PER_CONTACT, uplift=UPLIFT):
    return _mailing_depth(ws, cost_per_contact=cost_per_contact, uplift=uplift)


@exercise("22.4", "Unprofitable customers",
          hint="dbm.value.profitability(ws, cost_per_return=cost_per_return, include_acquisition=True) and count "
               "the customers flagged unprofitable (contribution below zero after acquisition cost).",
          rel_tol=0, abs_tol=0)
def _ex_unprofitable(ws, cost_per_return=0.0):
    return _unprofitable(ws, cost_per_return=cost_per_return)




META = {
    "22.1": {
        "kind": "share",
        "accept": [lambda ws, **k: _qcut_share(ws)],
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, _qcut_share(ws, top=False)),
             "that is the lowest 10 %: rank with ascending=False so that decile 1 holds the best customers"),
            (lambda a, e, ws, **k: close(a, 0.1, rel=0.02),
             "0.1 is the decile's share of customers; the question asks its share of net revenue"),
            (lambda a, e, ws, **k: close(a, _top_decile_share(ws, "margin_total")) and not close(a, e),
             "you used margin, not revenue — rank and sum monetary_total"),
        ],
    },
    "22.2": {
        "kind": "share",
        "accept": [lambda ws, **k: _top20(ws, clip=False)],
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, _bottom20(ws)),
             "that is the least valuable 20 %: sort from the largest value"),
            (lambda a, e, ws, **k: close(a, 0.8, rel=0.001) and not close(a, e),
             "0.8 is what the rule claims; compute this client's share from the data"),
            (lambda a, e, ws, **k: close(a, _top_decile_share(ws)) and not close(a, e),
             "that is the top 10 %; take the first 20 % of the customers"),
        ],
    },
    "22.3": {
        "kind": "count",
        "diagnoses": [
            (lambda a, e, ws, **k: same_int(a, _mailing_depth(ws, "mean_value", **k)) and not same_int(a, e),
             "you used revenue, not margin: the extra margin is uplift × the decile's mean margin to date"),
            (lambda a, e, ws, **k: same_int(a, e + 1),
             "one too deep: that decile is the first one whose extra margin does not cover the cost"),
            (lambda a, e, ws, **k: same_int(a, e - 1) and e > 1,
             "one too shallow: the decile you left out still covers its cost (≥ counts as paying)"),
        ],
    },
    "22.4": {
        "kind": "count",
        "diagnoses": [
            (lambda a, e, ws, **k: same_int(a, _unprofitable(ws, k.get("cost_per_return", 0.0), False))
             and not same_int(a, e),
             "you left out the acquisition cost: use include_acquisition=True"),
            (lambda a, e, ws, **k: same_int(a, _unprofitable(ws, 0.0)) and not same_int(a, e),
             "you left out the handling cost of returns: pass the chapter's cost_per_return"),
            (lambda a, e, ws, **k: 0 < float(a) < 1 if isinstance(a, (int, float)) else False,
             "this looks like a share — the question asks for the number of customers"),
        ],
    },
}
safe_meta(META)

_PERCENT_ZH = "这看起来是一个百分比——请给出0到1之间的比例"
ZH = {
    "22.1": {
        "title": "手工计算第1个十分位的销售额占比",
        "hint": "按 monetary_total 给客户排名（ascending=False，名次1是最好的客户），用 pd.qcut(..., 10, "
                "labels=range(1, 11)) 把名次切成10组，再把第1个十分位的净收入相加，除以总净收入。",
        "diagnoses": [_PERCENT_ZH,
                      "这是价值最低的10%：排名时用 ascending=False，让第1个十分位是最好的客户",
                      "0.1 是这个十分位占客户人数的比例；题目问的是它占净收入的比例",
                      "你用的是毛利而不是收入——请对 monetary_total 排名并求和"],
    },
    "22.2": {
        "title": "手工计算前20%客户的销售额占比",
        "hint": "把 monetary_total 从大到小排序，取前20%的客户（round(0.2 × n) 位），用他们的合计除以总额。",
        "diagnoses": [_PERCENT_ZH,
                      "这是价值最低的20%：请从最大的数值开始排序",
                      "0.8 是这条法则的说法；请根据数据算出这家客户自己的比例",
                      "这是前10%的比例；请取前20%的客户"],
    },
    "22.3": {
        "title": "目录应当邮寄到多深",
        "hint": "对每个十分位：每次接触的额外毛利 = uplift × 该十分位截至目前的平均毛利（dbm.value.decile_table 中的 "
                "profit ÷ customers）。从第1个十分位往下，在第一个低于每次接触成本的十分位之前停下。",
        "diagnoses": ["你用的是收入而不是毛利：额外毛利 = uplift × 该十分位截至目前的平均毛利",
                      "深了一个：这个十分位正是第一个额外毛利不足以覆盖成本的十分位",
                      "浅了一个：你去掉的那个十分位仍然能覆盖成本（≥ 算作划算）"],
    },
    "22.4": {
        "title": "不盈利的客户",
        "hint": "用 dbm.value.profitability(ws, cost_per_return=cost_per_return, include_acquisition=True)，"
                "数出被标记为不盈利的客户（计入获客成本后贡献小于零）。",
        "diagnoses": ["你漏掉了获客成本：请使用 include_acquisition=True",
                      "你漏掉了退货处理成本：请传入本章的 cost_per_return",
                      "这看起来是一个比例——题目问的是客户人数"],
    },
}
