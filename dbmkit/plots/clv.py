"""Charts of customer lifetime value (chapter 23; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, money, t

__all__ = ["holdout_chart", "frequency_fit_chart", "p_alive_chart", "clv_tier_chart", "clv_calibration_chart",
           "parameter_recovery_chart"]

add({
    "cdnow_holdout_title": ("CDNOW holdout (weeks 40–78): actual vs predicted purchases",
                            "CDNOW验证期（第40–78周）：实际与预测购买次数"),
    "holdout_title": ("Predicted vs actual purchases in the holdout, by past repeat purchases",
                      "验证期预测与实际购买次数（按校准期重复购买次数）"),
    "repeat_purchases_cal": ("Repeat purchases in the calibration period", "校准期重复购买次数"),
    "purchases_per_customer": ("Purchases per customer", "客均购买次数"),
    "clv_actual": ("Actual", "实际"), "clv_predicted": ("Predicted", "预测"),
    "clv_model": ("Model", "模型"),
    "fit_title": ("Repeat purchases: data vs model", "重复购买次数：数据与模型"),
    "p_alive_title": ("P(alive) by frequency and time of last purchase", "不同频率与最后购买时间的存活概率"),
    "btyd_recency": ("Time of the last purchase since the first (BTYD recency, days)",
                     "最后一次购买距首次购买的时间（BTYD近期，天）"),
    "frequency_repeat": ("Repeat purchases (frequency)", "重复购买次数（频率）"),
    "tier_title": ("Customers and expected value by value tier", "各价值层级的客户数与预期价值"),
    "tier_title_horizon": ("Customers and {n}-month CLV (discounted) by value tier",
                           "各价值层级的客户数与{n}个月客户终身价值（折现后）"),
    "clv_share_horizon": ("Share of total {n}-month CLV (discounted)", "占{n}个月CLV总额（折现后）的比例"),
    "clv_share": ("Share of total CLV", "CLV占比"),
    "calibration_title": ("Predicted vs realised next-year value, by decile of predicted CLV",
                          "按预测CLV（12个月，折现后）十分位：预测与实际的次年价值"),
    "predicted_group": ("Decile of predicted value (1 = highest)", "预测价值十分位（1 = 最高）"),
    "mean_per_customer": ("Mean per customer", "客均值"),
    "recovery_title": ("Purchase-model estimates (95 % interval) vs the true parameters",
                       "购买模型估计值（95%区间）与真实参数"),
    "clv_estimate": ("Estimate", "估计值"), "clv_truth": ("Truth", "真实值"),
    "estimate_over_truth": ("estimate / truth", "估计值 / 真实值"), "true_value": ("true", "真实值"),
    "platinum": ("Platinum", "铂金"), "gold": ("Gold", "黄金"), "silver": ("Silver", "白银"),
    "bronze": ("Bronze", "青铜"),
})


def holdout_chart(by_freq: pd.DataFrame, title: str | None = None):
    """Mean actual vs predicted purchases in the holdout per calibration-frequency bucket (from
    ``clv.holdout_by_frequency``)."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(8, 4.2)
    x = np.arange(len(by_freq))
    ax.bar(x - 0.2, by_freq["actual"], width=0.4, color=MAIN, label=t("clv_actual"))
    ax.bar(x + 0.2, by_freq["predicted"], width=0.4, color=ACCENT, label=t("clv_predicted"))
    for xi, n in zip(x, by_freq["customers"]):
        ax.annotate(f"n={n:,}", (xi, 0), textcoords="offset points", xytext=(0, -26), ha="center", fontsize=7,
                    color="#666666", annotation_clip=False)
    ax.set_xticks(x, by_freq["frequency"])
    ax.set_xlabel(t("repeat_purchases_cal"), labelpad=14)
    ax.set_ylabel(t("purchases_per_customer"))
    ax.legend(frameon=False)
    ax.set_title(title or t("holdout_title"))
    return finish(fig)


