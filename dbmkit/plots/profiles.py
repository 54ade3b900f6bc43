"""Charts of customer description, the revenue time series and the spend regression (chapter 27; see dbmkit.plots
for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, pick, t, value_label

__all__ = ["profile_index_chart", "decomposition_chart", "forecast_chart", "spend_regression_chart"]

add({"profile_index_title": ("What marks each group: index vs all customers", "各群体的特征：相对全体客户的指数"),
     "decomposition_title": ("Monthly revenue: trend and seasonal pattern", "月度收入：趋势与季节性"),
     "seasonal_index": ("Seasonal index (100 = average month)", "季节指数（平均月份=100）"),
     "forecast_title": ("Backtest and forecast of monthly revenue", "月度收入的回测与预测"),
     "spend_regression_title": ("Predicted vs actual spend in the next 12 months (holdout)",
                                "未来12个月消费：预测 vs 实际（验证集）"),
     "backtest": ("backtest", "回测"), "predicted": ("Predicted", "预测"), "actual_spend": ("Actual", "实际")})


def profile_index_chart(tab: pd.DataFrame, title: str | None = None):
    """Index vs base with its interval, one panel per group, for the values of :func:`dbmkit.profiles.index_table`
    rows in ``tab`` (group, attribute, value, index, index_low, index_high)."""
    from . import MAIN, PALETTE, finish, new_figure
    groups = list(dict.fromkeys(tab["group"].astype(str)))
    fig, axes = new_figure(4.2 * len(groups), 0.32 * max(tab.groupby("group", observed=True).size().max(), 4) + 1.6,
                           ncols=len(groups), squeeze=False)
    for ax, g, col in zip(axes[0], groups, PALETTE):
        d = tab[tab["group"].astype(str) == g].iloc[::-1]
        labels = [f"{t(a)}{pick((': ', '：'))}{value_label(v)}" for a, v in zip(d["attribute"], d["value"])]
        y = np.arange(len(d))
        ax.barh(y, d["index"], color=col if g != "defector" else PALETTE[3], alpha=0.85)
        ax.errorbar(d["index"], y, xerr=[d["index"] - d["index_low"], d["index_high"] - d["index"]], fmt="none",
                    ecolor="#333333", capsize=2, lw=1)
        ax.axvline(100, color=MAIN, lw=1, ls="--")
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_title(t(g))
        ax.set_xlabel(t("index_vs_base"))
    return finish(fig, title or t("profile_index_title"))


def decomposition_chart(parts: pd.DataFrame, seasonal: pd.DataFrame, currency: str = "", title: str | None = None):
    """Revenue with its trend (left) and the seasonal index of each calendar month (right), from
    :func:`dbmkit.forecast.decompose` and :func:`dbmkit.forecast.seasonal_indices`."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure
    fig, (a1, a2) = new_figure(11, 4, ncols=2, gridspec_kw={"width_ratios": [2, 1]})
    x = parts.index.to_timestamp()
    a1.plot(x, parts["revenue"], color=MAIN, lw=1.5, label=t("revenue"))
    a1.plot(x, parts["trend"], color=ACCENT, lw=2.5, label=t("trend"))
    money_axis(a1, currency=currency)
    import matplotlib.dates as mdates
    loc = mdates.AutoDateLocator(maxticks=6)
    a1.xaxis.set_major_locator(loc)
    a1.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
    a1.legend(loc="upper left")
    a2.bar(seasonal["month_of_year"], seasonal["index"], color=MAIN)
    a2.axhline(100, color=ACCENT, lw=1, ls="--")
    a2.set_xticks(range(1, 13))
    a2.set_ylabel(t("seasonal_index"))
    return finish(fig, title or t("decomposition_title"))


def forecast_chart(y: pd.Series, backtest: pd.DataFrame, future: pd.DataFrame, method: str, currency: str = "",
                   title: str | None = None):
    """Actual monthly revenue, the backtest forecasts of every method over the held-out months and the forecast of
    ``method`` with its prediction interval."""
    from . import MAIN, PALETTE, finish, money_axis, new_figure
    fig, ax = new_figure(10, 4.2)
    ax.plot(y.index.to_timestamp(), y.to_numpy(), color=MAIN, lw=2, label=t("actual"))
    for (m, d), col in zip(backtest.groupby("method", sort=False), PALETTE[1:]):
        ax.plot(pd.PeriodIndex(d["month"]).to_timestamp(), d["forecast"], color=col, lw=1.5, ls="--", marker="o",
                ms=3, label=pick((f"{t(m)} ({t('backtest')})", f"{t(m)}（{t('backtest')}）")))
    fx = pd.PeriodIndex(future["month"]).to_timestamp()
    ax.plot(fx, future["forecast"], color=PALETTE[1], lw=2.5,
            label=pick((f"{t('forecast')}: {t(method)}", f"{t('forecast')}：{t(method)}")))
    if "low" in future.columns:
        ax.fill_between(fx, future["low"], future["high"], color=PALETTE[1], alpha=0.2, label=t("prediction_interval"))
    money_axis(ax, currency=currency)
    ax.legend(loc="upper left", fontsize=8)
    return finish(fig, title or t("forecast_title"))


def spend_regression_chart(holdout: pd.DataFrame, currency: str = "", sample: int = 2000, title: str | None = None):
    """Predicted vs actual next-12-month spend of holdout customers (log-log, a sample of at most ``sample``), with
    the line of perfect prediction."""
    from . import ACCENT, MAIN, finish, new_figure
    d = holdout.sample(min(sample, len(holdout)), random_state=0) if len(holdout) > sample else holdout
    fig, ax = new_figure(6, 5)
    ax.scatter(d["actual"] + 1, d["predicted"] + 1, s=8, alpha=0.4, color=MAIN)
    hi = float(max(d["actual"].max(), d["predicted"].max(), 1)) + 1
    ax.plot([1, hi], [1, hi], color=ACCENT, lw=1.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{t('actual_spend')} + 1 ({currency})")
    ax.set_ylabel(f"{t('predicted')} + 1 ({currency})")
    return finish(fig, title or t("spend_regression_title"))
