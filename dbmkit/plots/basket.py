"""Charts of market-basket and sequence analysis (chapter 25; see dbmkit.plots for the conventions)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import add, t

__all__ = ["rules_chart", "sequence_chart"]

add({"rules_title": ("Strongest basket rules (lift)", "最强的购物篮关联规则（提升度）"),
     "sequence_title": ("What customers buy next: after A, then C within N days", "购买序列：买了A之后N天内再买C"),
     "after": ("Bought C within the window after A", "买A后窗口期内买C"),
     "before": ("Bought C within the window before A (control)", "买A前窗口期内买C（对照）"),
     "planted": ("planted in the synthetic truth", "合成数据中预设的规则"),
     "median_lag": ("median", "间隔中位数"), "lag_days_unit": (" d", "天"), "rule_lift": ("Lift", "提升度"),
     "list_sep": (", ", "，"),
     "no_rules": ("No rule reaches the thresholds", "没有规则达到阈值")})


def _empty(title: str):
    from . import finish, new_figure
    fig, ax = new_figure(8, 2.5)
    ax.text(0.5, 0.5, t("no_rules"), ha="center", va="center", fontsize=11, color="#555555")
    ax.set_axis_off()
    ax.set_title(title)
    return finish(fig)


def _label(a, c):
    return f"{a} → {c}"


def rules_chart(rules: pd.DataFrame, top: int = 12, planted: set | None = None, title: str | None = None):
    """Horizontal bars of the lift of the strongest rules (one direction per pair), with confidence and support as
    labels; rules in ``planted`` (set of (antecedent, consequent)) are highlighted."""
    from . import ACCENT, MAIN, finish, new_figure
    if rules.empty:
        return _empty(title or t("rules_title"))
    r = rules.copy()
    from ..basket import pair_key
    key = pair_key(r)
    # one direction per pair: the one with the higher confidence (the more useful recommendation)
    r = r.assign(_pair=key, _lift=r["lift"].round(6)).sort_values(["_lift", "confidence"], ascending=False)
    r = r.drop_duplicates("_pair").head(top)
    r = r.iloc[::-1]
    fig, ax = new_figure(9, 0.42 * len(r) + 1.6)
    pl = planted or set()
    hit = [((a, c) in pl) or ((c, a) in pl) for a, c in zip(r["antecedent"], r["consequent"])]
    ax.barh([_label(a, c) for a, c in zip(r["antecedent"], r["consequent"])], r["lift"],
            color=[ACCENT if h else MAIN for h in hit])
    for y, (lf, cf, sp) in enumerate(zip(r["lift"], r["confidence"], r["support"])):
        note = f"{t('confidence')} {cf:.0%}{t('list_sep')}{t('support')} {sp:.1%}"
        ax.text(lf, y, f"  {lf:.1f}   ({note})", va="center", fontsize=8)
    ax.axvline(1, color="black", lw=1, ls="--")
    ax.set_xlim(0, float(r["lift"].max()) * 1.6)
    ax.set_xlabel(t("rule_lift"))
    if pl:
        from matplotlib.patches import Patch
        ax.legend(handles=[Patch(color=ACCENT, label=t("planted"))], loc="lower right", frameon=False, fontsize=8.5)
    ax.set_title(title or t("rules_title"))
    return finish(fig)


def sequence_chart(seq: pd.DataFrame, top: int = 8, title: str | None = None):
    """For the strongest sequence rules: the probability of buying C within the window after A next to the rate in
    the same window before A (the control), with the median lag in days."""
    from . import MAIN, finish, new_figure, pct_axis
    if seq.empty:
        return _empty(title or t("sequence_title"))
    r = seq.head(top).iloc[::-1]
    fig, ax = new_figure(9, 0.5 * len(r) + 1.8)
    y = np.arange(len(r))
    ax.barh(y + 0.2, r["probability"], height=0.4, color=MAIN, label=t("after"))
    ax.barh(y - 0.2, r["before_rate"], height=0.4, color="#b8b8b8", label=t("before"))
    for yi, (p, lag) in enumerate(zip(r["probability"], r["median_lag_days"])):
        ax.text(p, yi + 0.2, f" {p:.0%} · {t('median_lag')} {lag:.0f}{t('lag_days_unit')}", va="center", fontsize=8.5)
    ax.set_yticks(y)
    ax.set_yticklabels([_label(a, c) for a, c in zip(r["antecedent"], r["consequent"])])
    pct_axis(ax, "x")
    ax.set_xlim(0, float(r["probability"].max()) * 1.3)
    ax.legend(loc="lower right", frameon=False, fontsize=8.5)
    within = seq.attrs.get("within_days")
    ttl = title or t("sequence_title")
    ax.set_title(ttl.replace("N days", f"{within} days").replace("N天", f"{within}天") if within else ttl)
    return finish(fig)
