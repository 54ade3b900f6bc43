"""The cells of a new client chapter (``dbmkit new-chapter``, :func:`dbmkit.client_chapters.new_chapter`), in the
client's language: title and objectives, parameters, setup through ``dbm.workspace``, one example query and chart,
"what this means for the marketer", provenance. A Chinese client (``language: zh``) gets the narrative, the printout
and the chart's labels in Chinese, as the chapters of ``notebooks_zh/``; the code is the same in both.
"""
from __future__ import annotations

__all__ = ["scaffold_cells", "NAV_WORDS"]

# the words of a chapter's navigation line: (start, index, end)
NAV_WORDS = {"en": ("← (start)", "Index", "(end) →"), "zh": ("← （开始）", "目录", "（结束） →")}

_QUERY = ('monthly = ws.sql("""\n'
          "    SELECT date_trunc('month', order_ts) AS month, count(DISTINCT customer_id) AS buyers,\n"
          "           count(*) AS orders, sum(net_amount) AS revenue\n"
          "    FROM purchases\n"
          "    WHERE CAST(order_ts AS DATE) <= CAST(? AS DATE)\n"
          '    GROUP BY 1 ORDER BY 1""", [str(ws.as_of.date())])\n'
          "monthly.tail(6)")


def _english(num: str, title: str, title_zh: str | None, client: str) -> dict[str, str]:
    zh = f" ({title_zh})" if title_zh else ""
    return {
        "intro": (f"# {num} · {title}{zh}\n\n"
                  f"A chapter of {client} only (客户专属章节): it runs in this client's report after the "
                  f"chapters numbered below {num}, with the same parameters, setup and provenance as the standard "
                  "chapters.\n\n**You will learn**\n\n"
                  "* how buyers and revenue moved month by month in this client's database (每月购买客户与收入);\n"
                  "* how to ask your own question of the database with one SQL query (`ws.sql`) and draw the "
                  "answer.\n\nRewrite this cell with the question of the chapter and what the marketer will learn."),
        "setup_print": 'print(f"{ws.cfg.client}: analysis date {ws.as_of.date()}")',
        "query_md": ("## Buyers and revenue per month (每月购买客户与收入)\n\n"
                     "One query on the marketing database: completed purchases (the `purchases` view) up to the "
                     "analysis date, per month — how many customers bought, how many orders and the net revenue. "
                     "Anything that grows with the transactions is computed in the database like this; pandas only "
                     "sees one row per month."),
        "ylabel": "net revenue (净收入)",
        "chart_title": "Revenue per month (每月收入)",
        "meaning": ("**What this means for the marketer:** a month whose revenue falls while the buyers stay level "
                    "means smaller baskets; fewer buyers means customers lost or not won. Write here what the numbers "
                    "of this client say and what to do about them."),
    }


def _chinese(num: str, title: str, title_zh: str | None, client: str) -> dict[str, str]:
    head = f"{title_zh}（{title}）" if title_zh else title
    return {
        "intro": (f"# {num} · {head}\n\n"
                  f"这是 {client} 的客户专属章节：在该客户的报告中，它排在编号小于 {num} 的章节之后运行，参数单元格、"
                  "初始化和数据来源（`dbm.provenance`）与标准章节相同。\n\n**本章你将学会**\n\n"
                  "* 看清该客户数据库中每月的购买客户数和收入如何变化；\n"
                  "* 用一条 SQL 查询（`ws.sql`）向数据库提出你自己的问题，并把答案画成图。\n\n"
                  "请改写本单元格：写明本章要回答的问题，以及营销人员将从中学到什么。"),
        "setup_print": 'print(f"{ws.cfg.client}：分析日期 {ws.as_of.date()}")',
        "query_md": ("## 每月购买客户与收入\n\n"
                     "对营销数据库的一条查询：截至分析日期的已完成购买（视图 `purchases`），按月统计——有多少客户购买、"
                     "多少笔订单、净收入多少。凡是随交易量增长的计算，都像这样在数据库中完成；pandas 只看到每月一行。"),
        "ylabel": "净收入",
        "chart_title": "每月收入",
        "meaning": ("**这对营销人员意味着什么：**收入下降而购买客户数持平的月份，说明客单价变小了；购买客户减少，"
                    "则说明客户流失了或没有争取到新客户。请在这里写下该客户的数字说明了什么，以及应当怎么做。"),
    }


def scaffold_cells(num: str, title: str, title_zh: str | None, client: str, config_line: str, overrides_line: str,
                   lang: str = "en") -> list:
    """The cells of a new client chapter ``num`` (two digits) titled ``title`` (``title_zh``: its Chinese title)
    for the client named ``client``; ``config_line`` and ``overrides_line`` make the parameters cell. ``lang``:
    ``"zh"`` for the Chinese narrative, anything else English.

    >>> [c.cell_type for c in scaffold_cells("35", "Loyalty", None, "Acme", 'config = "../acme.yaml"',
    ...                                      "overrides = None")]
    ['markdown', 'code', 'code', 'markdown', 'code', 'code', 'markdown', 'code']
    >>> scaffold_cells("35", "Loyalty", "会员", "Acme", "", "", "zh")[0].source.splitlines()[0]
    '# 35 · 会员（Loyalty）'
    """
    import nbformat
    t = (_chinese if lang == "zh" else _english)(num, title, title_zh, client)
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return [
        md(t["intro"]),
        code(f"{config_line}\n{overrides_line}", metadata={"tags": ["parameters"]}),
        code("import dbmkit as dbm\n\nws = dbm.workspace(config, overrides=overrides)\n" + t["setup_print"]),
        md(t["query_md"]),
        code(_QUERY),
        code("fig, ax = dbm.plots.new_figure(9, 4)\n"
             "ax.bar(monthly[\"month\"], monthly[\"revenue\"], width=20)\n"
             "dbm.plots.money_axis(ax, \"y\", ws.currency)\n"
             f"ax.set_ylabel(\"{t['ylabel']}\")\n"
             f"dbm.plots.finish(fig, title=\"{t['chart_title']}\")"),
        md(t["meaning"]),
        code("dbm.provenance(ws)"),
    ]
