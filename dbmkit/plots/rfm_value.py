"""Charts of RFM and customer value (chapters 21–22; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, get_language, money, t

__all__ = ["rfm_grid_chart", "rfm_heatmap", "segment_share_chart", "cell_response_chart", "decile_chart",
           "purchase_decile_chart", "lorenz_chart", "pyramid_chart", "whale_chart", "discount_contribution_chart"]

add({
    "rfm_segments_title": ("RFM segments: recency × (frequency + monetary)", "RFM客户细分：近期 × (频率+金额)"),
    "r_score": ("R score (recency)", "R分（近期）"), "f_score": ("F score (frequency)", "F分（频率）"),
    "fm_score": ("Mean of F and M scores", "F与M平均分"), "m_score": ("M score (monetary)", "M分（金额）"),
    "mean_monetary": ("Mean net revenue per customer", "客户平均净收入"),
    "share_of_customers": ("Share of customers", "客户占比"), "share_of_revenue": ("Share of revenue", "收入占比"),
    "segment_shares_title": ("Who the segments are — and what they are worth", "各细分的人数与价值"),
    "response_by_cell": ("Past response rate by cell", "各单元过往响应率"),
    "incremental_by_cell": ("Past incremental response (treated − control) by cell",
                            "各单元过往增量响应率（目标组 − 对照组）"),
    "incremental_rate": ("Incremental response rate", "增量响应率"),
    "rv_interval": ("Confidence interval", "置信区间"),
    "rv_shrunk": ("Shrunk estimate (empirical Bayes)", "收缩估计（经验贝叶斯）"),
    "rv_breakeven": ("Break-even", "盈亏平衡"), "selected": ("Selected", "入选"),
    "not_selected": ("Not selected", "未入选"),
    "control_rate": ("Control group rate", "对照组响应率"),
    "monetary_deciles": ("Monetary deciles: each 10 % of customers' share of sales and profit",
                         "货币十分位：各组销售额与利润占比"),
    "decile_top": ("Decile (1 = best 10 % of customers)", "十分位（1 = 最好的10%客户）"),
    "sales": ("Sales", "销售额"), "cumulative": ("Cumulative", "累计"),
    "purchase_deciles_title": ("Purchase deciles: how many customers make each 10 % of sales",
                               "选购十分位：完成每10%销售额所需客户数"),
    "sales_part": ("Part of total sales (best customers first)", "销售额分段（从最好的客户开始）"),
    "lorenz_title": ("Lorenz curve of customer value", "客户价值的洛伦兹曲线"),
    "equality": ("Equal value", "完全平均"), "customers_poorest": ("Share of customers (least valuable first)",
                                                                "客户占比（从价值最低开始）"),
    "share_of_value": ("Share of value", "价值占比"),
    "pyramid_title": ("The customer pyramid: ABC classes", "顾客金字塔：ABC分类"),
    "whale_title": ("Cumulative contribution, most profitable customers first", "累计贡献（从最赚钱的客户开始）"),
    "share_of_contribution": ("Share of total contribution", "占总贡献比例"),
    "customers_best_first": ("Share of customers (most profitable first)", "客户占比（从最赚钱开始）"),
    "rv_discount_share": ("Discount share of gross revenue", "折扣占毛收入比例"),
    "contribution": ("Contribution", "贡献"),
    "price_only": ("Price-only buyers", "只看价格的顾客"), "relationship": ("Relationship customers", "关系顾客"),
    "price_vs_relationship": ("Price-only buyers vs relationship customers", "只看价格的顾客与关系顾客"),
    "lorenz": ("Lorenz", "洛伦兹曲线"), "rv_gini": ("Gini", "基尼系数"),
    "rv_top20": ("top 20 % → {v}", "前20%客户 → {v}"),
})

_SEG_COLORS = {"Champions": "#1f5f8b", "Loyal": "#3a7fb0", "Potential loyalists": "#6aa6cf",
               "Recent starters": "#3a9d5d", "Promising": "#7cc48f", "Need attention": "#ccb974",
               "About to sleep": "#e0a458", "Fading regulars": "#e07b39", "Can't lose them": "#c44e52",
               "Hibernating": "#a89f91", "Gone cold": "#8c8c8c",
               "Other": "#dddddd", "Prospect": "#cccccc"}


def _seg_label(name: str, zh: str | None = None) -> str:
    return zh if (get_language() == "zh" and zh) else name


def rfm_grid_chart(rfm: pd.DataFrame, segment_map: list[dict] | None = None, title: str | None = None):
    """The classic RFM segment map: R score (rows) × mean of F and M (columns), each cell coloured by its named
    segment with the share of customers in it."""
    import matplotlib.patches as mpatches

    from ..rfm import SEGMENT_MAP, rescale_to_5, segment_grid
    from . import finish, new_figure
    seg = segment_map or SEGMENT_MAP
    nb = rfm.attrs.get("rfm_bins", {"r": 5, "f": 5, "m": 5})
    r5 = rescale_to_5(rfm["r_score"].to_numpy(), nb["r"])
    f5, m5 = rescale_to_5(rfm["f_score"].to_numpy(), nb["f"]), rescale_to_5(rfm["m_score"].to_numpy(), nb["m"])
    fm5 = np.floor((f5 + m5) / 2 + 0.5)
    counts = pd.crosstab(r5, fm5.astype(int)).reindex(index=range(5, 0, -1), columns=range(1, 6), fill_value=0)
    grid = segment_grid(seg, "en")
    zh = {r["name"]: r.get("name_zh", r["name"]) for r in seg}
    fig, ax = new_figure(8.5, 5.2)
    n = max(len(rfm), 1)
    for i, rr in enumerate(grid.index):
        for j, ff in enumerate(grid.columns):
            name = grid.loc[rr, ff]
            ax.add_patch(mpatches.Rectangle((j, 4 - i), 1, 1, facecolor=_SEG_COLORS.get(name, "#bbbbbb"),
                                            edgecolor="white", lw=2))
            share = counts.loc[rr, ff] / n
            ax.text(j + 0.5, 4 - i + 0.5, f"{share:.1%}", ha="center", va="center", fontsize=9, color="white")
    # one label per segment, centred on the top row of its cells
    for name in pd.unique(grid.to_numpy().ravel()):
        ii, jj = np.where(grid.to_numpy() == name)
        top = ii.min()
        ax.text(jj[ii == top].mean() + 0.5, 4 - top + 0.8, _seg_label(name, zh.get(name)), ha="center",
                va="center", fontsize=8.5, color="white", fontweight="bold")
    ax.set_xlim(0, 5)
    ax.set_ylim(0, 5)
    ax.set_xticks(np.arange(5) + 0.5, [str(i) for i in range(1, 6)])
    ax.set_yticks(np.arange(5) + 0.5, [str(i) for i in range(1, 6)])
    ax.set_xlabel(t("fm_score"))
    ax.set_ylabel(t("r_score"))
    ax.grid(False)
    ax.set_title(title or t("rfm_segments_title"))
    return finish(fig)


def rfm_heatmap(rfm: pd.DataFrame, value: str = "monetary", currency: str = "", title: str | None = None):
    """R × F heatmap of the mean of ``value`` (default net revenue) with customer counts."""
    import seaborn as sns

    from . import finish, new_figure
    piv = rfm.pivot_table(index="r_score", columns="f_score", values=value, aggfunc="mean").sort_index(ascending=False)
    cnt = rfm.pivot_table(index="r_score", columns="f_score", values=value, aggfunc="size").reindex_like(piv)
    annot = np.vectorize(lambda v, c: "" if np.isnan(v) else f"{money(v, currency, chart=True)}\nn={int(c):,}")(
        piv.to_numpy(), cnt.fillna(0).to_numpy())
    fig, ax = new_figure(8, 4.8)
    sns.heatmap(piv, annot=annot, fmt="", cmap="Blues", cbar_kws={"label": t("mean_monetary")}, ax=ax,
                annot_kws={"fontsize": 8})
    ax.set_xlabel(t("f_score"))
    ax.set_ylabel(t("r_score"))
    ax.set_title(title or t("mean_monetary") + " · R × F")
    return finish(fig)


def segment_share_chart(seg_table: pd.DataFrame, title: str | None = None):
    """Share of customers vs share of revenue per named segment (from ``rfm.segment_table``)."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    d = seg_table.iloc[::-1]
    labels = [_seg_label(a, b) for a, b in zip(d["segment"], d["segment_zh"])]
    y = np.arange(len(d))
    fig, ax = new_figure(8.5, 0.38 * len(d) + 1.4)
    ax.barh(y + 0.2, d["share_customers"], height=0.4, color=MAIN, label=t("share_of_customers"))
    ax.barh(y - 0.2, d["share_revenue"], height=0.4, color=ACCENT, label=t("share_of_revenue"))
    ax.set_yticks(y, labels)
    pct_axis(ax, "x")
    ax.legend(frameon=False, loc="lower right")
    ax.set_title(title or t("segment_shares_title"))
    return finish(fig)


