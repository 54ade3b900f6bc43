"""Charts of the evaluate phase (chapters 40–41): lift over control, money, channel KPIs, A/B tests, uplift and the
KPI dashboard (see dbmkit.plots for the conventions). Every function takes the table the dbmkit.evaluate function
returns and gives back the Figure."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, t
from ..i18n import money as fmt_money

__all__ = ["treatment_control_chart", "lift_by_slice_chart", "profit_bridge_chart", "email_funnel_chart",
           "ab_power_chart", "ab_peeking_chart",
           "uplift_decile_chart", "qini_chart", "uplift_types_chart", "kpi_dashboard_chart", "campaign_history_chart"]

add({
    "ev_response_rate_by_group": ("Response rate: treated vs control", "响应率：目标组 vs 对照组"),
    "ev_true_lift": ("true lift (synthetic truth)", "真实提升（合成数据）"),
    "ev_lift_points": ("Lift over control (percentage points)", "相对对照组的提升（百分点）"),
    "ev_lift_by": ("Lift by {by}, with 95 % intervals", "按{by}的提升及95%置信区间"),
    "ev_small_cell": ("small cell", "样本过小"),
    "ev_profit_bridge": ("From incremental margin to incremental profit", "从增量毛利到增量利润"),
    "ev_incremental_margin": ("Incremental margin", "增量毛利"),
    "ev_contact_cost": ("Contact cost", "接触成本"),
    "ev_fixed_cost": ("Fixed cost", "固定成本"),
    "ev_incremental_profit": ("Incremental profit", "增量利润"),
    "ev_funnel": ("E-mail funnel (unique recipients)", "邮件漏斗（按收件人去重）"),
    "ev_sent": ("Sent", "发送"), "ev_delivered": ("Delivered", "送达"), "ev_opened": ("Opened", "打开"),
    "ev_clicked": ("Clicked", "点击"),
    "ev_converted": ("Bought in the window (any channel)", "响应期内购买（任意渠道）"),
    "ev_pts": (" pts", "个百分点"), "ev_ci95": ("95 % CI", "95%置信区间"), "ev_mde": ("MDE", "最小可检测提升"),
    "ev_observed_abs": ("|observed|", "|观测值|"), "ev_top_predicted": ("1 = highest predicted", "1 = 预测增量最高"),
    "uplift": ("Uplift", "增量"), "retention_rate": ("Retention rate", "留存率"),
    "churn_rate": ("Churn rate", "流失率"),
    "persuadable": ("Persuadables", "可说服者"), "sure_thing": ("Sure things", "必然购买者"),
    "lost_cause": ("Lost causes", "无望者"), "do_not_disturb": ("Do-not-disturbs", "勿扰者"),
    "ev_clv_cac": ("{m}-month CLV:CAC", "{m}个月CLV:CAC"),
    "web_search": ("Web search", "搜索引擎"), "social": ("Social media", "社交媒体"),
    "affiliate": ("Affiliate", "联盟推广"), "referral": ("Referral", "老客推荐"),
    "ev_power": ("What can this test detect? Power by true lift", "检验能发现多大的提升？不同真实提升下的检验功效"),
    "ev_power_y": ("Power (chance to detect)", "检验功效（发现的概率）"),
    "ev_true_lift_x": ("True lift (percentage points)", "真实提升（百分点）"),
    "ev_peeking": ("Peeking: false alarms when there is no difference", "偷看结果：无差异时的误报率"),
    "ev_looks": ("Number of looks at the p-value", "查看p值的次数"),
    "ev_false_positive": ("Share declared 'significant'", "被判为“显著”的比例"),
    "ev_uplift_deciles": ("Uplift by predicted-uplift decile", "按预测增量十分位的增量"),
    "ev_observed": ("observed (treated − control)", "观测值（目标组 − 对照组）"),
    "ev_predicted": ("predicted", "预测值"),
    "ev_qini": ("Qini curves: incremental responses gained by targeting the top of the list",
                "Qini曲线：按名单排序投放获得的增量响应"),
    "ev_share_targeted": ("Share of contacts targeted", "投放比例"),
    "ev_incremental_responses": ("Incremental responses", "增量响应"),
    "ev_random": ("random targeting", "随机投放"),
    "two_model": ("two-model", "双模型法"), "class_transformation": ("class transformation", "类别转换法"),
    "true_uplift": ("true uplift (synthetic truth)", "真实增量（合成数据）"),
    "ev_types": ("The four types in each predicted-uplift decile (truth)", "各预测增量十分位中的四类客户（真实）"),
    "ev_cac": ("CAC and CLV : CAC by acquisition channel", "按获客渠道的获客成本与CLV:CAC"),
    "ev_retention": ("Retention and churn", "留存率与流失率"),
    "ev_period_days": (" ({d}-day periods)", "（每期{d}天）"),
    "ev_campaign_roi": ("Campaign ROI (incremental)", "活动投资回报率（增量）"),
    "ev_campaign_response": ("Response rates: treated vs control", "响应率：目标组 vs 对照组"),
    "ev_dashboard": ("KPI dashboard", "关键绩效指标看板"),
    "ev_history": ("Past campaigns: lift over control with 95 % intervals", "历次活动：相对对照组的提升及95%置信区间"),
})


def _wilson(p, n, z=1.959964):
    p, n = np.asarray(p, float), np.asarray(n, float)
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z / d * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(c - h, 0, 1), np.clip(c + h, 0, 1)


def treatment_control_chart(comparison: pd.DataFrame, true_lift: float | None = None, title: str | None = None):
    """Response rates of the treated group(s) and the control group with 95 % Wilson intervals, the lift written
    on the bars; ``comparison`` is the output of ``compare_groups`` for a 0/1 outcome."""
    from . import MAIN, PALETTE, finish, new_figure, pct_axis
    c = comparison[comparison["kind"] == "proportion"]
    if c.empty:
        raise ValueError("treatment_control_chart needs a 0/1 outcome (a proportion) in the comparison")
    first = c.iloc[0]
    names = [t("control")] + [t(str(g)) for g in c["group"]]
    rates = np.r_[first["control_value"], c["value"].to_numpy(float)]
    ns = np.r_[first["control_n"], c["n"].to_numpy(float)]
    lo, hi = _wilson(rates, ns)
    fig, ax = new_figure(7, 4)
    colors = ["#9aa5b1"] + [MAIN if i == 0 else PALETTE[(i + 1) % len(PALETTE)] for i in range(len(c))]
    ax.bar(names, rates, color=colors, width=0.55)
    ax.errorbar(names, rates, yerr=[rates - lo, hi - rates], fmt="none", ecolor="#333333", capsize=6, lw=1.2)
    for i, (_, r) in enumerate(c.iterrows(), start=1):
        ax.annotate(f"{100 * r['abs_lift']:+.2f}{t('ev_pts')}\n[{100 * r['ci_low']:+.2f}, {100 * r['ci_high']:+.2f}]\n"
                    f"p = {r['p_value']:.3g}", (i, hi[i]), xytext=(0, 6), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8.5)
    if true_lift is not None and np.isfinite(true_lift):
        ax.axhline(first["control_value"] + true_lift, color="#c44e52", ls="--", lw=1,
                   label=f"{t('control')} + {t('ev_true_lift')} ({100 * true_lift:+.2f}{t('ev_pts')})")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_ylim(0, max(hi) * 1.35)
    pct_axis(ax, "y", 1)
    ax.set_ylabel(t("response_rate"))
    ax.set_title(title or t("ev_response_rate_by_group"))
    return finish(fig)


def lift_by_slice_chart(breakdown: pd.DataFrame, by: str, true_col: str | None = None, title: str | None = None):
    """Forest plot: the lift (points) with its 95 % interval for each slice of a ``campaign_economics(by=...)`` or
    ``compare_groups(by=...)`` table; small cells in grey, slices without a control left out."""
    from . import MAIN, finish, new_figure
    b = breakdown.copy()
    if "lift" not in b and "abs_lift" in b:
        b = b.rename(columns={"abs_lift": "lift", "ci_low": "lift_ci_low", "ci_high": "lift_ci_high"})
    b = b[np.isfinite(b["lift"].astype(float))].reset_index(drop=True)
    labels = [t(str(x)) for x in b[by]]
    if "group" in b and b["group"].nunique() > 1:
        labels = [f"{lab} · {g}" for lab, g in zip(labels, b["group"])]
    small = b["note"].fillna("").str.startswith("small").to_numpy() if "note" in b else np.zeros(len(b), bool)
    fig, ax = new_figure(7.5, max(2.8, 0.9 + 0.45 * len(b)))
    y = np.arange(len(b))[::-1]
    for yi, (_, r), s in zip(y, b.iterrows(), small):
        col = "#9aa5b1" if s else MAIN
        ax.plot([100 * r["lift_ci_low"], 100 * r["lift_ci_high"]], [yi, yi], color=col, lw=2.2)
        ax.plot(100 * r["lift"], yi, "o", color=col, ms=7)
        ax.annotate(f"n = {int(r['n']):,}" + (f" ({t('ev_small_cell')})" if s else ""),
                    (100 * r["lift_ci_high"], yi), xytext=(6, 0), textcoords="offset points", va="center",
                    fontsize=8, color="#555555")
        if true_col and true_col in b and np.isfinite(r[true_col]):
            ax.plot(100 * r[true_col], yi, "x", color="#c44e52", ms=8, mew=2)
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels)
    ax.set_xlabel(t("ev_lift_points"))
    lo, hi = 100 * b["lift_ci_low"].min(), 100 * b["lift_ci_high"].max()
    ax.set_xlim(min(lo, 0) - 0.05 * (hi - lo), hi + 0.35 * (hi - lo))
    from ..i18n import get_language
    ax.set_title(title or t("ev_lift_by").format(by=t(by).lower() if get_language() == "en" else t(by)))
    return finish(fig)


def profit_bridge_chart(economics_row: pd.Series, currency: str = "", title: str | None = None):
    """Incremental margin → minus contact cost → minus fixed cost = incremental profit (with its 95 % interval)."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure
    e = economics_row
    steps = [(t("ev_incremental_margin"), e["incremental_margin"]), (t("ev_contact_cost"), -e["contact_cost"]),
             (t("ev_fixed_cost"), -e["fixed_cost"])]
    fig, ax = new_figure(7.5, 4)
    level = 0.0
    tops = [0.0]

    def money(v):
        return fmt_money(v, currency, compact=False, chart=True)
    for i, (name, v) in enumerate(steps):
        bottom = level if v >= 0 else level + v
        ax.bar(i, abs(v), bottom=bottom, color=MAIN if v >= 0 else "#c44e52", width=0.6)
        ax.annotate(money(v), (i, bottom + abs(v)), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize=9)
        level += v
        tops += [bottom, bottom + abs(v)]
    prof = e["incremental_profit"]
    ax.bar(3, prof, color=ACCENT if prof >= 0 else "#c44e52", width=0.6)
    tops += [prof]
    lo_ci, hi_ci = e["incremental_profit_ci_low"], e["incremental_profit_ci_high"]
    span = max(tops) - min(tops) or 1.0
    ylo, yhi = min(tops) - 0.45 * span, max(tops) + 0.45 * span
    ax.errorbar([3], [prof], yerr=[[prof - max(lo_ci, ylo)], [min(hi_ci, yhi) - prof]], fmt="none",
                ecolor="#333333", capsize=8 if ylo <= lo_ci and hi_ci <= yhi else 0)
    ax.annotate(f"{t('ev_incremental_profit')} {money(prof)}\n{t('ev_ci95')} {money(lo_ci)} … {money(hi_ci)}",
                (0.99, 0.97), xycoords="axes fraction", ha="right", va="top", fontsize=8.5,
                bbox=dict(boxstyle="round,pad=0.25", fc="white", ec="#cccccc"))
    ax.set_ylim(ylo, yhi)
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(range(4))
    ax.set_xticklabels([s[0] for s in steps] + [t("ev_incremental_profit")])
    money_axis(ax, "y", currency)
    roi = e.get("roi", np.nan)
    default = t("ev_profit_bridge") + (f" · ROI {100 * roi:.0f} %" if np.isfinite(roi) else "")
    ax.set_title(title or default)
    return finish(fig)


