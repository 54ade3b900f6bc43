"""Charts of phase 1 — building the database (chapters 10–12; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, t, value_label

__all__ = ["source_rows_chart", "quarantine_chart", "quality_chart", "match_tradeoff_chart", "match_score_chart",
           "household_chart", "consent_chart", "suppression_chart", "schema_diagram", "area_penetration_chart"]

add({
    "rows_read_title": ("Rows read per source — and how many were quarantined", "各数据源读取行数与隔离行数"),
    "rows_read": ("Rows read (log scale)", "读取行数（对数刻度）"),
    "loaded": ("Loaded", "已载入"), "quarantined": ("Quarantined", "已隔离"),
    "quarantine_title": ("Why rows were quarantined", "行被隔离的原因"), "rows": ("Rows", "行数"),
    "nothing_quarantined": ("Every row was loaded: nothing was quarantined", "所有行均已载入：没有被隔离的行"),
    "household_title": ("Households by number of persons", "按人数划分的家庭"),
    "persons_in_household": ("Persons in the household", "家庭人数"), "households": ("Households", "家庭数"),
    "quality_title": ("Data quality per column, before and after cleaning", "各字段数据质量：清洗前后对比"),
    "completeness": ("Completeness", "完整性"), "validity": ("Validity", "有效性"),
    "uniqueness": ("Uniqueness", "唯一性"),
    "before cleaning": ("Before cleaning", "清洗前"), "after cleaning": ("After cleaning", "清洗后"),
    "tradeoff_title": ("Merge/purge: precision and recall against the match threshold",
                       "合并去重：匹配阈值与精确率、召回率"),
    "threshold": ("Match threshold (probability)", "匹配阈值（概率）"), "precision": ("Precision", "精确率"),
    "recall": ("Recall", "召回率"), "f1": ("F1", "F1"), "chosen": ("chosen", "当前"),
    "scores_title": ("Match probability of the candidate pairs", "候选记录对的匹配概率"),
    "pairs": ("Candidate pairs", "候选对"), "same_person": ("Same person (truth)", "同一人（真实）"),
    "two_people": ("Two people (truth)", "不同的人（真实）"), "all_pairs": ("All pairs", "全部候选对"),
    "match_probability": ("Match probability", "匹配概率"),
    "no_pairs": ("No candidate pairs: no two records share a name, e-mail, phone or address",
                 "没有候选记录对：没有两条记录共享姓名、邮箱、电话或地址"),
    "consent_title": ("Consent per channel (latest status wins)", "各渠道许可状态（以最新为准）"),
    "opted_in": ("Opted in", "已同意"), "opted_out": ("Opted out", "已退订"), "no_record": ("No record", "无记录"),
    "share_of_customers_c": ("Share of customers", "客户占比"),
    "suppression_title": ("Who must not be contacted by {channel}, and why", "不得通过{channel}联系的客户及原因"),
    "customers_n": ("Customers", "客户数"),
    "schema_title": ("The marketing database: tables and keys", "营销数据库：表与键"),
    "penetration_title": ("Penetration by postal area: customers per 100 households", "各邮编区渗透率：每百户客户数"),
    "n_columns": ("{n} columns", "{n} 个字段"),
    "median_income": ("Median household income of the area", "地区家庭收入中位数"),
    "penetration": ("Customers per 100 households", "每百户客户数"),
})


def _short(path: str, n: int = 28) -> str:
    s = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    return s if len(s) <= n else s[: n - 1] + "…"


def source_rows_chart(recon: pd.DataFrame, title: str | None = None):
    """Rows read per source (log scale), split into loaded and quarantined, with the quarantined count written at
    the end of each bar. ``recon`` is ``dbm.database.reconciliation(ws)``."""
    from . import ACCENT, MAIN, finish, new_figure
    d = recon.copy()
    d["label"] = [f"{tb} · {_short(s)}" for tb, s in zip(d["table_name"], d["source"])]
    d = d.iloc[::-1]
    fig, ax = new_figure(9, 0.35 * len(d) + 1.4)
    y = np.arange(len(d))
    ax.barh(y, d["rows_loaded"].clip(lower=0.8), color=MAIN, label=t("loaded"))
    ax.barh(y, d["rows_quarantined"], left=d["rows_loaded"].clip(lower=0.8), color=ACCENT, label=t("quarantined"))
    ax.set_xscale("log")
    ax.set_yticks(y, d["label"], fontsize=8)
    for yi, (r, q) in enumerate(zip(d["rows_read"], d["rows_quarantined"])):
        if q:
            share = "<0.1%" if q / r < 0.001 else f"{q / r:.1%}"
            ax.text(max(r, 1) * 1.15, yi, f"{q:,} ({share})", va="center", fontsize=7, color=ACCENT)
    ax.set_xlabel(t("rows_read"))
    ax.set_xlim(0.8, max(10, d["rows_read"].max()) * 8)
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.set_title(title or t("rows_read_title"))
    return finish(fig)


def quarantine_chart(summary: pd.DataFrame, top: int = 12, title: str | None = None):
    """Quarantined rows by kind of reason (``dbm.database.quarantine_summary(ws)``)."""
    from . import ACCENT, finish, new_figure
    if summary.empty:
        fig, ax = new_figure(8, 1.6)
        ax.axis("off")
        ax.text(0.5, 0.5, t("nothing_quarantined"), ha="center", va="center", fontsize=11)
        ax.set_title(title or t("quarantine_title"))
        return finish(fig)
    d = summary.groupby(["table_name", "reason_kind"], as_index=False)["rows"].sum()
    d = d.sort_values("rows", ascending=False).head(top).iloc[::-1]
    fig, ax = new_figure(9, 0.38 * max(len(d), 1) + 1.3)
    kinds = [str(value_label(r)) for r in d["reason_kind"]]           # the reason's kind in the page's language
    labels = [f"{tb}: {r if len(r) < 60 else r[:59] + '…'}" for tb, r in zip(d["table_name"], kinds)]
    ax.barh(np.arange(len(d)), d["rows"], color=ACCENT)
    ax.set_yticks(np.arange(len(d)), labels, fontsize=8)
    for yi, v in enumerate(d["rows"]):
        ax.text(v, yi, f" {v:,}", va="center", fontsize=8)
    ax.set_xlabel(t("rows"))
    ax.set_xlim(0, max(1, d["rows"].max()) * 1.15)
    ax.set_title(title or t("quarantine_title"))
    return finish(fig)


def quality_chart(quality: pd.DataFrame, table: str = "customers", title: str | None = None):
    """Completeness, validity and uniqueness per column of one table, before and after cleaning (the
    ``data_quality`` table of the database)."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    q = quality[quality["table"] == table]
    stages = ["before cleaning", "after cleaning"]
    cols = list(dict.fromkeys(q["column"]))
    metrics = [m for m in ("completeness", "validity", "uniqueness") if q[m].notna().any()]
    fig, axes = new_figure(11, 0.32 * len(cols) + 1.6, ncols=len(metrics), sharey=True)
    axes = np.atleast_1d(axes)
    y = np.arange(len(cols))[::-1]
    for ax, m in zip(axes, metrics):
        for k, (stage, color) in enumerate(zip(stages, (ACCENT, MAIN))):
            v = q[q["stage"] == stage].set_index("column")[m].reindex(cols)
            ax.barh(y + (0.2 if k == 0 else -0.2), v.fillna(0), height=0.38, color=color, label=t(stage))
            for yi, x in zip(y, v):
                if pd.isna(x) or x < 0.005:
                    ax.text(0.01, yi + (0.2 if k == 0 else -0.2), "–" if pd.isna(x) else "0%", va="center",
                            fontsize=6, color="#999999" if pd.isna(x) else color)
        ax.set_xlim(0, 1.05)
        pct_axis(ax, "x")
        ax.set_title(t(m), fontsize=10, loc="center")
    axes[0].set_yticks(y, cols, fontsize=8)
    axes[-1].legend(loc="lower right", frameon=False, fontsize=8)
    from ..clean import quality_summary
    s = quality_summary(q).set_index("stage")["score"]
    sub = f"{table}: " + " → ".join(f"{s.get(st, float('nan')):.0f}" for st in stages)
    return finish(fig, title=(title or t("quality_title")) + f"  ({sub})")