def frequency_fit_chart(hist: pd.DataFrame, title: str | None = None):
    """Customers by number of repeat purchases: data vs model (from ``clv.frequency_histogram``)."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(8, 4)
    x = np.arange(len(hist))
    ax.bar(x - 0.2, hist["actual"], width=0.4, color=MAIN, label=t("clv_actual"))
    ax.bar(x + 0.2, hist["model"], width=0.4, color=ACCENT, label=t("clv_model"))
    ax.set_xticks(x, hist["frequency"])
    ax.set_xlabel(t("frequency_repeat"))
    ax.set_ylabel(t("customers"))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.legend(frameon=False)
    ax.set_title(title or t("fit_title"))
    return finish(fig)


def p_alive_chart(matrix: pd.DataFrame, title: str | None = None):
    """Heatmap of P(alive) (from ``clv.p_alive_matrix``): frequency on the y-axis, BTYD recency on the x-axis."""
    from . import finish, new_figure
    fig, ax = new_figure(8.5, 4.6)
    im = ax.imshow(matrix.to_numpy(), origin="lower", aspect="auto", cmap="RdYlGn", vmin=0, vmax=1,
                   extent=[matrix.columns.min(), matrix.columns.max(), -0.5, len(matrix) - 0.5])
    cb = fig.colorbar(im, ax=ax)
    cb.set_label("P(alive)")
    ax.set_xlabel(t("btyd_recency"))
    ax.set_ylabel(t("frequency_repeat"))
    ax.grid(False)
    ax.set_title(title or t("p_alive_title"))
    return finish(fig)


def clv_tier_chart(clv: pd.DataFrame, currency: str = "", title: str | None = None, horizon_months: int | None = None):
    """Share of customers and share of total CLV per value tier, with the mean CLV of each tier; with
    ``horizon_months`` the title and legend name the CLV's horizon and discounting."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    present = set(pd.unique(clv["value_tier"].astype(str)))          # unique first: no per-row loop
    order = [k for k in ("platinum", "gold", "silver", "bronze") if k in present]
    g = clv.groupby("value_tier")
    d = pd.DataFrame({"customers": g.size(), "clv": g["clv"].sum(), "mean": g["clv"].mean()}).reindex(order)
    d["share_customers"] = d["customers"] / d["customers"].sum()
    d["share_clv"] = d["clv"] / d["clv"].sum()
    fig, ax = new_figure(8, 4.2)
    x = np.arange(len(d))
    ax.bar(x - 0.2, d["share_customers"], width=0.4, color=MAIN, label=t("share_of_customers"))
    share_label = t("clv_share_horizon").format(n=horizon_months) if horizon_months else t("clv_share")
    ax.bar(x + 0.2, d["share_clv"], width=0.4, color=ACCENT, label=share_label)
    for xi, m, sc in zip(x, d["mean"], d["share_clv"]):
        ax.annotate(money(m, currency, chart=True), (xi + 0.2, sc), textcoords="offset points", xytext=(0, 3),
                    ha="center", fontsize=8)
    ax.set_xticks(x, [t(k) for k in d.index])
    pct_axis(ax, "y")
    ax.legend(frameon=False)
    ax.set_title(title or (t("tier_title_horizon").format(n=horizon_months) if horizon_months else t("tier_title")))
    return finish(fig)


def clv_calibration_chart(calib: pd.DataFrame, currency: str = "", title: str | None = None):
    """Mean predicted vs mean realised value per decile of prediction (from ``clv.decile_calibration``)."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(8, 4.2)
    x = calib["group"].to_numpy()
    ax.bar(x - 0.2, calib["predicted"], width=0.4, color=ACCENT, label=t("clv_predicted"))
    ax.bar(x + 0.2, calib["actual"], width=0.4, color=MAIN, label=t("clv_actual"))
    ax.set_xticks(x)
    ax.set_xlabel(t("predicted_group"))
    ax.set_ylabel(t("mean_per_customer"))
    if currency:
        ax.yaxis.set_major_formatter(lambda v, _: money(v, currency, chart=True))
    ax.legend(frameon=False)
    ax.set_title(title or t("calibration_title"))
    return finish(fig)


def parameter_recovery_chart(summary: pd.DataFrame, truth: dict, title: str | None = None):
    """Each purchase-model parameter's estimate with its 95 % interval against the truth, as a ratio to the truth."""
    from . import ACCENT, MAIN, finish, new_figure
    d = summary[summary["parameter"].isin(list(truth))].reset_index(drop=True)
    tr = np.array([truth[p] for p in d["parameter"]], float)
    fig, ax = new_figure(7, 3.6)
    y = np.arange(len(d))
    ax.errorbar(d["estimate"] / tr, y, xerr=[(d["estimate"] - d["ci_low"]) / tr, (d["ci_high"] - d["estimate"]) / tr],
                fmt="o", color=MAIN, capsize=4, label=t("clv_estimate"))
    ax.axvline(1.0, color=ACCENT, ls="--", label=t("clv_truth"))
    ax.set_yticks(y, [f"{p} ({t('true_value')} {v:g})" for p, v in zip(d["parameter"], tr)])
    ax.set_xlabel(t("estimate_over_truth"))
    ax.legend(frameon=False, loc="lower right")
    ax.set_title(title or t("recovery_title"))
    return finish(fig)