def email_funnel_chart(kpis_row: pd.Series, title: str | None = None):
    """Sent → delivered → opened → clicked (→ bought): unique recipients, with the rate of each step."""
    from . import MAIN, finish, new_figure
    k = kpis_row
    steps = [("ev_sent", "sent", None), ("ev_delivered", "delivered", "delivery_rate"),
             ("ev_opened", "opened", "open_rate"), ("ev_clicked", "clicked", "click_to_open_rate")]
    if "converted" in k and pd.notna(k.get("converted")):
        steps.append(("ev_converted", "converted", "conversion_rate"))
    names = [t(s[0]) for s in steps]
    vals = [float(k[s[1]]) for s in steps]
    fig, ax = new_figure(7.5, 0.8 + 0.55 * len(steps))
    y = np.arange(len(steps))[::-1]
    ax.barh(y, vals, color=[MAIN if s[1] != "converted" else "#3a9d5d" for s in steps], height=0.6)
    for yi, v, s in zip(y, vals, steps):
        rate = f" · {t(s[2])} {100 * float(k[s[2]]):.1f} %" if s[2] else ""
        ax.annotate(f"{v:,.0f}{rate}", (v, yi), xytext=(5, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y)
    ax.set_yticklabels(names)
    ax.set_xlim(0, max(vals) * 1.6)
    ax.set_xlabel(t("customers"))
    ax.set_title(title or t("ev_funnel"))
    return finish(fig)


def ab_power_chart(curve: pd.DataFrame, observed_lift: float | None = None, mde: float | None = None,
                title: str | None = None):
    """Power by true lift (``ab.power_curve``), the 80 % line, the minimum detectable lift and the observed lift."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    fig, ax = new_figure(7.5, 4)
    ax.plot(100 * curve["lift"], curve["power"], color=MAIN, lw=2)
    ax.axhline(0.8, color="#777777", ls=":", lw=1)
    if mde is not None and np.isfinite(mde):
        ax.axvline(100 * mde, color=MAIN, ls="--", lw=1)
        ax.annotate(f"{t('ev_mde')} {100 * mde:.2f}{t('ev_pts')}", (100 * mde, 0.05), xytext=(4, 0),
                    textcoords="offset points", fontsize=8.5, color=MAIN)
    if observed_lift is not None and np.isfinite(observed_lift):
        ax.axvline(100 * abs(observed_lift), color=ACCENT, lw=1.5)
        ax.annotate(f"{t('ev_observed_abs')} {100 * abs(observed_lift):.2f}{t('ev_pts')}",
                    (100 * abs(observed_lift), 0.9), xytext=(4, 0), textcoords="offset points", fontsize=8.5,
                    color=ACCENT)
    pct_axis(ax, "y")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("ev_true_lift_x"))
    ax.set_ylabel(t("ev_power_y"))
    ax.set_title(title or t("ev_power"))
    return finish(fig)


def ab_peeking_chart(peeking: pd.DataFrame, alpha: float = 0.05, title: str | None = None):
    """Share of A/A tests declared significant by the number of looks (``peeking_simulation``)."""
    from . import ACCENT, finish, new_figure, pct_axis
    fig, ax = new_figure(7, 3.8)
    x = np.arange(len(peeking))
    ax.bar(x, peeking["share_significant"], color=ACCENT, width=0.6)
    ax.axhline(alpha, color="#333333", ls="--", lw=1)
    ax.annotate(f"α = {alpha:.0%}", (x[-1] + 0.35, alpha), va="bottom", ha="right", fontsize=8.5)
    for xi, v in zip(x, peeking["share_significant"]):
        ax.annotate(f"{100 * v:.0f} %", (xi, v), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=9)
    ax.set_xticks(x)
    ax.set_xticklabels(peeking["looks"].astype(str))
    ax.set_xlabel(t("ev_looks"))
    ax.set_ylabel(t("ev_false_positive"))
    pct_axis(ax, "y")
    ax.set_title(title or t("ev_peeking"))
    return finish(fig)


def uplift_decile_chart(deciles: pd.DataFrame, title: str | None = None):
    """Observed uplift per predicted-uplift decile (bars with 95 % intervals), the predicted uplift and — for the
    synthetic client — the true uplift."""
    from . import ACCENT, MAIN, finish, new_figure
    d = deciles
    fig, ax = new_figure(8, 4.2)
    x = d["decile"].to_numpy()
    obs = 100 * d["observed_uplift"].to_numpy(float)
    ax.bar(x, obs, color="#9aa5b1", width=0.7, label=t("ev_observed"))
    ax.errorbar(x, obs, yerr=[obs - 100 * d["ci_low"], 100 * d["ci_high"] - obs], fmt="none", ecolor="#555555",
                capsize=3, lw=0.9)
    ax.plot(x, 100 * d["predicted_uplift"], "o-", color=MAIN, lw=2, label=t("ev_predicted"))
    if "true_uplift" in d:
        ax.plot(x, 100 * d["true_uplift"], "s--", color=ACCENT, lw=2, label=t("ev_true_lift"))
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(x)
    ax.set_xlabel(f"{t('decile')} ({t('ev_top_predicted')})")
    ax.set_ylabel(f"{t('uplift')} ({t('ev_pts').strip()})")
    ax.legend(frameon=False, fontsize=8.5, loc="upper right")
    ax.set_title(title or t("ev_uplift_deciles"))
    return finish(fig)


def qini_chart(curves: dict[str, pd.DataFrame], title: str | None = None, points: int = 250):
    """Qini curves of one or more models (``qini_curve``) against random targeting; each curve is drawn at
    ``points`` evenly spaced shares of the list (a curve for the true uplift, if given, in green)."""
    from . import PALETTE, finish, new_figure, pct_axis
    fig, ax = new_figure(7.5, 4.3)
    first = None
    grid = np.linspace(0, 1, points)
    k = 0
    for name, c in curves.items():
        y = np.interp(grid, c["share_targeted"], c["incremental_responses"])
        is_truth = "truth" in name.lower() or "真实" in name
        col = "#3a9d5d" if is_truth else PALETTE[k % len(PALETTE)]
        k += 0 if is_truth else 1
        ax.plot(grid, y, color=col, lw=2, ls=":" if is_truth else "-", label=t(name.replace(" ", "_")) if
                t(name.replace(" ", "_")) != name.replace(" ", "_") else name)
        first = c if first is None else first
    ax.plot([0, 1], [0, first["random"].iloc[-1]], color="#777777", ls="--", lw=1.2, label=t("ev_random"))
    ax.axhline(0, color="#333333", lw=0.6)
    pct_axis(ax, "x")
    ax.set_xlabel(t("ev_share_targeted"))
    ax.set_ylabel(t("ev_incremental_responses"))
    ax.legend(frameon=False, fontsize=8.5)
    ax.set_title(title or t("ev_qini"))
    return finish(fig)


def uplift_types_chart(deciles: pd.DataFrame, title: str | None = None):
    """Stacked shares of persuadables, sure things, lost causes and do-not-disturbs per predicted-uplift decile."""
    from . import finish, new_figure, pct_axis
    types = [("persuadable", "#3a9d5d"), ("sure_thing", "#1f5f8b"), ("lost_cause", "#b0b8c1"),
             ("do_not_disturb", "#c44e52")]
    fig, ax = new_figure(8, 4.2)
    bottom = np.zeros(len(deciles))
    for k, col in types:
        v = deciles[f"share_{k}"].to_numpy(float)
        ax.bar(deciles["decile"], v, bottom=bottom, color=col, width=0.75, label=t(k))
        bottom += v
    ax.set_xticks(deciles["decile"])
    ax.set_xlabel(f"{t('decile')} ({t('ev_top_predicted')})")
    pct_axis(ax, "y")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8.5, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    ax.set_title(title or t("ev_types"))
    return finish(fig)


def campaign_history_chart(history: pd.DataFrame, title: str | None = None):
    """Past campaigns in date order: the lift (points) and its 95 % interval, coloured by channel."""
    from . import PALETTE, finish, new_figure
    h = history.reset_index(drop=True)
    chans = sorted(h["channel"].unique())
    col = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(chans)}
    fig, ax = new_figure(8.5, 4.2)
    x = np.arange(len(h))
    for xi, (_, r) in zip(x, h.iterrows()):
        ax.plot([xi, xi], [100 * r["lift_ci_low"], 100 * r["lift_ci_high"]], color=col[r["channel"]], lw=2.2)
        ax.plot(xi, 100 * r["lift"], "o", color=col[r["channel"]], ms=7)
    for c in chans:
        ax.plot([], [], "o-", color=col[c], label=t(c))
    ax.axhline(0, color="#333333", lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels([f"{r['campaign_id']}\n{pd.Timestamp(r['start_date']):%Y-%m}" for _, r in h.iterrows()],
                       fontsize=8)
    ax.set_ylabel(t("ev_lift_points"))
    ax.legend(frameon=False, fontsize=8.5, ncol=len(chans))
    ax.set_title(title or t("ev_history"))
    return finish(fig)


def kpi_dashboard_chart(dashboard, currency: str = "", title: str | None = None):
    """Four panels: CAC and CLV:CAC by acquisition channel, retention/churn per period (with their intervals),
    campaign ROI (with its interval), and response rates of treated vs control per campaign (with Wilson
    intervals)."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure, pct_axis
    fig, axes = new_figure(12, 8, ncols=2, nrows=2)
    a, b, c, d = axes.ravel()
    cac = dashboard.cac.sort_values("cac")
    y = np.arange(len(cac))
    a.barh(y, cac["cac"], color=MAIN, height=0.6)
    a.set_yticks(y)
    a.set_yticklabels([t(str(x)) for x in cac["acquisition_channel"]])
    money_axis(a, "x", currency)
    months = int(dashboard.headline.get("clv_horizon_months", 0) or 0)
    ratio = t("ev_clv_cac").format(m=months) if months else "CLV:CAC"           # a ratio always names its horizon
    for yi, (_, r) in zip(y, cac.iterrows()):
        a.annotate(f"{ratio} {r['clv_to_cac']:.1f}", (r["cac"], yi), xytext=(4, 0), textcoords="offset points",
                   va="center", fontsize=8)
    a.set_xlim(0, cac["cac"].max() * 1.6)
    a.set_title(t("ev_cac"))
    ret = dashboard.retention
    labels = [f"{pd.Timestamp(s):%Y-%m-%d}" for s in ret["period_end"]]
    b.plot(labels, ret["retention_rate"], "o-", color=MAIN, label=t("retention_rate"))
    b.plot(labels, ret["churn_rate"], "o-", color=ACCENT, label=t("churn_rate"))
    if "churn_ci_low" in ret:                          # the Wilson intervals of the two rates
        b.fill_between(labels, ret["churn_ci_low"], ret["churn_ci_high"], color=ACCENT, alpha=0.15, lw=0)
        b.fill_between(labels, ret["retention_ci_low"], ret["retention_ci_high"], color=MAIN, alpha=0.15, lw=0)
    b.set_ylim(0, 1)
    pct_axis(b, "y")
    b.legend(frameon=False, fontsize=8)
    b.tick_params(axis="x", labelsize=7, rotation=45)
    days = int((pd.Timestamp(ret["period_end"].iloc[-1]) - pd.Timestamp(ret["period_start"].iloc[-1])).days) + 1 \
        if len(ret) else 0
    b.set_title(t("ev_retention") + (t("ev_period_days").format(d=days) if days else ""))
    h = dashboard.campaigns
    if len(h):
        x = np.arange(len(h))
        roi = h["roi"].to_numpy(float)
        c.bar(x, roi, color=np.where(roi >= 0, MAIN, "#c44e52"), width=0.6)
        if "roi_ci_low" in h:                          # the ROI's interval (the incremental profit's / cost)
            c.errorbar(x, roi, yerr=[roi - h["roi_ci_low"].to_numpy(float), h["roi_ci_high"].to_numpy(float) - roi],
                       fmt="none", ecolor="#555555", capsize=3, lw=0.9)
        c.axhline(0, color="#333333", lw=0.8)
        c.set_xticks(x)
        c.set_xticklabels(h["campaign_id"], fontsize=8)
        pct_axis(c, "y")
        for xi, (_, r) in zip(x, h.iterrows()):
            d.plot([xi, xi], [r["control_response_rate"], r["response_rate"]], color="#cccccc", lw=2, zorder=1)
        d.scatter(x, h["response_rate"], color=MAIN, zorder=2, label=t("treatment"))
        if "response_rate_ci_low" in h:
            for col, dx, colour in (("response_rate", 0.08, MAIN), ("control_response_rate", -0.08, "#9aa5b1")):
                v = h[col].to_numpy(float)
                d.errorbar(x + dx, v, yerr=[v - h[f"{col}_ci_low"].to_numpy(float),
                                            h[f"{col}_ci_high"].to_numpy(float) - v],
                           fmt="none", ecolor=colour, capsize=2, lw=0.8)
        d.scatter(x, h["control_response_rate"], color="#9aa5b1", zorder=2, label=t("control"))
        d.set_xticks(x)
        d.set_xticklabels(h["campaign_id"], fontsize=8)
        pct_axis(d, "y")
        d.legend(frameon=False, fontsize=8)
    c.set_title(t("ev_campaign_roi"))
    d.set_title(t("ev_campaign_response"))
    return finish(fig, title=title or t("ev_dashboard"))
