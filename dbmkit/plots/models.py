"""Charts of predictive models: gains, lift, calibration, ROC (chapter 26; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, t

__all__ = ["gains_chart", "lift_chart", "calibration_chart", "roc_chart", "truth_by_decile_chart"]

add({"gains_title": ("Cumulative gains: responders reached", "累计增益图：覆盖的响应者"),
     "lift_title": ("Lift per decile (1 = random)", "各十分位的提升度（1 = 随机）"),
     "calibration_title": ("Calibration: predicted vs observed", "校准：预测与实际"),
     "roc_title": ("ROC curve", "ROC曲线"),
     "truth_title": ("True response probability by score decile (synthetic truth)",
                     "各分数十分位的真实响应概率（合成数据）"),
     "true_probability": ("True probability", "真实概率"), "perfect": ("Perfectly calibrated", "完全校准")})


def gains_chart(gains: pd.DataFrame | dict, title: str | None = None):
    """Cumulative gains curve(s) from ``models.gains_table`` — one table, or a dict {label: table} to compare
    models — with the diagonal of a random selection."""
    from . import PALETTE, finish, new_figure, pct_axis
    tables = gains if isinstance(gains, dict) else {"": gains}
    fig, ax = new_figure(6.5, 4.6)
    for i, (name, g) in enumerate(tables.items()):
        x = np.r_[0, g["cum_pct_customers"].to_numpy()]
        y = np.r_[0, g["cum_pct_responders"].to_numpy()]
        ax.plot(x, y, marker="o", ms=4, color=PALETTE[i % len(PALETTE)], label=t(name) if name else None)
    ax.plot([0, 1], [0, 1], color="#888888", ls="--", label=t("random"))
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    ax.set_xlabel(t("cum_pct_customers"))
    ax.set_ylabel(t("cum_pct_responders"))
    ax.legend(loc="lower right", frameon=False)
    ax.set_title(title or t("gains_title"), fontsize=10.5)
    return finish(fig)


def lift_chart(gains: pd.DataFrame, title: str | None = None):
    """Bars of the lift per decile and the cumulative lift line (from ``models.gains_table``)."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(8, 4)
    ax.bar(gains["decile"], gains["lift"], color=MAIN, label=t("lift"))
    ax.plot(gains["decile"], gains["cum_lift"], color=ACCENT, marker="o", label=t("cum_lift"))
    for d, v in zip(gains["decile"], gains["lift"]):
        ax.text(d, v, f"{v:.2f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(1, color="black", lw=1, ls="--")
    ax.set_xticks(gains["decile"])
    ax.set_xlabel(t("decile"))
    ax.set_ylabel(t("lift"))
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(title or t("lift_title"))
    return finish(fig)


def calibration_chart(calib: pd.DataFrame | dict, title: str | None = None):
    """Mean predicted probability vs observed rate per group (from ``models.calibration_table``); one table or a
    dict {label: table}."""
    from . import PALETTE, finish, new_figure, pct_axis
    tables = calib if isinstance(calib, dict) else {"": calib}
    fig, ax = new_figure(5.5, 4.6)
    hi = max(float(max(c["mean_predicted"].max(), c["observed_rate"].max())) for c in tables.values())
    ax.plot([0, hi], [0, hi], color="#888888", ls="--", label=t("perfect"))
    for i, (name, c) in enumerate(tables.items()):
        ax.plot(c["mean_predicted"], c["observed_rate"], marker="o", color=PALETTE[i % len(PALETTE)],
                label=t(name) if name else None)
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    ax.set_xlabel(t("mean_predicted"))
    ax.set_ylabel(t("observed_rate"))
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.set_title(title or t("calibration_title"), fontsize=10.5)
    return finish(fig)


def roc_chart(rocs: dict, title: str | None = None):
    """ROC curves {label: ``models.roc_table`` output}, with the AUC in the legend."""
    from . import PALETTE, finish, new_figure
    fig, ax = new_figure(5.5, 4.6)
    for i, (name, r) in enumerate(rocs.items()):
        ax.plot(r["false_positive_rate"], r["true_positive_rate"], color=PALETTE[i % len(PALETTE)],
                label=f"{t(name)} (AUC {r.attrs.get('auc', float('nan')):.3f})")
    ax.plot([0, 1], [0, 1], color="#888888", ls="--")
    ax.set_xlabel(t("false_positive_rate"))
    ax.set_ylabel(t("true_positive_rate"))
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.set_title(title or t("roc_title"))
    return finish(fig)


def truth_by_decile_chart(d: pd.DataFrame, title: str | None = None):
    """Mean true probability (synthetic truth) and observed rate per score decile: columns decile,
    true_probability, observed_rate."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    fig, ax = new_figure(8, 4)
    ax.bar(d["decile"] - 0.2, d["true_probability"], width=0.4, color=MAIN, label=t("true_probability"))
    ax.bar(d["decile"] + 0.2, d["observed_rate"], width=0.4, color=ACCENT, label=t("observed_rate"))
    ax.set_xticks(d["decile"])
    ax.set_xlabel(t("decile"))
    pct_axis(ax, "y")
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(title or t("truth_title"))
    return finish(fig)
