"""Charts of campaign planning (chapters 30–31; see dbmkit.plots for the conventions): the selection waterfall,
channel response history, cells × channels, timing, economics by decile, break-even, sensitivity, power and the
balance of the control group."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, money, t

__all__ = ["waterfall_chart", "channel_history_chart", "cell_channel_chart", "timing_chart", "decile_profit_chart",
           "breakeven_chart", "profit_curve", "sensitivity_chart", "power_curve", "balance_chart"]

add({
    "waterfall_title": ("Gross → net → planned: each person counted once", "初选→净名单→计划名单（每人只计一次）"),
    "people": ("People", "人数"),
    "removed": ("removed", "排除"),
    "kept": ("kept", "保留"),
    "history_title": ("Past campaigns: bought within the window, contacted vs control",
                      "以往活动：窗口内购买率，目标组与对照组"),
    "contacted": ("Contacted (treatment)", "已接触（目标组）"),
    "cost_per_contact": ("Cost per contact", "单次接触成本"),
    "cells_title": ("Contacts per cell and channel (treatment group)", "各分组、各渠道的接触人数（目标组）"),
    "contacts": ("Contacts", "接触人数"),
    "timing_title": ("When the contacts go out: weekly waves by channel", "接触时间：按渠道的每周波次"),
    "contact_date": ("Contact date", "接触日期"),
    "best_first": ("(1 = best score)", "（1 = 最高分）"),
    "deciles_title": ("Expected profit by score decile and the mailing depth", "各分数十分位的预期利润与投放深度"),
    "expected_profit": ("Expected profit", "预期利润"),
    "cum_profit": ("Cumulative profit after fixed cost", "扣除固定成本后的累计利润"),
    "max_profit_depth": ("max-profit depth", "利润最大深度"),
    "budget_depth": ("depth within budget", "预算内深度"),
    "breakeven_title": ("Break-even response rate vs expected response, by channel",
                        "各渠道盈亏平衡响应率与预期响应率"),
    "breakeven_rate": ("Break-even response rate", "盈亏平衡响应率"),
    "expected_rate": ("Expected response rate", "预期响应率"),
    "profit_curve_title": ("Profit of the campaign by response rate", "不同响应率下的活动利润"),
    "breakeven": ("break-even", "盈亏平衡"),
    "sensitivity_title": ("Expected profit if one input moves up or down", "单一因素上下变动时的预期利润"),
    "power_title": ("Power to detect the lift by control-group size", "不同对照组规模下检测提升的统计功效"),
    "control_size": ("Control group size", "对照组人数"),
    "power": ("Power", "统计功效"),
    "planned": ("planned", "计划"),
    "target_power": ("target power", "目标功效"),
    "balance_title": ("Treatment vs control before the campaign", "活动前目标组与对照组的差异"),
    "smd": ("Standardised mean difference", "标准化均值差"),
    "cost_per_contact_var": ("cost per contact", "单次接触成本"),
    "margin_per_response_var": ("margin per response", "单次响应毛利"),
    "response_rate_var": ("response rate", "响应率"),
})


def waterfall_chart(waterfall: pd.DataFrame, title: str | None = None):
    """Horizontal waterfall of ``CampaignPlan.waterfall``: totals (gross, net, planned) as full bars, each step as a
    floating bar of the people it removed."""
    from . import ACCENT, MAIN, finish, new_figure
    wf = waterfall.reset_index(drop=True)
    fig, ax = new_figure(9, 0.42 * len(wf) + 1.4)
    y = np.arange(len(wf))[::-1]
    top = float(wf["remaining"].max()) or 1.0
    for yi, (_, r) in zip(y, wf.iterrows()):
        if r["stage"] == "total":
            ax.barh(yi, r["remaining"], color=MAIN)
            ax.text(r["remaining"] + top * 0.01, yi, f"{int(r['remaining']):,}", va="center", fontsize=8.5,
                    fontweight="bold")
        else:
            ax.barh(yi, r["removed"], left=r["remaining"], color=ACCENT if r["stage"] == "suppression" else "#8c8c8c")
            ax.text(r["remaining"] + r["removed"] + top * 0.01, yi,
                    f"−{int(r['removed']):,}" if r["removed"] else "0", va="center", fontsize=8.5)
    ax.set_yticks(y)
    ax.set_yticklabels(wf["label"], fontsize=8.5)
    ax.set_xlim(0, top * 1.13)
    ax.set_xlabel(t("people"))
    ax.grid(axis="y", visible=False)
    ax.set_title(title or t("waterfall_title"))
    return finish(fig)


def channel_history_chart(rates: pd.DataFrame, currency: str = "", title: str | None = None):
    """Grouped bars from ``campaign.channel_response_rates``: share who bought in the window when contacted and in
    the control group, per channel, with the cost per contact under each channel name."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    r = rates[rates["treated"] > 0].reset_index(drop=True)
    fig, ax = new_figure(7.5, 4)
    x = np.arange(len(r))
    ax.bar(x - 0.2, r["treated_rate"], 0.4, color=MAIN, label=t("contacted"))
    ax.bar(x + 0.2, r["control_rate"].fillna(0), 0.4, color=ACCENT, label=t("control"))
    for xi, a, b in zip(x, r["treated_rate"], r["control_rate"].fillna(0)):
        ax.text(xi - 0.2, a, f"{a:.1%}", ha="center", va="bottom", fontsize=8)
        ax.text(xi + 0.2, b, f"{b:.1%}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{t(c)}\n{t('cost_per_contact')} {money(v, currency, compact=False, decimals=2, chart=True)}"
                        for c, v in zip(r["channel"], r["cost_per_contact"])], fontsize=8.5)
    pct_axis(ax, "y")
    ax.set_ylabel(t("response_rate"))
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(title or t("history_title"))
    return finish(fig)


