"""Charts of exploratory analysis (chapter 20; see dbmkit.plots for the conventions)."""
from __future__ import annotations

__all__: list[str] = []

import numpy as np
import pandas as pd

from ..i18n import add, money, t

add({"customers_over_time": ("Customers over time", "客户数量的变化"),
     "customer_flows": ("New, reactivated and newly inactive customers per month",
                        "每月新增、重新激活与转为不活跃的客户"),
     "net_change": ("Net change of active customers", "活跃客户净变化"),
     "active_customers": ("Active customers", "活跃客户"), "inactive": ("Inactive", "不活跃客户"),
     "long_inactive": ("Long inactive", "长期不活跃客户"), "new_customers": ("New customers", "新增客户"),
     "reactivated": ("Reactivated", "重新激活"), "newly_inactive": ("Becoming inactive", "转为不活跃"),
     "churn_rate": ("Churn rate", "流失率"),
     "churn_by_group": ("Churn rate of customers active a year ago", "一年前活跃客户的流失率"),
     "churn_by_group_days": ("Churn rate of customers active {n} days ago", "{n}天前活跃客户的流失率"),
     "average": ("Average", "平均"), "revenue_bridge": ("Why revenue changed", "收入变化的来源"),
     "customers_effect": ("More / fewer buyers", "购买客户数"),
     "frequency_effect": ("Orders per buyer", "人均订单数"),
     "order_value_effect": ("Average order value", "客单价"),
     "revenue_by_group": ("Revenue and margin", "收入与毛利"),
     "multichannel": ("Single- vs multi-channel customers", "单渠道与多渠道客户"),
     "single_channel": ("Single channel", "单渠道"), "multi_channel": ("Multi-channel", "多渠道"),
     "revenue_per_customer": ("Revenue per customer", "每位客户收入"),
     "revenue_per_order": ("Revenue per order", "每笔订单收入"),
     "cohort_heatmap": ("Share of each cohort buying again", "各同期群的复购比例"),
     "(unknown)": ("(unknown)", "（未知）"), "(all)": ("(all)", "（全部）"),
     "cohort_first": ("Cohort (first purchase)", "同期群（首次购买）"),
     "channels_used": ("Sales channels used", "使用渠道数")})

__all__ += ["revenue_over_time"]


def revenue_over_time(monthly: pd.DataFrame, currency: str = "", title: str | None = None):
    """Stacked monthly revenue by group (e.g. sales channel) from ``explore.monthly_revenue``; one group ("all",
    from ``monthly_revenue(ws)`` without ``by``) is drawn without a legend. Orders without a group count under
    '(unknown)', so the stack always adds up to the total."""
    from . import finish, money_axis, new_figure
    if monthly.empty:
        raise ValueError("no monthly revenue to draw: the client has no orders")
    m = monthly.assign(group=monthly["group"].astype(object).where(monthly["group"].notna(), "(unknown)"))
    wide = m.pivot_table(index="month", columns="group", values="revenue", aggfunc="sum").fillna(0)
    single = list(wide.columns) == ["all"]
    wide.columns = [t(str(c)) for c in wide.columns]
    fig, ax = new_figure(9, 4)
    ax.stackplot(wide.index, wide.T.values, labels=wide.columns, alpha=0.9)
    money_axis(ax, "y", currency)
    ax.set_xlabel("")
    ax.set_ylabel(t("revenue"))
    if not single:
        ax.legend(loc="upper left", ncol=len(wide.columns), frameon=False, fontsize=9)
    ax.set_title(title or t("revenue") + " · " + t("month"))
    return finish(fig)


__all__ += ["customers_over_time", "customer_flows", "churn_by_group", "revenue_bridge_chart", "revenue_by_chart",
            "multichannel_chart", "cohort_heatmap"]