def cell_response_chart(cells: pd.DataFrame, by: str = "rfm_cell", breakeven_rate: float | None = None,
                        top: int = 30, rate: str = "response_rate", title: str | None = None,
                        shrunk: str | None = None):
    """Past response rate per cell (bars, coloured by break-even selection when ``selected`` is present) with the
    control group's rate and the break-even line. Shows the ``top`` cells with most contacts. ``rate`` =
    "incremental_rate" draws treated − control instead (without the control dots). With ``<rate>_low`` and
    ``<rate>_high`` columns each bar gets its interval; ``shrunk`` (e.g. "incremental_shrunk") adds the
    empirical-Bayes estimate as dots — where the raw bars scatter, the shrunk dots stay near the overall rate."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    d = cells.nlargest(top, "contacts") if len(cells) > top else cells
    d = d.assign(_rate=d[rate].fillna(0.0)).sort_values("_rate", ascending=False)
    labels = [str(x) for x in d[by]]
    if by == "segment" and "segment" in d.columns:
        from ..rfm import SEGMENT_MAP
        zh = {r["name"]: r["name_zh"] for r in SEGMENT_MAP} | {"Prospect": "潜在客户"}
        labels = [_seg_label(x, zh.get(x)) for x in d[by]]
    colors = [MAIN if s else "#b8b8b8" for s in d["selected"]] if "selected" in d.columns else MAIN
    fig, ax = new_figure(max(8, 0.3 * len(d) + 3), 4.3)
    x = np.arange(len(d))
    ax.bar(x, d["_rate"], color=colors)
    if f"{rate}_low" in d.columns and f"{rate}_high" in d.columns:
        lo, hi = d[f"{rate}_low"].to_numpy(float), d[f"{rate}_high"].to_numpy(float)
        v = d["_rate"].to_numpy(float)
        ax.errorbar(x, v, yerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], fmt="none", ecolor="#555555",
                    capsize=2, lw=0.8, label=t("rv_interval"))
    if shrunk is not None and shrunk in d.columns:
        ax.scatter(x, d[shrunk], color=ACCENT, marker="D", zorder=4, s=22, label=t("rv_shrunk"))
    if rate == "response_rate" and "control_rate" in d.columns:
        ax.scatter(x, d["control_rate"], color=ACCENT, zorder=3, s=18, label=t("control_rate"))
    if breakeven_rate is not None:
        ax.axhline(breakeven_rate, color="#c44e52", ls="--", lw=1.2, label=f"{t('rv_breakeven')} {breakeven_rate:.1%}")
    ax.set_xticks(x, labels, rotation=90 if len(d) > 12 else 30, ha="center" if len(d) > 12 else "right", fontsize=8)
    pct_axis(ax, "y")
    ax.set_ylabel(t(rate))
    if rate != "response_rate":
        ax.axhline(0, color="#444444", lw=0.8)
    if "selected" in d.columns:
        import matplotlib.patches as mpatches
        handles, lbls = ax.get_legend_handles_labels()
        handles += [mpatches.Patch(color=MAIN), mpatches.Patch(color="#b8b8b8")]
        lbls += [t("selected"), t("not_selected")]
        ax.legend(handles, lbls, frameon=False, fontsize=8, ncol=2)
    else:
        ax.legend(frameon=False, fontsize=8)
    ax.set_title(title or t("response_by_cell" if rate == "response_rate" else "incremental_by_cell"))
    return finish(fig)


def decile_chart(deciles: pd.DataFrame, title: str | None = None):
    """Monetary deciles: each decile's share of sales and of profit (bars) and the cumulative share of sales."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    fig, ax = new_figure(8.5, 4.2)
    x = deciles["decile"].to_numpy()
    has_profit = "profit_share" in deciles.columns
    w = 0.4 if has_profit else 0.7
    ax.bar(x - (w / 2 if has_profit else 0), deciles["value_share"], width=w, color=MAIN, label=t("sales"))
    if has_profit:
        ax.bar(x + w / 2, deciles["profit_share"], width=w, color=ACCENT, label=t("profit"))
    ax.plot(x, deciles["cum_value_share"], color="#444444", marker="o", ms=4, lw=1.2,
            label=t("cumulative") + " · " + t("sales"))
    for xi, c in zip(x, deciles["cum_value_share"]):
        ax.annotate(f"{c:.0%}", (xi, c), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7.5)
    ax.set_xticks(x)
    ax.set_xlabel(t("decile_top"))
    pct_axis(ax, "y")
    ax.set_ylim(0, 1.08)
    ax.legend(frameon=False, loc="center right")
    ax.set_title(title or t("monetary_deciles"))
    return finish(fig)


