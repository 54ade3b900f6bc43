"""Charts of interest segments, life-event triggers and loyalty economics (chapter 32; see dbmkit.plots for the
conventions)."""
from __future__ import annotations

import pandas as pd

from ..i18n import add, t

__all__ = ["interest_chart", "trigger_chart", "loyalty_chart"]

add({"interest_title": ("Customers by dominant interest, and how many are in market now",
                        "按主要兴趣划分的客户及当前有购买意向的人数"),
     "trigger_title": ("Customers each trigger would reach next month", "下个月各触发事件将覆盖的客户"),
     "loyalty_title": ("Loyalty tiers: extra spend needed to break even", "忠诚等级：盈亏平衡所需的额外消费"),
     "required_lift": ("Required lift in members' spend", "会员消费需提升的比例"),
     "programme": ("Whole programme", "整个计划")})   # silver, gold, platinum, customers: labels of dbmkit.i18n


def interest_chart(counts: pd.DataFrame, title: str | None = None):
    """Customers per dominant interest (``counts``: interest, customers, in_market)."""
    from . import ACCENT, MAIN, finish, new_figure
    d = counts.sort_values("customers")
    fig, ax = new_figure(8, 0.35 * len(d) + 1.5)
    ax.barh(d["interest"].map(t), d["customers"], color=MAIN, label=t("customers"))
    if "in_market" in d.columns:
        ax.barh(d["interest"].map(t), d["in_market"], color=ACCENT, label=t("in_market"))
    ax.legend(loc="lower right")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    return finish(fig, title or t("interest_title"))


def trigger_chart(table: pd.DataFrame, title: str | None = None):
    """Next month's count per trigger (``table`` of :func:`dbmkit.triggers.trigger_table`), with its interval
    where it is an estimate."""
    from . import MAIN, finish, new_figure
    d = table.iloc[::-1]
    fig, ax = new_figure(8, 0.45 * len(d) + 1.5)
    ax.barh(d["event"], d["next_month"].astype(float), color=MAIN)
    est = d["low"].notna()
    if est.any():
        e = d[est]
        ax.errorbar(e["next_month"].astype(float), e["event"],
                    xerr=[e["next_month"].astype(float) - e["low"].astype(float),
                          e["high"].astype(float) - e["next_month"].astype(float)], fmt="none", ecolor="#333333",
                    capsize=3)
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    return finish(fig, title or t("trigger_title"))


def loyalty_chart(economics: pd.DataFrame, title: str | None = None):
    """Required lift (break-even extra spend ÷ current spend) per tier and for the whole programme."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    d = economics
    fig, ax = new_figure(7, 4)
    colors = [ACCENT if x == "programme" else MAIN for x in d["tier"]]
    bars = ax.bar([t(x) for x in d["tier"]], d["required_lift"], color=colors)
    for b, v in zip(bars, d["required_lift"]):
        ax.text(b.get_x() + b.get_width() / 2, v, f"{v:.0%}", ha="center", va="bottom", fontsize=9)
    pct_axis(ax)
    ax.set_ylabel(t("required_lift"))
    return finish(fig, title or t("loyalty_title"))