def match_tradeoff_chart(curve: pd.DataFrame, chosen: float | None = None, title: str | None = None):
    """Precision, recall and F1 of merge/purge at each threshold (``dbm.identity.threshold_curve``)."""
    from . import ACCENT, MAIN, PALETTE, finish, new_figure, pct_axis
    fig, ax = new_figure(8, 4.2)
    ax.plot(curve["threshold"], curve["precision"], marker="o", color=MAIN, label=t("precision"))
    ax.plot(curve["threshold"], curve["recall"], marker="o", color=ACCENT, label=t("recall"))
    ax.plot(curve["threshold"], curve["f1"], ls="--", color=PALETTE[2], label=t("f1"))
    if chosen is not None:
        ax.axvline(chosen, color="#555555", lw=1, ls=":")
        ax.text(chosen, 0.02, f" {t('chosen')} {chosen:g}", fontsize=8,
                color="#555555", va="bottom", transform=ax.get_xaxis_transform())
    lo = float(min(curve["precision"].min(), curve["recall"].min()))
    ax.set_ylim(max(0.0, lo - 0.05), 1.01)
    pct_axis(ax, "y")
    ax.set_xlabel(t("threshold"))
    ax.legend(frameon=False, loc="lower left")
    ax.set_title(title or t("tradeoff_title"))
    return finish(fig)


