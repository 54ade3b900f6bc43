"""Exercises of chapter 20 (explore: customers and revenue over time).

20.1 and 20.5 ask the student to build the number by hand (SQL or pandas) before the chapter's helper shows it,
20.2 to decide which acquisition channel's budget to question; the usual mistakes (orders counted instead of
customers, revenue per customer instead of per order, a percent for a share) are diagnosed. Worked solutions are in
instructor/ch20.yaml, not here.
"""
from __future__ import annotations

from . import exercise


def _active_days(ws, active_days):
    return int(active_days if active_days is not None else ws.cfg.analysis.active_days)


@exercise("20.1", "Build it: active customers at the analysis date",
          hint="Count DISTINCT customers with a completed order between ws.as_of − active_days and ws.as_of: "
               "in SQL on `orders` (status = 'completed', CAST(order_ts AS DATE) in the window), or with pandas: "
               "(ws.table('customer_summary')['days_since_last'] <= active_days).sum().")
def _active(ws, active_days=None):
    from ..explore import customers_active
    return customers_active(ws, active_days)


def _active_by_summary(ws, active_days=None):
    cs = ws.table("customer_summary")
    return int((cs["days_since_last"] <= _active_days(ws, active_days)).sum())


def _orders_in_window(ws, active_days=None):
    import pandas as pd
    d = ws.as_of.date()
    q = """SELECT count(*) AS n FROM orders WHERE status = 'completed' AND CAST(order_ts AS DATE) <= ?
           AND CAST(order_ts AS DATE) >= ?"""
    return int(ws.sql(q, [d, d - pd.Timedelta(days=_active_days(ws, active_days))])["n"].iloc[0])


def _all_buyers(ws, active_days=None):
    return int(len(ws.table("customer_summary")))


@exercise("20.2", "Decide: the acquisition channel whose budget to question first",
          hint="dbm.explore.churn_by_channel(ws, period_days=…) lists the churn rate per acquisition channel; the "
               "channel with the highest churn rate loses the most of its customers. Answer with its name as a "
               "string (e.g. 'store', or 门店).")
def _worst_channel(ws, period_days=365):
    from ..explore import churn_by_channel
    c = churn_by_channel(ws, period_days=period_days)
    return str(c[c["group"] != "(all)"].sort_values("churn_rate", ascending=False)["group"].iloc[0])


def _most_churned(answer, expected, ws, period_days=365, **_):
    """The student picked the channel that lost the most customers in number, not in rate."""
    from ..explore import churn_by_channel
    from .compare import norm_label
    c = churn_by_channel(ws, period_days=period_days)
    c = c[c["group"] != "(all)"]
    biggest = str(c.sort_values("churned", ascending=False)["group"].iloc[0])
    return biggest != expected and norm_label(answer) == norm_label(biggest)


@exercise("20.3", "How many times more a multi-channel customer spends per order",
          hint="dbm.explore.multichannel_spend(ws.table('customer_summary')) has revenue_per_order for the rows "
               "'multi' and 'single'; divide one by the other. Per order, not per customer: multi-channel customers "
               "order more often, and part of that is why they found a second channel.")
def _multi_ratio(ws):
    from ..explore import multichannel_spend
    m = multichannel_spend(ws.table("customer_summary")).set_index("channels")
    return float(m.loc["multi", "revenue_per_order"] / m.loc["single", "revenue_per_order"])


def _per_customer(answer, expected, ws, **_):
    from ..explore import multichannel_spend
    from .compare import as_number
    m = multichannel_spend(ws.table("customer_summary")).set_index("channels")
    r = float(m.loc["multi", "revenue_per_customer"] / m.loc["single", "revenue_per_customer"])
    a = as_number(answer)
    return a is not None and abs(a - r) <= 1e-3 * abs(r)


def _inverted(answer, expected, ws, **_):
    from .compare import as_number
    a = as_number(answer)
    return a is not None and expected != 0 and abs(a - 1 / expected) <= 1e-3 / abs(expected)


@exercise("20.4", "The month with the most new customers",
          hint="Find the row of dbm.explore.customers_over_time(ws) with the largest new_customers and answer with "
               "its month as text 'YYYY-MM'.")
