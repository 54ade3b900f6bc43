"""Exercises of chapter 12 (store and protect: SQL on the marketing database, consent, retention).

12.1 and 12.2 ask the student to write SQL, 12.5 to decide which channel to plan on from the suppression lists;
12.3 and 12.4 are counts whose usual mistakes (suppression rows instead of customers, orders instead of customers)
are diagnosed. Worked solutions are in instructor/ch12.yaml, not here.
"""
from __future__ import annotations

from . import exercise

CHANNELS = ("email", "sms", "mail")       # 12.5's choices for every client; WeChat and app push where priced


def channels(ws) -> tuple:
    """The channels 12.5 compares: e-mail, SMS and mail, and the app channels (WeChat, app push) the client's
    contact costs price (``economics.cost_per_contact``: the CNY defaults do), as the campaign plan would use them.

    >>> from types import SimpleNamespace as NS
    >>> channels(NS(cfg=NS(economics=NS(cost_per_contact={"email": 0.02, "sms": 0.06, "mail": 0.85}))))
    ('email', 'sms', 'mail')
    >>> channels(NS(cfg=NS(economics=NS(cost_per_contact={"email": 0.03, "wechat": 0.01, "app_push": 0.005}))))
    ('email', 'sms', 'mail', 'wechat', 'app_push')
    """
    from ..campaign.settings import APP_CHANNELS
    costs = ws.cfg.economics.cost_per_contact
    return CHANNELS + tuple(c for c in APP_CHANNELS if c in costs)


def _customers(ws) -> int:
    return int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0])


def reachable(ws, channel: str) -> int:
    """Customers who may be contacted on ``channel`` today: everyone minus the distinct suppressed customers."""
    from ..database import suppression_list
    return _customers(ws) - int(suppression_list(ws, channel)["customer_id"].nunique())


@exercise("12.1", "SQL: net revenue per sales channel, largest first",
          hint="From the view `sales` (completed orders and returns): SELECT channel, sum(net_amount) AS revenue "
               "… GROUP BY channel ORDER BY revenue DESC. Answer with the DataFrame ws.sql(...) returns "
               "(two columns, one row per channel).")
def _revenue(ws):
    q = "SELECT channel, sum(net_amount) AS revenue FROM sales GROUP BY channel ORDER BY revenue DESC"
    return ws.sql(q)


@exercise("12.2", "SQL: customers who bought in at least two channels",
          hint="Write it from the view `sales`: one row per customer (GROUP BY customer_id) kept when the customer "
               "has at least two distinct channels (HAVING count(DISTINCT channel) >= 2), then count the rows. "
               "The single customer view's column `channels` gives the same number to check yourself.")
def _multichannel(ws):
    q = """SELECT count(*) AS n FROM (SELECT customer_id FROM sales WHERE net_amount > 0 GROUP BY customer_id
           HAVING count(DISTINCT channel) >= 2)"""
    return int(ws.sql(q)["n"].iloc[0])


def _two_orders(ws):
    q = """SELECT count(*) AS n FROM (SELECT customer_id FROM sales WHERE net_amount > 0 GROUP BY customer_id
           HAVING count(DISTINCT order_id) >= 2)"""
    return int(ws.sql(q)["n"].iloc[0])


def _cv_multichannel(ws):
    return int(ws.sql("SELECT count(*) AS n FROM customer_view WHERE channels >= 2")["n"].iloc[0])


@exercise("12.3", "Customers who may receive an e-mail today",
          hint="Everyone in customers minus everyone on the e-mail suppression list: "
               "dbm.database.suppression_list(ws, 'email') has one row per customer and reason, so count distinct "
               "customer_id.")
def _emailable(ws):
    return reachable(ws, "email")


def _suppression_rows_subtracted(answer, expected, ws, **_):
    from ..database import suppression_list
    from .compare import as_number
    return as_number(answer) == _customers(ws) - len(suppression_list(ws, "email"))


def _suppressed_not_reachable(answer, expected, ws, **_):
    from .compare import as_number
    return as_number(answer) == _customers(ws) - expected


@exercise("12.4", "Customers a 2-year retention rule would erase",
          hint="dbm.database.stale_customers(ws, ws.as_of, years=2) lists the customers without any purchase, "
               "contact, consent change or sign-up in the last two years; count them.")
def _stale(ws):
    from ..database import stale_customers
    return int(len(stale_customers(ws, ws.as_of, years=2)))


def _no_purchase_2y(answer, expected, ws, **_):
    """The student counted customers without a purchase in two years (ignoring contacts, consents, sign-ups)."""
    import pandas as pd

    from .compare import as_number
    q = """SELECT count(*) AS n FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id =
           c.customer_id AND CAST(o.order_ts AS DATE) >= ?)"""
    n = int(ws.sql(q, [(ws.as_of - pd.DateOffset(years=2)).date()])["n"].iloc[0])
    return n != expected and as_number(answer) == n