def match_score_chart(pairs: pd.DataFrame, same_person=None, threshold: float | None = None,
                      title: str | None = None):
    """Histogram of the candidate pairs' match probabilities, split by the truth (same person or not) when known."""
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(8, 4)
    if not len(pairs):
        ax.axis("off")
        ax.text(0.5, 0.5, t("no_pairs"), ha="center", va="center", fontsize=11)
        ax.set_title(title or t("scores_title"))
        return finish(fig)
    bins = np.linspace(0, 1, 26)
    p = pairs["probability"].to_numpy()
    if same_person is not None:
        same = np.asarray(same_person, dtype=bool)
        ax.hist([p[same], p[~same]], bins=bins, stacked=True, color=[MAIN, ACCENT],
                label=[t("same_person"), t("two_people")])
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(0.12, 1.0))
    else:
        ax.hist(p, bins=bins, color=MAIN, label=t("all_pairs"))
    ax.set_yscale("log")
    if threshold is not None:
        ax.axvline(threshold, color="#555555", lw=1, ls=":")
        ax.text(threshold, 0.02, f"{t('chosen')} {threshold:g} ", fontsize=8, color="#555555", va="bottom",
                ha="right", transform=ax.get_xaxis_transform())
    ax.set_xlabel(t("match_probability"))
    ax.set_ylabel(t("pairs"))
    ax.set_title(title or t("scores_title"))
    return finish(fig)


def household_chart(sizes: pd.DataFrame, title: str | None = None):
    """Bar chart of households by number of persons (``dbm.identity.household_sizes``)."""
    from . import MAIN, finish, new_figure
    fig, ax = new_figure(7, 3.4)
    ax.bar(sizes["persons"].astype(str), sizes["households"], color=MAIN)
    total = sizes["households"].sum()
    for x, v in zip(sizes["persons"].astype(str), sizes["households"]):
        ax.text(x, v, f"{v:,}\n{v / total:.0%}", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, sizes["households"].max() * 1.25)
    ax.set_xlabel(t("persons_in_household"))
    ax.set_ylabel(t("households"))
    ax.set_title(title or t("household_title"))
    return finish(fig)


def consent_chart(summary: pd.DataFrame, title: str | None = None):
    """Opted in / opted out / no record per channel, as shares of all customers (``dbm.database.consent_summary``)."""
    from . import ACCENT, MAIN, finish, new_figure, pct_axis
    d = summary.set_index("channel")
    total = (d["opted_in"] + d["opted_out"] + d["no_record"]).replace(0, np.nan)
    fig, ax = new_figure(8, 3.2)
    y = np.arange(len(d))[::-1]
    left = np.zeros(len(d))
    for col, color in (("opted_in", MAIN), ("opted_out", ACCENT), ("no_record", "#c8c8c8")):
        share = (d[col] / total).fillna(0).to_numpy()
        ax.barh(y, share, left=left, color=color, label=t(col))
        for yi, x0, s in zip(y, left, share):
            if s >= 0.06:
                ax.text(x0 + s / 2, yi, f"{s:.0%}", ha="center", va="center", fontsize=8,
                        color="white" if color != "#c8c8c8" else "#333333")
        left += share
    ax.set_yticks(y, [t(c) for c in d.index])
    pct_axis(ax, "x")
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("share_of_customers_c"))
    ax.legend(ncol=3, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=8)
    ax.set_title(title or t("consent_title"))
    return finish(fig)


def suppression_chart(sup: pd.DataFrame, channel: str, n_customers: int | None = None, title: str | None = None):
    """How many customers each suppression reason covers on one channel (a customer can have several reasons)."""
    from . import ACCENT, finish, new_figure
    d = sup.groupby("reason").size().sort_values()
    fig, ax = new_figure(8, 0.4 * max(len(d), 1) + 1.3)
    ax.barh(np.arange(len(d)), d.to_numpy(), color=ACCENT)
    ax.set_yticks(np.arange(len(d)), [value_label(r) for r in d.index], fontsize=9)
    for yi, v in enumerate(d.to_numpy()):
        share = (v / n_customers) if n_customers else None
        lab = f" {v:,}" + ("" if share is None else (" (<1%)" if share < 0.005 else f" ({share:.0%})"))
        ax.text(v, yi, lab, va="center", fontsize=8)
    ax.set_xlim(0, max(1, d.max()) * 1.25)
    ax.set_xlabel(t("customers_n"))
    ax.set_title(title or t("suppression_title").format(channel=t(channel)))
    return finish(fig)