def purchase_decile_chart(parts: pd.DataFrame, title: str | None = None):
    """Purchase deciles: how many customers make each successive 10 % of sales (best customers first)."""
    from . import MAIN, finish, new_figure
    fig, ax = new_figure(8.5, 4.2)
    labels = [f"{a:.0%}–{b:.0%}" for a, b in zip(parts["from_share"], parts["to_share"])]
    x = np.arange(len(parts))
    ax.bar(x, parts["customers"], color=MAIN)
    for xi, n, s in zip(x, parts["customers"], parts["share_customers"]):
        ax.annotate(f"{n:,}\n({s:.1%})", (xi, n), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7.5)
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_xlabel(t("sales_part"))
    ax.set_ylabel(t("customers"))
    ax.set_ylim(0, parts["customers"].max() * 1.18)
    ax.set_title(title or t("purchase_deciles_title"))
    return finish(fig)


def lorenz_chart(curve: pd.DataFrame, gini: float | None = None, top20: float | None = None, title: str | None = None):
    """Lorenz curve with the diagonal of equal value; the shaded gap is half the Gini coefficient."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    fig, ax = new_figure(6.2, 5)
    x, y = curve["cum_share_customers"], curve["cum_share_value"]
    ax.plot([0, 1], [0, 1], color="#888888", ls="--", lw=1, label=t("equality"))
    ax.plot(x, y, color=MAIN, lw=2, label=t("lorenz"))
    ax.fill_between(x, y, x, color=MAIN, alpha=0.12)
    if top20 is not None:
        ax.annotate(t("rv_top20").format(v=f"{top20:.0%}"), xy=(0.8, 1 - top20), xytext=(0.35, 0.55), fontsize=9,
                    arrowprops=dict(arrowstyle="->", color=ACCENT), color=ACCENT)
    if gini is not None:
        ax.text(0.05, 0.9, f"{t('rv_gini')} = {gini:.2f}", fontsize=11, fontweight="bold", color=MAIN,
                transform=ax.transAxes)
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    ax.set_xlabel(t("customers_poorest"))
    ax.set_ylabel(t("share_of_value"))
    ax.legend(frameon=False, loc="center left")
    ax.set_title(title or t("lorenz_title"))
    return finish(fig)


def pyramid_chart(abc: pd.DataFrame, title: str | None = None):
    """The customer pyramid: one layer per ABC class (A on top), labelled with its share of customers and of
    value. The layers' heights are equal; the text carries the numbers."""
    import matplotlib.patches as mpatches

    from . import PALETTE, finish, new_figure
    fig, ax = new_figure(7.5, 4.8)
    k = len(abc)
    for i, row in enumerate(abc.itertuples()):
        top_w, bot_w = i / k, (i + 1) / k
        y0, y1 = k - i - 1, k - i
        poly = [(0.5 - bot_w / 2, y0), (0.5 + bot_w / 2, y0), (0.5 + top_w / 2, y1), (0.5 - top_w / 2, y1)]
        ax.add_patch(mpatches.Polygon(poly, closed=True, facecolor=PALETTE[i % len(PALETTE)], edgecolor="white", lw=2))
        name = row.name_zh if get_language() == "zh" else row.name
        ax.text(0.5, y0 + 0.4, row.abc_class, ha="center", va="center", color="white", fontweight="bold",
                fontsize=12)
        text = (f"{row.abc_class} · {name}：客户占{row.share_customers:.1%} → 价值占{row.share_value:.1%}"
                if get_language() == "zh" else
                f"{row.abc_class} · {name}: {row.share_customers:.1%} {t('customers').lower()} → "
                f"{row.share_value:.1%} {t('share_of_value').lower()}")
        ax.text(0.98, y0 + 0.5, text, va="center", fontsize=9)
    ax.set_xlim(0, 1.9)
    ax.set_ylim(0, k)
    ax.axis("off")
    ax.set_title(title or t("pyramid_title"))
    return finish(fig)