def cell_channel_chart(cell_summary: pd.DataFrame, title: str | None = None):
    """Stacked horizontal bars of treatment contacts per cell and channel (``CampaignPlan.cell_summary()``)."""
    from . import PALETTE, finish, new_figure
    cs = cell_summary.set_index("cell")
    cols = [c for c in ("via_email", "via_sms", "via_mail", "via_phone") if c in cs.columns]
    fig, ax = new_figure(8.5, 0.55 * len(cs) + 1.9)
    left = np.zeros(len(cs))
    y = np.arange(len(cs))[::-1]
    for i, c in enumerate(cols):
        v = cs[c].to_numpy(dtype=float)
        ax.barh(y, v, left=left, color=PALETTE[i], label=t(c.replace("via_", "")))
        left += v
    for yi, total in zip(y, left):
        ax.text(total, yi, f" {int(total):,}", va="center", fontsize=8.5)
    ax.set_yticks(y)
    from ..i18n import get_language
    names = cs["cell_name_zh"] if get_language() == "zh" and "cell_name_zh" in cs.columns else cs["cell_name"]
    ax.set_yticklabels([f"{c} · {n}" for c, n in zip(cs.index, names)], fontsize=8.5)
    ax.set_xlabel(t("contacts"))
    ax.set_xlim(0, left.max() * 1.12 if left.max() > 0 else 1)
    ax.legend(frameon=False, ncol=len(cols), loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8.5)
    ax.grid(axis="y", visible=False)
    ax.set_title(title or t("cells_title"))
    return finish(fig)


def timing_chart(selection: pd.DataFrame, title: str | None = None):
    """Treatment contacts per contact date (the weekly waves), stacked by channel."""
    from . import PALETTE, finish, new_figure
    s = selection[selection["group"] == "treatment"]
    tab = s.assign(day=pd.to_datetime(s["contact_ts"]).dt.normalize()).pivot_table(
        index="day", columns="channel", values="customer_id", aggfunc="count").fillna(0)
    tab = tab[[c for c in ("email", "sms", "mail", "phone", "wechat", "app_push") if c in tab.columns]]
    fig, ax = new_figure(7.5, 3.8)
    x = np.arange(len(tab))
    bottom = np.zeros(len(tab))
    for i, c in enumerate(tab.columns):
        ax.bar(x, tab[c], bottom=bottom, color=PALETTE[i], label=t(c), width=0.6)
        bottom += tab[c].to_numpy()
    for xi, v in zip(x, bottom):
        ax.text(xi, v, f"{int(v):,}", ha="center", va="bottom", fontsize=8.5)
    ax.set_xticks(x)
    ax.set_xticklabels([d.strftime("%a %d %b") for d in tab.index])
    ax.set_xlabel(t("contact_date"))
    ax.set_ylabel(t("contacts"))
    ax.legend(frameon=False, ncol=4, fontsize=8.5)
    ax.set_title(title or t("timing_title"))
    return finish(fig)