def customers_over_time(flows: pd.DataFrame, title: str | None = None):
    """Stacked stocks of active, inactive and long-inactive customers at each month end (from
    ``explore.customers_over_time``)."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(9, 4)
    cols = ["active", "inactive", "long_inactive"]
    ax.stackplot(flows["month"], flows[cols].T.values, labels=[t(c) for c in ("active_customers", *cols[1:])],
                 colors=[MAIN, ACCENT, "#b8b8b8"], alpha=0.9)
    ax.set_ylabel(t("customers"))
    ax.yaxis.set_major_formatter(lambda x, _: f"{x:,.0f}")
    ax.legend(loc="upper left", frameon=False, ncol=3, fontsize=9)
    ax.set_title(title or t("customers_over_time"))
    return finish(fig)


def customer_flows(flows: pd.DataFrame, title: str | None = None):
    """Per month: new and reactivated customers above zero, newly inactive customers below, and the net change of
    the active base as a line."""
    from . import ACCENT, MAIN, PALETTE, finish, new_figure
    fig, ax = new_figure(9, 4)
    x = flows["month"]
    w = 20
    ax.bar(x, flows["new_customers"], width=w, color=MAIN, label=t("new_customers"))
    ax.bar(x, flows["reactivated"], width=w, bottom=flows["new_customers"], color=PALETTE[2], label=t("reactivated"))
    ax.bar(x, -flows["newly_inactive"], width=w, color=ACCENT, label=t("newly_inactive"))
    net = flows["new_customers"] + flows["reactivated"] - flows["newly_inactive"]
    ax.plot(x, net, color="black", lw=1.5, label=t("net_change"))
    ax.axhline(0, color="#555555", lw=0.8)
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_ylabel(t("customers"))
    ax.legend(loc="upper left", frameon=False, ncol=4, fontsize=8.5)
    ax.set_title(title or t("customer_flows"))
    return finish(fig)


def churn_by_group(churn: pd.DataFrame, title: str | None = None):
    """Horizontal bars of the churn rate per group (from ``explore.churn_by_channel``) with the average as a line."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    d = churn[churn["group"] != "(all)"].sort_values("churn_rate")
    avg = churn.loc[churn["group"] == "(all)", "churn_rate"]
    fig, ax = new_figure(8, 0.45 * len(d) + 1.6)
    colors = [ACCENT if r > float(avg.iloc[0]) else MAIN for r in d["churn_rate"]] if len(avg) else MAIN
    ax.barh([t(str(g)) for g in d["group"]], d["churn_rate"], color=colors)
    for y, (r, n) in enumerate(zip(d["churn_rate"], d["active_at_start"])):
        ax.text(r, y, f" {r:.0%}  (n={n:,})", va="center", fontsize=8.5)
    if len(avg):
        ax.axvline(float(avg.iloc[0]), color="black", lw=1, ls="--")
        ax.text(float(avg.iloc[0]), len(d) - 0.4, f" {t('average')} {float(avg.iloc[0]):.0%}", fontsize=8.5)
    pct_axis(ax, "x")
    ax.set_xlim(0, float(d["churn_rate"].max()) * 1.3)
    ax.set_xlabel(t("churn_rate"))
    days = churn.attrs.get("period_days", 365)
    ax.set_title(title or (t("churn_by_group") if days == 365 else t("churn_by_group_days").format(n=days)))
    return finish(fig)


def revenue_bridge_chart(bridge: pd.DataFrame, currency: str = "", row: int = -1, title: str | None = None):
    """Waterfall of one period's revenue change (a row of ``explore.revenue_bridge``): revenue before, the effect of
    the number of buyers, of orders per buyer and of the average order value, revenue after."""
    from . import ACCENT, MAIN, PALETTE, finish, money_axis, new_figure
    r = bridge.iloc[row]
    steps = [("customers_effect", r["customers_effect"]), ("frequency_effect", r["frequency_effect"]),
             ("order_value_effect", r["order_value_effect"])]
    fmt = (lambda p: str(pd.Timestamp(p).year)) if pd.Timestamp(r["period"]).month == 1 else \
        (lambda p: str(pd.Timestamp(p).date()))
    labels = [fmt(r["previous"])] + [t(k) for k, _ in steps] + [fmt(r["period"])]
    fig, ax = new_figure(8.5, 4)
    ax.bar(0, r["revenue_before"], color=PALETTE[7])
    level = r["revenue_before"]
    for i, (_, v) in enumerate(steps, start=1):
        ax.bar(i, v, bottom=level, color=MAIN if v >= 0 else ACCENT)
        ax.text(i, level + max(v, 0),
                ('+' if v >= 0 else '') + money(v, currency, chart=True), ha="center", va="bottom",
                fontsize=8.5)
        level += v
    ax.bar(len(steps) + 1, r["revenue"], color=PALETTE[7])
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, fontsize=9)
    money_axis(ax, "y", currency)
    ax.set_ylabel(t("revenue"))
    ax.set_title(title or t("revenue_bridge"))
    return finish(fig)