@exercise("12.5", "Decide: the channel that reaches the most customers today",
          hint="For each of email, sms and mail — and wechat and app_push where the client's contact costs price "
               "them — count the customers who may be contacted (everyone minus the distinct customers of "
               "dbm.database.suppression_list(ws, channel)); answer with the channel ('email', 'sms', 'mail', "
               "'wechat' or 'app_push' — or its Chinese name).")
def _best_channel(ws):
    counts = {ch: reachable(ws, ch) for ch in channels(ws)}
    return max(counts, key=counts.get)


def _smallest_list(answer, expected, ws, **_):
    """The student picked the channel with the shortest suppression list rows, not the most reachable people."""
    from ..database import suppression_list
    from .compare import norm_label
    rows = {ch: len(suppression_list(ws, ch)) for ch in channels(ws)}
    fewest = min(rows, key=rows.get)
    return fewest != expected and norm_label(answer) == fewest


META = {
    "12.1": {"kind": "table"},
    "12.2": {
        "kind": "count",
        "accept": [_cv_multichannel],
        "other_counts": {"customers with at least two orders": _two_orders},
        "diagnoses": [(lambda a, e, ws, **_: isinstance(a, str) or hasattr(a, "columns") and a.shape[0] > 1,
                       "answer with one number: the count of customers (SELECT count(*) FROM (…))")],
    },
    "12.3": {
        "kind": "count",
        "diagnoses": [
            (_suppression_rows_subtracted,
             "you subtracted the rows of the suppression list — a customer can be on it for several reasons: "
             "count distinct customer_id"),
            (_suppressed_not_reachable, "this is the number of suppressed customers — the question asks how many "
                                        "may still receive an e-mail"),
        ],
    },
    "12.4": {
        "kind": "count",
        "diagnoses": [(_no_purchase_2y,
                       "you counted customers without a purchase only — the retention rule also keeps anyone with a "
                       "contact, a consent change or a sign-up in the two years")],
    },
    "12.5": {
        "kind": "label",
        "diagnoses": [(_smallest_list, "that channel has the fewest suppression rows, but a customer can be "
                                       "suppressed for several reasons — compare the distinct customers who may "
                                       "be contacted")],
    },
}

ZH = {
    "12.1": {
        "title": "SQL：各销售渠道的净收入，从大到小",
        "hint": "从视图 `sales`（已完成的订单和退货）查询：SELECT channel, sum(net_amount) AS revenue "
                "… GROUP BY channel ORDER BY revenue DESC。请提交 ws.sql(...) 返回的 DataFrame（两列，每个渠道一行）。",
        "diagnoses": [],
    },
    "12.2": {
        "title": "SQL：在至少两个渠道购买过的客户",
        "hint": "在视图 `sales` 上写查询：每位客户一行（GROUP BY customer_id），保留至少有两个不同渠道的客户"
                "（HAVING count(DISTINCT channel) >= 2），再统计行数。统一客户视图的 `channels` 列给出同样的数字，"
                "可以用来自己核对。",
        "diagnoses": ["请回答一个数字：客户的人数（SELECT count(*) FROM (…)）"],
    },
    "12.3": {
        "title": "今天可以接收邮件的客户",
        "hint": "customers 中的所有人减去邮件排除名单上的所有人：dbm.database.suppression_list(ws, 'email') "
                "中每位客户的每个原因各占一行，所以要统计不同的 customer_id。",
        "diagnoses": [
            "你减去的是排除名单的行数——一位客户可能因多个原因被排除：请统计不同的 customer_id",
            "这是被排除的客户数——题目问的是还有多少客户可以接收邮件",
        ],
    },
    "12.4": {
        "title": "2 年数据保留规则会删除的客户",
        "hint": "dbm.database.stale_customers(ws, ws.as_of, years=2) 列出过去两年内没有任何购买、联系、同意变更"
                "或注册的客户；统计他们的人数。",
        "diagnoses": [
            "你只统计了没有购买的客户——数据保留规则还会保留两年内有过联系、同意变更或注册的客户",
        ],
    },
    "12.5": {
        "title": "决策：今天能触达最多客户的渠道",
        "hint": "分别对 email、sms 和 mail（客户的接触成本为 wechat 和 app_push 定了价时，也包括这两个渠道）统计"
                "可以联系的客户数（全部客户减去 dbm.database.suppression_list(ws, channel) 中不同的客户）；"
                "回答渠道名称（'email'、'sms'、'mail'、'wechat' 或 'app_push'——也可以用中文名称：邮件、短信、直邮、"
                "微信、App推送）。",
        "diagnoses": [
            "这个渠道的排除名单行数最少，但一位客户可能因多个原因被排除——要比较可以联系的不同客户数",
        ],
    },
}