def decile_profit_chart(deciles: pd.DataFrame, depth: pd.DataFrame | None = None, currency: str = "",
                        title: str | None = None):
    """Expected profit per score decile (bars; negative in red) and the cumulative profit after the fixed cost
    (line), with the max-profit depth and the depth within budget marked (from ``campaign.mailing_depth``)."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure
    d = deciles
    fig, ax = new_figure(8.5, 4.4)
    colors = [MAIN if v >= 0 else "#c44e52" for v in d["expected_profit"]]
    ax.bar(d["decile"], d["expected_profit"], color=colors, label=t("expected_profit"))
    ax.plot(d["decile"], d["cum_profit"], color=ACCENT, marker="o", label=t("cum_profit"))
    ax.axhline(0, color="black", lw=0.8)
    if depth is not None:
        dd = depth.set_index("rule")
        for rule, style, lab in (("max_profit", "-", "max_profit_depth"), ("within_budget", ":", "budget_depth")):
            if rule in dd.index and dd.loc[rule, "deciles"] > 0:
                k = float(dd.loc[rule, "deciles"]) + 0.5
                ax.axvline(k, color="#333333", ls=style, lw=1.2, label=f"{t(lab)}: {int(dd.loc[rule, 'deciles'])}")
    money_axis(ax, "y", currency)
    ax.set_xticks(d["decile"])
    ax.set_xlabel(t("decile") + " " + t("best_first"))
    ax.set_ylabel(t("expected_profit"))
    ax.legend(frameon=False, fontsize=8.5, loc="best")
    ax.set_title(title or t("deciles_title"))
    return finish(fig)


def breakeven_chart(table: pd.DataFrame, expected_label: str | None = None, title: str | None = None):
    """Per channel: the break-even response rate (cost ÷ margin per response) beside the expected response rate
    (columns channel, breakeven_rate, expected_rate — e.g. ``CampaignPlan.breakeven_by_channel()``); a channel pays
    where its expected bar is higher."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    r = table.reset_index(drop=True)
    fig, ax = new_figure(7.5, 4)
    x = np.arange(len(r))
    ax.bar(x - 0.2, r["breakeven_rate"], 0.4, color=ACCENT, label=t("breakeven_rate"))
    ax.bar(x + 0.2, r["expected_rate"], 0.4, color=MAIN, label=expected_label or t("expected_rate"))
    for xi, a, b in zip(x, r["breakeven_rate"], r["expected_rate"]):
        ax.text(xi - 0.2, a, f"{a:.2%}", ha="center", va="bottom", fontsize=8)
        ax.text(xi + 0.2, b, f"{b:.2%}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x)
    ax.set_xticklabels([t(c) for c in r["channel"]])
    pct_axis(ax, "y", 1)
    ax.set_ylabel(t("response_rate"))
    ax.legend(frameon=False)
    ax.set_title(title or t("breakeven_title"))
    return finish(fig)


def profit_curve(cost_per_contact: float, margin_per_response: float, contacts: int, fixed_cost: float = 0.0,
                 response_rate: float | None = None, currency: str = "", title: str | None = None):
    """Campaign profit as a function of the response rate — a straight line crossing zero at the break-even rate
    (fixed cost included); the expected response rate is marked."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure, pct_axis
    be = (cost_per_contact + fixed_cost / max(contacts, 1)) / margin_per_response
    hi = max(be, response_rate or 0) * 2.2 or 0.05
    r = np.linspace(0, hi, 200)
    profit = contacts * (r * margin_per_response - cost_per_contact) - fixed_cost
    fig, ax = new_figure(7.5, 4)
    ax.plot(r, profit, color=MAIN)
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(be, color=ACCENT, ls="--", label=f"{t('breakeven')}: {be:.2%}")
    if response_rate is not None:
        p = contacts * (response_rate * margin_per_response - cost_per_contact) - fixed_cost
        ax.plot([response_rate], [p], "o", color=ACCENT if p < 0 else "#3a9d5d", ms=8,
                label=f"{t('expected_rate')}: {response_rate:.2%}")
    pct_axis(ax, "x", 1)
    money_axis(ax, "y", currency)
    ax.set_xlabel(t("response_rate"))
    ax.set_ylabel(t("profit"))
    ax.legend(frameon=False)
    ax.set_title(title or t("profit_curve_title"))
    return finish(fig)


def sensitivity_chart(sens: pd.DataFrame, currency: str = "", title: str | None = None):
    """Tornado chart of ``campaign.sensitivity_table``: profit change when each input moves down/up."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure
    s = sens[sens["variable"].isin(["cost_per_contact", "margin_per_response", "response_rate"])]
    base = float(sens.loc[sens["scenario"] == "base", "expected_profit"].iloc[0])
    vars_ = ["response_rate", "margin_per_response", "cost_per_contact"]
    fig, ax = new_figure(8, 3.8)
    for i, v in enumerate(vars_):
        lo = s[(s["variable"] == v) & (s["change"] < 0)]["profit_change"].iloc[0]
        hi = s[(s["variable"] == v) & (s["change"] > 0)]["profit_change"].iloc[0]
        pct = f"{abs(float(s['change'].iloc[0])):.0%}"
        ax.barh(i, lo, color=ACCENT, label=f"−{pct}" if i == 0 else None)
        ax.barh(i, hi, color=MAIN, label=f"+{pct}" if i == 0 else None)
        for val in (lo, hi):
            text = ("+" if val > 0 else "") + money(val, currency, compact=False, chart=True)
            ax.text(val, i, f" {text} ", va="center", ha="left" if val >= 0 else "right", fontsize=8.5)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(vars_)))
    ax.set_yticklabels([t(v + "_var") for v in vars_])
    money_axis(ax, "x", currency)
    span = float(s["profit_change"].abs().max()) or 1.0
    ax.set_xlim(-span * 1.35, span * 1.35)
    ax.set_xlabel(t("expected_profit") + f" − base ({money(base, currency, compact=False, chart=True)})")
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8.5)
    ax.grid(axis="y", visible=False)
    ax.set_title(title or t("sensitivity_title"))
    return finish(fig)


