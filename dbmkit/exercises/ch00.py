"""Exercises of chapter 00 (start here): two exact counts and two questions on the four phases.

``META`` (read by the exercise engine) gives each exercise its kind and the diagnoses of the usual mistakes.
"""
from __future__ import annotations

from . import exercise
from .mistakes import letter, near_not_exact, safe_meta, same_int


def _n(ws, query: str) -> int:
    return int(ws.sql(query)["n"].iloc[0])


def _customers_rows(ws) -> int:
    return _n(ws, "SELECT count(*) AS n FROM customers")


def _buyers(ws) -> int:
    return _n(ws, "SELECT count(DISTINCT customer_id) AS n FROM orders WHERE status = 'completed'")






@exercise("00.1", "Customers in the database",
          hint="Count the rows of the customers table with SQL: ws.sql('SELECT count(*) AS n FROM customers').",
          rel_tol=0, abs_tol=0)
def _customers(ws):
    return _customers_rows(ws)


@exercise("00.2", "Customers who have bought",
          hint="Count each customer once: SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'completed'.",
          rel_tol=0, abs_tol=0)
def _bought(ws):
    return _buyers(ws)


@exercise("00.3", "Which phase: one person twice in the files",
          hint="Which phase turns the client's files into one record per person?")
def _phase_duplicates(ws=None):
    return "a"


@exercise("00.4", "Which phase: did the mailing pay?",
          hint="Comparing what happened with a control group is measuring a result.")
def _phase_result(ws=None):
    return "d"


PHASES = {"a": "1 Build (数据库建设)", "b": "2 Analyse (数据分析)", "c": "3 Plan (营销策略制定)",
          "d": "4 Evaluate (结果评估)"}




META = {
    "00.1": {
        "kind": "count",
        "diagnoses": [
            (lambda a, e, ws, **k: same_int(a, _n(ws, "SELECT count(*) AS n FROM orders")),
             "you counted orders, not customers — count the rows of the customers table"),
            (lambda a, e, ws, **k: same_int(a, _buyers(ws)),
             "you counted only the customers who have bought; the customers table also holds people who never did"),
            (lambda a, e, ws, **k: same_int(a, _n(ws, "SELECT count(*) AS n FROM customers "
                                               "WHERE NOT coalesce(is_test, false)")) and not same_int(a, e),
             "you left out the test accounts; the question asks for every row of the customers table"),
            (lambda a, e, ws, **k: near_not_exact(a, e),
             "close, but a count must be exact: run the query and copy the number, do not round it"),
        ],
    },
    "00.2": {
        "kind": "count",
        "diagnoses": [
            (lambda a, e, ws, **k: same_int(a, _n(ws, "SELECT count(*) AS n FROM orders WHERE status = 'completed'")),
             "you counted orders, not customers — count DISTINCT customer_id"),
            (lambda a, e, ws, **k: same_int(a, _n(ws, "SELECT count(DISTINCT customer_id) AS n FROM orders"))
             and not same_int(a, e),
             "you also counted customers whose only orders were cancelled or returned: keep status = 'completed'"),
            (lambda a, e, ws, **k: same_int(a, _customers_rows(ws)) and not same_int(a, e),
             "that is every customer in the database, also those who never bought"),
            (lambda a, e, ws, **k: near_not_exact(a, e),
             "close, but a count must be exact: run the query and copy the number, do not round it"),
        ],
    },
    "00.3": {
        "kind": "choice",
        "choices": PHASES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: letter(a) == "b",
             "analysis needs one record per person first — finding duplicates is part of building the database"),
            (lambda a, e, ws=None, **k: letter(a) in ("c", "d"),
             "planning and evaluation use the database; the duplicates must be merged before anything is counted"),
        ],
    },
    "00.4": {
        "kind": "choice",
        "choices": PHASES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: letter(a) == "c",
             "the control group is set aside when planning, but comparing the results afterwards is evaluation"),
            (lambda a, e, ws=None, **k: letter(a) in ("a", "b"),
             "the question is whether a campaign worked: that is measured after it ran"),
        ],
    },
}
safe_meta(META)

ZH = {
    "00.1": {"title": "数据库中的客户数",
             "hint": "用 SQL 数一数 customers 表的行数：ws.sql('SELECT count(*) AS n FROM customers')。",
             "diagnoses": ["你数的是订单，不是客户——请数 customers 表的行数",
                           "你只数了购买过的客户；customers 表里还有从未购买过的人",
                           "你漏掉了测试账户；题目要的是 customers 表的全部行",
                           "很接近，但计数必须精确：运行查询并照抄结果，不要四舍五入"]},
    "00.2": {"title": "购买过的客户数",
             "hint": "每位客户只计一次：SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'completed'。",
             "diagnoses": ["你数的是订单，不是客户——请用 count(DISTINCT customer_id)",
                           "你把订单全部被取消或退货的客户也算进去了：请保留 status = 'completed'",
                           "这是数据库中的全部客户，也包括从未购买过的人",
                           "很接近，但计数必须精确：运行查询并照抄结果，不要四舍五入"]},
    "00.3": {"title": "属于哪个阶段：同一个人在文件中出现两次",
             "hint": "哪个阶段把客户的各个文件变成每人一条记录？",
             "diagnoses": ["分析需要先做到每人一条记录——查找重复记录是建设数据库的一部分",
                           "策划和评估都要使用数据库；在计数之前必须先合并重复记录"]},
    "00.4": {"title": "属于哪个阶段：这次直邮划算吗？",
             "hint": "把实际结果与对照组相比较，就是在衡量结果。",
             "diagnoses": ["对照组是在策划时留出的，但事后比较结果属于评估",
                           "问题是营销活动是否奏效：这要在活动执行之后才能衡量"]},
}