def _peak_month(ws):
    from ..explore import customers_over_time
    f = customers_over_time(ws)
    return f.loc[f["new_customers"].idxmax(), "month"].strftime("%Y-%m")


@exercise("20.5", "Build it: the share of buyers who use more than one channel",
          hint="With pandas on ws.table('customer_summary'): the customers with channels_used >= 2 divided by all "
               "customers of the table — a share between 0 and 1.")
def _multi_share(ws):
    cs = ws.table("customer_summary")
    return float((cs["channels_used"] >= 2).mean())


def _multi_count(answer, expected, ws, **_):
    from .compare import as_number
    return as_number(answer) == int((ws.table("customer_summary")["channels_used"] >= 2).sum())


META = {
    "20.1": {
        "kind": "count",
        "accept": [_active_by_summary],
        "other_counts": {"orders in the window (count DISTINCT customer_id)": _orders_in_window,
                         "all customers who ever bought": _all_buyers},
    },
    "20.2": {
        "kind": "label",
        # acquisition channels the i18n table does not name (store, web, app, catalog, e-mail … it does)
        "labels": {"affiliate": ["联盟推广", "联盟营销"], "social": ["社交媒体"],
                   "web_search": ["搜索引擎", "网络搜索"], "referral": ["推荐", "老客推荐"], "partner": ["合作伙伴"]},
        "diagnoses": [(_most_churned, "that channel lost the most customers in number because it brought the most; "
                                      "compare the churn RATE (churned ÷ active at the start)")],
    },
    "20.3": {
        "kind": "number",
        "rel_tol": 1e-3,
        "diagnoses": [(_per_customer, "this is the ratio of revenue per customer — the question asks per order"),
                      (_inverted, "you divided single by multi — divide the multi-channel value by the "
                                  "single-channel one")],
    },
    "20.4": {"kind": "label"},
    "20.5": {
        "kind": "share",
        "diagnoses": [(_multi_count, "this is the number of multi-channel customers — divide by all customers "
                                     "to get the share")],
    },
}

ZH = {
    "20.1": {
        "title": "动手做：分析日期当天的活跃客户数",
        "hint": "统计在 ws.as_of − active_days 到 ws.as_of 之间至少有一笔已完成订单的不同客户（DISTINCT）："
                "可以在 `orders` 上用 SQL（status = 'completed'，CAST(order_ts AS DATE) 落在窗口内），也可以用 pandas："
                "(ws.table('customer_summary')['days_since_last'] <= active_days).sum()。",
    },
    "20.2": {
        "title": "做决策：首先质疑哪个获客渠道的预算",
        "hint": "dbm.explore.churn_by_channel(ws, period_days=…) 列出了每个获客渠道的流失率；流失率最高的渠道，"
                "流失掉的客户比例最大。以字符串回答渠道名称（例如 'store' 或“门店”）。",
        "diagnoses": ["这个渠道流失的客户人数最多，是因为它带来的客户最多；"
                      "请比较流失率（流失人数 ÷ 窗口开始时的活跃客户数）"],
    },
    "20.3": {
        "title": "多渠道客户每笔订单的消费是单渠道客户的多少倍",
        "hint": "dbm.explore.multichannel_spend(ws.table('customer_summary')) 的 'multi' 和 'single' 两行有 "
                "revenue_per_order，用前者除以后者。要按订单而不是按客户计算：多渠道客户下单更频繁，"
                "这也是他们会尝试第二个渠道的部分原因。",
        "diagnoses": ["这是按客户计算的收入之比——题目问的是按订单计算",
                      "你用单渠道除以了多渠道——应当用多渠道的数值除以单渠道的数值"],
    },
    "20.4": {
        "title": "新客户最多的月份",
        "hint": "在 dbm.explore.customers_over_time(ws) 中找出 new_customers 最大的那一行，"
                "以文本 'YYYY-MM' 回答它的月份。",
    },
    "20.5": {
        "title": "动手做：使用多个渠道的买家占比",
        "hint": "用 pandas 处理 ws.table('customer_summary')：channels_used >= 2 的客户数除以表中全部客户数——"
                "得到0到1之间的比例。",
        "diagnoses": ["这是多渠道客户的人数——除以全部客户数才是占比"],
    },
}