def power_curve(n_treatment: int, baseline_rate: float, lift: float, n_control: int | None = None,
                significance: float = 0.05, power: float = 0.80, title: str | None = None):
    """Power of the test against the control-group size (treatment size fixed), with the planned control size and
    the target power marked."""
    from ..power import power_at
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    hi = max(n_treatment * 3, (n_control or 0) * 4, 1000)
    n = np.unique(np.geomspace(20, hi, 120).astype(int))
    pw = [power_at(n_treatment, k, baseline_rate, lift, significance) for k in n]
    fig, ax = new_figure(7.5, 4)
    ax.plot(n, pw, color=MAIN)
    ax.axhline(power, color="#555555", ls=":", label=f"{t('target_power')}: {power:.0%}")
    if n_control:
        p0 = power_at(n_treatment, n_control, baseline_rate, lift, significance)
        ax.plot([n_control], [p0], "o", color=ACCENT, ms=8, label=f"{t('planned')}: {n_control:,} → {p0:.0%}")
    ax.set_xscale("log")
    pct_axis(ax, "y")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("control_size") + f" (treatment {n_treatment:,}; +{lift:.1%} over {baseline_rate:.1%})")
    ax.set_ylabel(t("power"))
    ax.legend(frameon=False, loc="upper left")
    ax.set_title(title or t("power_title"))
    return finish(fig)


def balance_chart(balance: pd.DataFrame, threshold: float = 0.1, title: str | None = None):
    """Standardised mean differences of ``campaign.balance_check`` as dots, with the ±0.1 band of a balanced
    feature."""
    from . import ACCENT, MAIN, finish, new_figure
    b = balance.reset_index(drop=True)
    fig, ax = new_figure(7.5, 0.38 * len(b) + 1.5)
    y = np.arange(len(b))[::-1]
    ax.axvspan(-threshold, threshold, color="#3a9d5d", alpha=0.12)
    ax.scatter(b["smd"], y, color=[MAIN if ok else ACCENT for ok in b["balanced"]], zorder=3)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(b["feature"], fontsize=8.5)
    lim = max(0.25, float(b["smd"].abs().max()) * 1.2)
    ax.set_xlim(-lim, lim)
    ax.set_xlabel(t("smd"))
    ax.grid(axis="y", visible=False)
    ax.set_title(title or t("balance_title"))
    return finish(fig)
