"""Charts of the case studies on real data (chapters 90 and 91; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, t, value_label

__all__ = ["tracking_chart", "redemption_chart", "redemption_grid_chart"]

add({
    "week": ("Week", "周"),
    "repeat_transactions": ("Repeat transactions", "重复交易次数"),
    "cumulative_repeat": ("Cumulative repeat transactions", "累计重复交易次数"),
    "weekly_repeat": ("Weekly repeat transactions", "每周重复交易次数"),
    "tracking_cum_title": ("Cumulative repeat transactions: actual vs BG/NBD", "累计重复交易：实际与BG/NBD预测"),
    "tracking_week_title": ("Weekly repeat transactions: actual vs BG/NBD", "每周重复交易：实际与BG/NBD预测"),
    "calibration_end": ("end of calibration", "校准期结束"),
    "redemption_rate": ("Redemption rate", "核销率"),
    "redemption_title": ("Coupon redemption rate of household–campaign pairs", "“家庭–活动”配对的优惠券核销率"),
    "average": ("average", "平均"),
    "dashed_average": ("dashed line: average", "虚线：平均"),
    "campaign_type": ("Campaign type", "活动类型"),
    "pairs_n": ("pairs", "配对"),
    "age": ("Age", "年龄"), "income": ("Household income", "家庭收入"),
    "household_size": ("Household size", "家庭人数"),
    "kids_count": ("Children", "子女数"), "home_ownership": ("Home ownership", "住房情况"),
    "marital_status": ("Marital status", "婚姻状况"), "household_comp": ("Household composition", "家庭构成"),
})


def tracking_chart(table: pd.DataFrame, kind: str = "cumulative", calibration_weeks: int = 39,
                   title: str | None = None):
    """Repeat transactions week by week, actual (solid) vs the model (dashed), with the end of the calibration
    period marked — FHL 2005 figures 2 (``kind="cumulative"``) and 3 (``kind="weekly"``). ``table`` comes from
    ``dbmkit.cases.tracking_table``."""
    from . import ACCENT, MAIN, finish, new_figure
    if kind not in ("cumulative", "weekly"):
        raise ValueError("kind is 'cumulative' or 'weekly'")
    actual, model = (("cumulative", "expected_cumulative") if kind == "cumulative"
                     else ("repeat_transactions", "expected_weekly"))
    fig, ax = new_figure(8, 4.2)
    ax.plot(table["week"], table[actual], color=MAIN, lw=2, label=t("actual"))
    ax.plot(table["week"], table[model], color=ACCENT, lw=2, ls="--", label=t("model"))
    ax.axvline(calibration_weeks, color="#888888", lw=1, ls=":")
    top = float(max(table[actual].max(), table[model].max()))
    ax.annotate(t("calibration_end"), (calibration_weeks, top), xytext=(4, -4), textcoords="offset points",
                fontsize=8, color="#666666", va="top")
    ax.set_xlabel(t("week"))
    ax.set_ylabel(t("cumulative_repeat") if kind == "cumulative" else t("weekly_repeat"))
    ax.set_xlim(0, int(table["week"].max()) + 1)
    ax.set_ylim(0, top * 1.08)
    ax.legend(frameon=False, loc="upper left" if kind == "cumulative" else "upper right")
    ax.set_title(title or (t("tracking_cum_title") if kind == "cumulative" else t("tracking_week_title")))
    return finish(fig)


def redemption_chart(rates: pd.DataFrame, by: str, title: str | None = None, label: str | None = None):
    """Redemption rate per group with its 95 % interval and the overall average (from
    ``dbmkit.cases.redemption_by``); bars annotated with the number of pairs."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    n = len(rates)
    fig, ax = new_figure(8, max(2.4, 0.42 * n + 1.2))
    y = np.arange(n)[::-1]
    overall = float((rates["redeemed"].sum()) / rates["pairs"].sum()) if rates["pairs"].sum() else np.nan
    colors = [ACCENT if r > overall else MAIN for r in rates["rate"]]
    ax.barh(y, rates["rate"], color=colors, height=0.65)
    err = np.vstack([rates["rate"] - rates["ci_low"], rates["ci_high"] - rates["rate"]])
    ax.errorbar(rates["rate"], y, xerr=err, fmt="none", ecolor="#444444", elinewidth=1, capsize=3)
    for yi, (r, hi, k) in enumerate(zip(rates["rate"], rates["ci_high"], rates["pairs"])):
        ax.annotate(f"{100 * r:.1f} %  (n={k:,})", (hi, y[yi]), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8, color="#333333")
    ax.axvline(overall, color="#555555", lw=1, ls="--")
    ax.set_yticks(y, [str(value_label(v)) for v in rates[by]])   # segment, campaign type … in the page's language
    ax.set_xlim(0, float(rates["ci_high"].max()) * 1.35)
    pct_axis(ax, "x")
    ax.set_xlabel(f"{t('redemption_rate')} ({t('dashed_average')} {100 * overall:.1f} %)")
    ax.set_ylabel(label or t(by))
    ax.grid(axis="y", visible=False)
    ax.set_title(title or t("redemption_title"))
    return finish(fig)


def redemption_grid_chart(tables: dict[str, pd.DataFrame], title: str | None = None, ncols: int = 2):
    """Several ``redemption_by`` tables (e.g. by age, income, household size, kids) as small multiples on one
    scale: where redemption is above (orange) or below (blue) the average."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    keys = list(tables)
    nrows = int(np.ceil(len(keys) / ncols))
    fig, axes = new_figure(10, 2.9 * nrows, ncols=ncols, nrows=nrows, squeeze=False)
    top = max(float(tb["ci_high"].max()) for tb in tables.values()) * 1.1
    for ax, key in zip(axes.ravel(), keys):
        tb = tables[key]
        overall = float(tb["redeemed"].sum() / tb["pairs"].sum())
        y = np.arange(len(tb))[::-1]
        ax.barh(y, tb["rate"], color=[ACCENT if r > overall else MAIN for r in tb["rate"]], height=0.65)
        err = np.vstack([tb["rate"] - tb["ci_low"], tb["ci_high"] - tb["rate"]])
        ax.errorbar(tb["rate"], y, xerr=err, fmt="none", ecolor="#444444", elinewidth=0.8, capsize=2)
        ax.axvline(overall, color="#555555", lw=1, ls="--")
        ax.set_yticks(y, [str(value_label(v)) for v in tb[tb.columns[0]]], fontsize=8)
        ax.set_xlim(0, top)
        pct_axis(ax, "x")
        ax.grid(axis="y", visible=False)
        ax.set_title(f"{t(key)} ({t('average')} {100 * overall:.1f} %)", fontsize=10)
    for ax in axes.ravel()[len(keys):]:
        ax.set_visible(False)
    return finish(fig, title=title or t("redemption_title"))