def revenue_by_chart(rev: pd.DataFrame, currency: str = "", top: int = 12, title: str | None = None):
    """Revenue and margin per group (from ``explore.revenue_by`` without periods), largest first."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure
    d = rev.groupby("group", as_index=False)[["revenue", "margin"]].sum().sort_values("revenue").tail(top)
    fig, ax = new_figure(8.5, 0.42 * len(d) + 1.6)
    y = np.arange(len(d))
    ax.barh(y + 0.2, d["revenue"], height=0.4, color=MAIN, label=t("revenue"))
    ax.barh(y - 0.2, d["margin"], height=0.4, color=ACCENT, label=t("margin"))
    tot = d["revenue"].sum()
    for yi, v in zip(y, d["revenue"]):
        ax.text(v, yi + 0.2, f" {v / tot:.0%}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([t(str(g)) for g in d["group"]])
    money_axis(ax, "x", currency)
    ax.legend(loc="lower right", frameon=False)
    ax.set_title(title or t("revenue_by_group"))
    return finish(fig)


def multichannel_chart(ms: pd.DataFrame, currency: str = "", title: str | None = None):
    """Revenue per customer and per order of single- vs multi-channel customers (from
    ``explore.multichannel_spend``)."""
    from . import ACCENT, MAIN, finish, new_figure
    d = ms[ms["channels"].isin(["single", "multi"])].set_index("channels").loc[["single", "multi"]]
    fig, axes = new_figure(9, 3.8, ncols=2)
    for ax, col in zip(axes, ["revenue_per_customer", "revenue_per_order"]):
        bars = ax.bar([t("single_channel"), t("multi_channel")], d[col], color=[MAIN, ACCENT])
        for b, v in zip(bars, d[col]):
            ax.text(b.get_x() + b.get_width() / 2, v, money(v, currency, chart=True), ha="center", va="bottom",
                    fontsize=9)
        ax.yaxis.set_major_formatter(lambda v, _: money(v, currency, chart=True))
        ax.set_title(t(col), fontsize=11)
    return finish(fig, title=title or t("multichannel"))


def cohort_heatmap(cohorts: pd.DataFrame, max_periods: int = 12, title: str | None = None):
    """Heatmap of the share of each first-purchase cohort buying in each later period (from
    ``segments.cohort_retention``); period 0 (the first purchase, always 100 %) is left out."""
    import seaborn as sns

    from . import finish, new_figure
    d = cohorts[(cohorts["period_index"] >= 1) & (cohorts["period_index"] <= max_periods)]
    wide = d.pivot_table(index="cohort", columns="period_index", values="retention")
    step = (wide.index[1] - wide.index[0]).days if len(wide.index) > 1 else 31
    fmt = "%Y-%m" if step < 80 else None
    wide.index = [i.strftime(fmt) if fmt else f"{i.year} Q{(i.month - 1) // 3 + 1}" for i in wide.index]
    fig, ax = new_figure(10, max(3.5, 0.26 * len(wide) + 1.5))
    sns.heatmap(wide, ax=ax, cmap="Blues", vmin=0, vmax=float(np.nanmax(wide.to_numpy())) if wide.size else 1,
                annot=len(wide.columns) <= 12 and len(wide) <= 16, fmt=".0%", cbar_kws={"format": "{x:.0%}"},
                annot_kws={"fontsize": 7.5})
    ax.grid(False)
    ax.set_xlabel(t("period_index"))
    ax.set_ylabel(t("cohort_first"))
    ax.set_title(title or t("cohort_heatmap"))
    return finish(fig)
