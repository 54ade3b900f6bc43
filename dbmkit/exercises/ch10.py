"""Exercises of chapter 10 (collect: sources, mapping and quarantine).

10.1 builds the reconciliation per source with SQL on ``load_log``; 10.2 names the file with most quarantined rows;
10.3 decides which of four exports to refuse (the expected answer comes from loading the four files); 10.4 writes the
CDNOW mapping and counts its customers; 10.5 counts the anonymous sales. ``META`` (read by the exercise engine) gives
each exercise its kind and the diagnoses of the usual mistakes.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from . import exercise
from .mistakes import choice_letter

RECON_COLUMNS = ["source", "rows_loaded", "rows_quarantined"]


def _recon_sql(ws) -> pd.DataFrame:
    return ws.sql("""SELECT source, sum(rows_loaded) AS rows_loaded, sum(rows_quarantined) AS rows_quarantined
                     FROM load_log GROUP BY source ORDER BY source""")


def _recon_rows(df) -> list[tuple] | None:
    """(source file name, loaded, quarantined) rows of a table, sorted; None when it is not such a table."""
    try:
        if not isinstance(df, pd.DataFrame) or not set(RECON_COLUMNS) <= set(df.columns):
            return None
        rows = [(Path(str(s)).name if not str(s).startswith("sql:") else str(s), int(a), int(b))
                for s, a, b in df[RECON_COLUMNS].itertuples(index=False)]
        return sorted(rows)
    except Exception:  # noqa: BLE001 - a comparison must never break a notebook
        return None


def _same_recon(answer, expected) -> bool:
    a, e = _recon_rows(answer), _recon_rows(expected)
    return a is not None and a == e


@exercise("10.1", "Rows loaded and quarantined per source, in SQL",
          hint="One row per source: SELECT source, sum(rows_loaded) AS rows_loaded, sum(rows_quarantined) AS "
               "rows_quarantined FROM load_log GROUP BY source — answer with the DataFrame ws.sql(...) returns.",
          compare=_same_recon)
def _ex_recon(ws):
    return _recon_sql(ws)


def _by_table(a, e, ws=None, **k) -> bool:
    try:
        return isinstance(a, pd.DataFrame) and "source" not in a.columns and "table_name" in a.columns
    except Exception:  # noqa: BLE001
        return False


def _a_total(a, e, ws=None, **k) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool)


def _read_not_loaded(a, e, ws=None, **k) -> bool:
    try:
        if not isinstance(a, pd.DataFrame) or "rows_read" not in a.columns or "rows_loaded" in a.columns:
            return False
        return True
    except Exception:  # noqa: BLE001
        return False


@exercise("10.2", "The source file with the most quarantined rows",
          hint="Sort your table of 10.1 (or dbm.database.reconciliation(ws)) by rows_quarantined, largest first, and "
               "answer with the file name in the `source` column (a string such as 'orders.csv').",
          compare=lambda answer, expected: isinstance(answer, str) and Path(answer.strip()).name in expected)
def _worst_file(ws):
    from ..database import reconciliation
    r = reconciliation(ws)
    return set(r.loc[r["rows_quarantined"] == r["rows_quarantined"].max(), "source"])     # any of a tie is right


def _most_read(a, e, ws=None, **k) -> bool:
    try:
        from ..database import reconciliation
        r = reconciliation(ws)
        top = set(r.loc[r["rows_read"] == r["rows_read"].max(), "source"])
        return isinstance(a, str) and Path(a.strip()).name in top - set(e)
    except Exception:  # noqa: BLE001
        return False


# 10.3: four exports of an orders file; the expected answer is the one whose rows cannot be loaded at all
REFUSE_CHOICES = {
    "a": "orders.csv with dates written three ways in one column (2024-03-05, 05/03/2024, 2024年3月5日)",
    "b": "orders.csv with amounts written $1,234.50 and ¥1200",
    "c": "orders.csv whose order date column is empty on every row (the export left it out)",
    "d": "orders.csv in which one order line appears twice (two overlapping exports)",
}
REFUSE_CHOICES_ZH = {   # the options as the Chinese page writes them (accepted as answers too)
    "a": "同一列中的日期有三种写法（2024-03-05、05/03/2024、2024年3月5日）",
    "b": "金额写作 $1,234.50 和 ¥1200",
    "c": "每一行的订单日期列都是空的（导出时漏掉了）",
    "d": "同一条订单明细出现了两次（两份导出范围重叠）",
}
_HEADER = "order_no,customer,order_date,amount\n"
REFUSE_FILES = {
    "a": _HEADER + "1,C1,2024-03-05,10.00\n2,C2,05/03/2024,12.50\n3,C3,2024年3月5日,8.00\n",
    "b": _HEADER + "1,C1,2024-03-05,\"$1,234.50\"\n2,C2,2024-03-06,¥1200\n3,C3,2024-03-07,8.00\n",
    "c": _HEADER + "1,C1,,10.00\n2,C2,,12.50\n3,C3,,8.00\n",
    "d": _HEADER + "1,C1,2024-03-05,10.00\n2,C2,2024-03-06,12.50\n2,C2,2024-03-06,12.50\n3,C3,2024-03-07,8.00\n",
}
_REFUSE_MAPPING = {"order_id": "order_no", "customer_id": "customer", "order_ts": "order_date", "net_amount": "amount"}


def refuse_log() -> pd.DataFrame:
    """Load each of the four exports of 10.3 through ingest; one load-log row per option."""
    from ..ingest import load_sources
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for letter, text in REFUSE_FILES.items():
            (Path(d) / f"{letter}.csv").write_text(text, encoding="utf-8")
            con, log = load_sources({"orders": {"path": f"{letter}.csv", "columns": _REFUSE_MAPPING}}, base_dir=d)
            con.close()
            rows.append({"option": letter, **log[["rows_read", "rows_loaded", "rows_quarantined"]].iloc[0].to_dict()})
    return pd.DataFrame(rows)


def _letter(answer) -> str | None:
    return choice_letter(answer, REFUSE_CHOICES, REFUSE_CHOICES_ZH)


@exercise("10.3", "Which export would you refuse?",
          hint="Ask of each file: does ingest read it (formats of dates and amounts are its job), does it lose one "
               "row to quarantine (fix the source later), or can no row be used at all? Answer with a letter.",
          compare=lambda answer, expected: _letter(answer) == expected)
def _ex_refuse(ws=None):
    log = refuse_log()
    return str(log.loc[log["rows_loaded"] == 0, "option"].iloc[0])


def _cdnow_path():
    from ..datasets.real import data_dir
    return Path(data_dir()) / "cdnow" / "CDNOW_sample.csv"


def _cdnow_counts() -> tuple[int, int]:
    from ..ingest import load_sources
    con, _ = load_sources({"orders": {"path": str(_cdnow_path()), "date_format": "%Y%m%d", "columns": {
        "customer_id": "customer_id", "order_ts": "date", "net_amount": "dollars"}}})
    try:
        rows, customers = con.execute("SELECT count(*), count(DISTINCT customer_id) FROM src_orders").fetchall()[0]
    finally:
        con.close()
    return int(rows), int(customers)


@exercise("10.4", "Customers in the CDNOW sample, loaded through your own mapping",
          hint="Map the CSV's columns onto orders (customer_id, order_ts ← date, net_amount ← dollars; date_format "
               "'%Y%m%d'), load it with dbm.ingest.load_sources({'orders': {...}}) and count DISTINCT customer_id "
               "in src_orders — customers, not rows.",
          rel_tol=0, abs_tol=0)
def _cdnow_customers(ws=None):
    return _cdnow_counts()[1]


@exercise("10.5", "Sales without a customer id (anonymous sales)",
          hint="Anonymous sales are kept in their own table: count its rows — "
               "ws.sql('SELECT count(*) AS n FROM anonymous_sales').",
          rel_tol=0, abs_tol=0)
def _anonymous(ws):
    return int(ws.sql("SELECT count(*) AS n FROM anonymous_sales")["n"].iloc[0])


def _number_near(a, value) -> bool:
    try:
        return float(a) == float(value)
    except (TypeError, ValueError):
        return False


def _anon_amount(a, e, ws=None, **k) -> bool:
    try:
        amount = float(ws.sql("SELECT coalesce(sum(net_amount), 0) AS a FROM anonymous_sales")["a"].iloc[0])
        return float(a) != float(e) and abs(float(a) - amount) <= max(1.0, 0.005 * abs(amount))
    except Exception:  # noqa: BLE001
        return False


def _anon_share(a, e, ws=None, **k) -> bool:
    try:
        return 0 < float(a) < 1
    except (TypeError, ValueError):
        return False


META = {
    "10.1": {
        "kind": "table",
        "diagnoses": [
            (_a_total, "give the table, one row per source — not a total"),
            (_by_table, "you grouped by table_name; a table can have several source files — GROUP BY source"),
            (_read_not_loaded, "rows_read is what was read; the question asks for rows_loaded and "
                               "rows_quarantined"),
        ],
    },
    "10.2": {
        "kind": "label",
        "diagnoses": [
            (lambda a, e, ws=None, **k: not isinstance(a, str), "answer with the file name, a string such as "
                                                               "'orders.csv' — not a number of rows"),
            (_most_read, "that is the file with most rows read, not most rows quarantined — sort by "
                         "rows_quarantined"),
        ],
    },
    "10.3": {
        "kind": "choice",
        "choices": REFUSE_CHOICES,
        "diagnoses": [
            (lambda a, e, ws=None, **k: _letter(a) in ("a", "b"),
             "mixed date formats and currency symbols are reading problems that ingest solves value by value; the "
             "rows load — refuse a file only when no row can be used"),
            (lambda a, e, ws=None, **k: _letter(a) == "d",
             "a duplicated line costs one row, which goes to quarantine with its reason; the rest of the file loads "
             "— tell the source's owner, do not refuse the file"),
        ],
    },
    "10.4": {
        "kind": "count",
        "diagnoses": [
            (lambda a, e, ws=None, **k: _number_near(a, _cdnow_counts()[0]),
             "you counted purchases (rows), not customers — count DISTINCT customer_id"),
        ],
    },
    "10.5": {
        "kind": "count",
        "diagnoses": [
            (_anon_amount, "that is the anonymous sales' amount; the question asks how many sales — count rows"),
            (_anon_share, "this looks like a share of sales — give the number of anonymous sales"),
        ],
    },
}

ZH = {
    "10.1": {
        "title": "用 SQL 统计每个数据源的入库行数和隔离行数",
        "hint": "每个数据源一行：SELECT source, sum(rows_loaded) AS rows_loaded, sum(rows_quarantined) AS "
                "rows_quarantined FROM load_log GROUP BY source——请提交 ws.sql(...) 返回的 DataFrame。",
        "diagnoses": [
            "请给出表格，每个数据源一行——而不是一个总数",
            "你按 table_name 分组了；一张表可以有多个源文件——请用 GROUP BY source",
            "rows_read 是读取的行数；题目要的是 rows_loaded 和 rows_quarantined",
        ],
    },
    "10.2": {
        "title": "隔离行数最多的数据源文件",
        "hint": "把练习 10.1 的表格（或 dbm.database.reconciliation(ws)）按 rows_quarantined 从大到小排序，"
                "回答 `source` 列中的文件名（如 'orders.csv' 这样的字符串）。",
        "diagnoses": [
            "请回答文件名，即 'orders.csv' 这样的字符串——而不是行数",
            "这是读取行数最多的文件，不是隔离行数最多的文件——请按 rows_quarantined 排序",
        ],
    },
    "10.3": {
        "title": "你会拒收哪一份导出文件？",
        "hint": "逐个文件想一想：导入程序能否读取它（日期和金额的格式由导入程序处理）？它是否只有一行进入隔离区"
                "（以后再到源头修复）？还是没有任何一行可用？请回答一个字母。",
        "diagnoses": [
            "混用的日期格式和货币符号属于读取问题，导入程序会逐个值解决，这些行都能入库——只有在没有任何一行可用时"
            "才拒收文件",
            "重复的一行只损失一行，它会连同原因进入隔离区，文件的其余部分照常入库——应告知数据源负责人，而不是拒收文件",
        ],
    },
    "10.4": {
        "title": "用你自己的映射加载 CDNOW 样本，统计其中的客户数",
        "hint": "把 CSV 的列映射到 orders（customer_id、order_ts ← date、net_amount ← dollars；date_format "
                "'%Y%m%d'），用 dbm.ingest.load_sources({'orders': {...}}) 加载，再统计 src_orders 中 DISTINCT "
                "customer_id 的数量——数客户，而不是数行。",
        "diagnoses": [
            "你数的是购买次数（行数），不是客户数——请统计 DISTINCT customer_id",
        ],
    },
    "10.5": {
        "title": "没有客户编号的销售（匿名销售）",
        "hint": "匿名销售保存在单独的表中：统计它的行数——ws.sql('SELECT count(*) AS n FROM anonymous_sales')。",
        "diagnoses": [
            "这是匿名销售的金额；题目问的是有多少笔销售——请统计行数",
            "这看起来是销售额中的占比——请给出匿名销售的笔数",
        ],
    },
}
