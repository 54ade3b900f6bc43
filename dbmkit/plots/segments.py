"""Charts of segmentation, lifecycle and penetration (chapter 24; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, t

__all__ = ["lifecycle_chart", "k_choice_chart", "segment_profile_chart", "penetration_chart"]

add({"lifecycle_title": ("Customers by lifecycle stage", "各生命周期阶段的客户数"),
     "alive_truth": ("Truly still active (synthetic truth)", "真实仍存活的比例（合成数据）"),
     "k_choice": ("Choosing the number of segments", "选择细分数量"),
     "segment_profile": ("Segment profiles (index: 100 = average customer)", "细分画像（指数：平均=100）"),
     "penetration_title": ("Penetration index", "渗透指数"),
     "days_since_last": ("Days since last purchase", "距最后一次购买的天数"), "n_orders": ("Orders", "订单数"),
     "monetary_total": ("Revenue", "收入"), "avg_order_value": ("Average order value", "客单价"),
     "T": ("Customer age (days)", "客户年龄（天）"), "discount_share": ("Discount share", "折扣占比"),
     "return_share": ("Return share", "退货占比"), "share": ("Share", "占比"),
     "not_in_data": ("Not in the client's data (average 0)", "客户数据中没有（平均为0）"),
     "channels_used": ("Channels used", "使用渠道数")})


def lifecycle_chart(stages: pd.DataFrame, truth_alive: pd.Series | None = None, title: str | None = None):
    """Customers per lifecycle stage (from ``segments.lifecycle_stage``); with ``truth_alive`` (share truly alive
    per stage, synthetic client) a second axis shows how well the stages separate live from dead customers."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    counts = stages["lifecycle_stage"].astype(str).value_counts()        # counted once, no per-row loop
    order = [s for s in ["new", "active", "at_risk", "lapsed", "lost"] if s in counts.index]
    n = counts.reindex(order).fillna(0)
    fig, ax = new_figure(8, 4)
    bars = ax.bar([t(s) for s in order], n.to_numpy(), color=MAIN)
    for b, v in zip(bars, n.to_numpy()):
        ax.text(b.get_x() + b.get_width() / 2, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=9)
    ax.set_ylabel(t("customers"))
    ax.yaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    if truth_alive is not None:
        ax2 = ax.twinx()
        ax2.plot([t(s) for s in order], truth_alive.reindex(order).to_numpy(), color=ACCENT, marker="o", lw=2,
                 label=t("alive_truth"))
        ax2.set_ylim(0, 1.05)
        pct_axis(ax2)
        ax2.grid(False)
        ax2.legend(loc="upper right", frameon=False, fontsize=9)
    ax.set_title(title or t("lifecycle_title"))
    return finish(fig)


def k_choice_chart(k_table: pd.DataFrame, title: str | None = None):
    """The elbow (inertia) and the silhouette for each k (from ``segments.choose_k``); the chosen k is marked."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, axes = new_figure(9, 3.6, ncols=2)
    axes[0].plot(k_table["k"], k_table["inertia"], marker="o", color=MAIN)
    axes[0].set_title(t("inertia"), fontsize=11)
    axes[0].yaxis.set_major_formatter(lambda v, _: f"{v:,.2f}")
    axes[1].plot(k_table["k"], k_table["silhouette"], marker="o", color=MAIN)
    axes[1].set_title(t("silhouette"), fontsize=11)
    if "best" in k_table.columns and k_table["best"].any():
        b = k_table[k_table["best"]].iloc[0]
        for ax, col in zip(axes, ["inertia", "silhouette"]):
            ax.plot([b["k"]], [b[col]], marker="o", ms=12, mfc="none", mec=ACCENT, mew=2)
    for ax in axes:
        ax.set_xlabel("k")
        ax.set_xticks(k_table["k"])
    return finish(fig, title=title or t("k_choice"))


def segment_profile_chart(profile_index: pd.DataFrame, names: dict | None = None, by: str = "cluster",
                          title: str | None = None):
    """Heatmap of each segment's profile as an index vs the average customer (from ``segments.profile(...,
    index=True)``): red above average, blue below; row labels carry the name and size of each segment. A feature
    without an index (its average is 0: no discounts, no returns or no sales channel in the client's data) is left
    out and named below the chart."""
    import seaborn as sns

    from . import finish, new_figure
    cols = [c for c in profile_index.columns if c not in (by, "customers", "share")]
    blank = [c for c in cols if profile_index[c].isna().all()]
    cols = [c for c in cols if c not in blank]
    d = profile_index.set_index(by)[cols]
    labels = []
    for cl, row in profile_index.set_index(by).iterrows():
        nm = names.get(cl, str(cl)) if names else str(cl)
        labels.append(f"{cl} · {nm} ({row['share']:.0%})")
    fig, ax = new_figure(10, 0.55 * len(d) + 2.2)
    sns.heatmap(np.log2(d.clip(lower=1) / 100), ax=ax, cmap="RdBu_r", center=0, vmin=-2, vmax=2,
                annot=d.round(0).to_numpy(), fmt=".0f", cbar=False, annot_kws={"fontsize": 8.5},
                xticklabels=[t(c) for c in cols], yticklabels=labels)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="x", rotation=30)
    for lbl in ax.get_xticklabels():
        lbl.set_ha("right")
    ax.set_title(title or t("segment_profile"))
    source = (t("not_in_data") + ": " + ", ".join(t(c) for c in blank)) if blank else None
    return finish(fig, source=source)


def penetration_chart(pen: pd.DataFrame, by: str, top: int = 15, title: str | None = None):
    """Penetration index per group (from ``segments.penetration``): bars of customers per household as an index vs
    the average (100); for postal areas the top and bottom areas."""
    from . import ACCENT, MAIN, finish, new_figure
    d = pen.copy()
    if by in ("postal_code", "city") and len(d) > top:
        d = d.sort_values("index")
        half = top // 2
        d = pd.concat([d.head(half), d.tail(top - half)])
    elif by in ("postal_code", "city"):
        d = d.sort_values("index")
    label = (d["postal_code"].astype(str) + " " + d["city"].astype(str)) if by == "postal_code" else d[by].astype(str)
    fig, ax = new_figure(8.5, 0.4 * len(d) + 1.6)
    colors = [ACCENT if v < 100 else MAIN for v in d["index"]]
    ax.barh(label, d["index"], color=colors)
    for y, (v, c) in enumerate(zip(d["index"], d["customers"])):
        ax.text(v, y, f" {v:.0f}  ({int(c):,})", va="center", fontsize=8.5)
    ax.axvline(100, color="black", lw=1, ls="--")
    ax.set_xlim(0, float(d["index"].max()) * 1.25)
    ax.set_xlabel(t("penetration_index"))
    ax.set_title(title or f"{t('penetration_title')} · {t(by)}")
    return finish(fig)