def whale_chart(curve: pd.DataFrame, title: str | None = None):
    """The whale curve: cumulative contribution against the share of customers, most profitable first."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    fig, ax = new_figure(7.5, 4.3)
    x, y = curve["cum_share_customers"], curve["cum_share_contribution"]
    ax.plot(x, y, color=MAIN, lw=2)
    ax.axhline(1.0, color="#888888", ls="--", lw=1)
    i = int(np.argmax(y.to_numpy()))
    ax.annotate(f"{y.iloc[i]:.0%}", (x.iloc[i], y.iloc[i]), textcoords="offset points", xytext=(0, 6), ha="center",
                color=ACCENT, fontweight="bold")
    pct_axis(ax, "x")
    pct_axis(ax, "y")
    ax.set_xlabel(t("customers_best_first"))
    ax.set_ylabel(t("share_of_contribution"))
    ax.set_title(title or t("whale_title"))
    return finish(fig)


def discount_contribution_chart(prof: pd.DataFrame, threshold: float | None = None, currency: str = "",
                                sample: int = 3000, seed: int = 0, title: str | None = None):
    """Discount share vs contribution per customer, price-only buyers highlighted (a sample of ``sample``)."""
    from . import ACCENT, MAIN, finish, money_axis, new_figure, pct_axis
    d = prof.sample(min(sample, len(prof)), random_state=seed) if len(prof) > sample else prof
    fig, ax = new_figure(8, 4.5)
    for flag, color, label in ((False, MAIN, t("relationship")), (True, ACCENT, t("price_only"))):
        s = d[d["price_only"] == flag]
        ax.scatter(s["discount_share"], s["contribution"], s=8, alpha=0.45, color=color, label=label)
    if threshold is not None:
        ax.axvline(threshold, color="#444444", ls="--", lw=1)
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set_yscale("symlog", linthresh=100)
    pct_axis(ax, "x")
    money_axis(ax, "y", currency)
    ax.set_xlabel(t("rv_discount_share"))
    ax.set_ylabel(t("contribution"))
    ax.legend(frameon=False, markerscale=2)
    ax.set_title(title or t("price_vs_relationship"))
    return finish(fig)