_LAYOUT = {  # table: (x, y) of the box centre on a 12 × 6 canvas; no foreign-key line crosses another box
    "customer_records": (1.5, 5.3), "orders": (6.0, 5.3), "order_items": (10.5, 5.3),
    "consents": (1.5, 3.0), "customers": (6.0, 3.0), "products": (10.5, 3.8), "email_events": (10.5, 2.3),
    "area_demographics": (1.5, 0.6), "contacts": (3.7, 0.6), "campaigns": (6.0, 0.6), "responses": (8.3, 0.6),
    "sms_events": (10.5, 0.9),
}
_BOX_W = 1.9


def _box_lines(table: str) -> list[str]:
    from .. import schema
    keys = schema.PRIMARY_KEYS.get(table, [])
    fks = [c for c, _, _ in schema.FOREIGN_KEYS.get(table, [])]
    return [table] + [f"PK {k}" for k in keys] + [f"FK {c}" for c in fks if c not in keys] + \
        [t("n_columns").format(n=len(schema.TABLES[table]))]


def _edge(x1, y1, x2, y2, half_w, half_h):
    """Where the segment from (x1, y1) towards the box centred at (x2, y2) enters that box."""
    dx, dy = x2 - x1, y2 - y1
    t = min(half_w / abs(dx) if dx else np.inf, half_h / abs(dy) if dy else np.inf)
    return x2 - dx * t, y2 - dy * t


def schema_diagram(title: str | None = None):
    """The canonical tables as boxes (primary and foreign keys listed) with their foreign keys as arrows pointing
    to the table they reference."""
    from matplotlib.patches import FancyBboxPatch

    from .. import schema
    from . import ACCENT, MAIN, finish, new_figure
    fig, ax = new_figure(12, 6.4)
    ax.set_xlim(0.4, 11.6)
    ax.set_ylim(-0.1, 6.0)
    ax.axis("off")
    heights = {tb: 0.22 * len(_box_lines(tb)) + 0.12 for tb in _LAYOUT}
    for table, refs in schema.FOREIGN_KEYS.items():
        for _, ref, _ in refs:
            (x1, y1), (x2, y2) = _LAYOUT[table], _LAYOUT[ref]
            start = _edge(x2, y2, x1, y1, _BOX_W / 2 + 0.05, heights[table] / 2 + 0.05)
            end = _edge(x1, y1, x2, y2, _BOX_W / 2 + 0.06, heights[ref] / 2 + 0.06)
            ax.annotate("", xy=end, xytext=start, zorder=1,
                        arrowprops=dict(arrowstyle="-|>", color=ACCENT, lw=1.2, shrinkA=0, shrinkB=0))
    for table, (x, y) in _LAYOUT.items():
        lines = _box_lines(table)
        h = heights[table]
        ax.add_patch(FancyBboxPatch((x - _BOX_W / 2, y - h / 2), _BOX_W, h, boxstyle="round,pad=0.03",
                                    fc="#eef4f9", ec=MAIN, lw=1.2, zorder=2))
        for k, ln in enumerate(lines):
            ax.text(x, y + h / 2 - 0.17 - 0.22 * k, ln, ha="center", va="center", zorder=3,
                    fontsize=8 if k else 9, fontweight="bold" if k == 0 else "normal",
                    color=MAIN if k == 0 else "#333333")
    return finish(fig, title=title or t("schema_title"))


def area_penetration_chart(areas: pd.DataFrame, currency: str = "", title: str | None = None):
    """Penetration (customers per 100 households) against the area's median income; bubble size = households."""
    from . import MAIN, finish, money_axis, new_figure
    d = areas.dropna(subset=["median_income", "penetration"])
    fig, ax = new_figure(8, 4.4)
    size = 30 + 400 * d["households"] / max(1, d["households"].max())
    ax.scatter(d["median_income"], d["penetration"], s=size, alpha=0.55, color=MAIN, edgecolor="white")
    if len(d) >= 3:
        b, a = np.polyfit(d["median_income"], d["penetration"], 1)
        xs = np.linspace(d["median_income"].min(), d["median_income"].max(), 20)
        ax.plot(xs, a + b * xs, color="#555555", lw=1, ls="--")
    money_axis(ax, "x", currency)
    ax.set_xlabel(t("median_income"))
    ax.set_ylabel(t("penetration"))
    ax.set_title(title or t("penetration_title"))
    return finish(fig)
