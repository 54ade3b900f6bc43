"""What past campaigns prove about each RFM cell (chapter 21): the intervals and shrunk estimates of every cell's
response and incremental rate, the profit a cell selection promises with its interval, and the winner's curse of
selecting on raw estimates — in numbers and in words. ``dbmkit.rfm`` re-exports every name (``dbm.rfm.…``).

Example
-------
>>> cells = pd.DataFrame({"contacts": [200, 40], "responders": [60, 8], "control": [20, 3],
...                       "control_responders": [4, 0]})
>>> cell_uncertainty(cells)[["incremental_rate_low", "incremental_rate_high"]].round(3).values.tolist()
[[-0.124, 0.237], [-0.369, 0.348]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .datasets.truth import truth_person_map
from .i18n import money, pick
from .power import z_critical
from .uncertainty import difference_variance, newcombe_interval, shrink_differences, shrink_rates

__all__ = ["cell_uncertainty", "selection_summary", "cell_truth", "winners_curse", "winners_curse_note",
           "selection_note"]


def cell_uncertainty(cells: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The intervals and empirical-Bayes estimates of :func:`rfm_cell_table` for a table with contacts,
    responders, control and control_responders per cell (same index)."""
    s1, n1 = cells["responders"].to_numpy(float), cells["contacts"].to_numpy(float)
    s0, n0 = cells["control_responders"].to_numpy(float), cells["control"].to_numpy(float)
    rates = shrink_rates(s1, n1, alpha)
    lo, hi = newcombe_interval(s1, n1, s0, n0, alpha)
    has_ctl = n0 > 0
    var = difference_variance(rates["shrunk"].to_numpy(), n1, n0)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(has_ctl, s1 / n1 - s0 / n0, np.nan)
        inc = shrink_differences(d, np.where(has_ctl, var, np.nan), alpha)
    # the contact cannot have added more purchases than the treated made: the shrunk incremental rate stays at or
    # below the cell's own response rate (its interval below the rate's upper bound) — a cell that hardly responds
    # is not lifted to the overall incremental rate
    shrunk = np.minimum(inc["shrunk"].to_numpy(), rates["rate"].to_numpy())
    s_low = np.minimum(inc["shrunk_low"].to_numpy(), shrunk)
    s_high = np.maximum(np.minimum(inc["shrunk_high"].to_numpy(), rates["high"].to_numpy()), shrunk)
    out = pd.DataFrame({
        "response_rate_low": rates["low"].to_numpy(), "response_rate_high": rates["high"].to_numpy(),
        "response_rate_se": np.sqrt(rates["rate"] * (1 - rates["rate"]) / n1).to_numpy(),
        "response_rate_shrunk": rates["shrunk"].to_numpy(),
        "incremental_rate_low": np.where(has_ctl, lo, np.nan), "incremental_rate_high": np.where(has_ctl, hi, np.nan),
        "incremental_rate_se": np.where(has_ctl, np.sqrt(var), np.nan),
        "incremental_shrunk": shrunk, "incremental_shrunk_low": s_low, "incremental_shrunk_high": s_high,
        "incremental_shrunk_se": inc["se"].to_numpy(),
        "incremental_shrunk_se_own": inc["se_own"].to_numpy(),
        "incremental_shrunk_se_common": inc["se_common"].to_numpy(),
        "shrink_weight": inc["weight"].to_numpy()}, index=cells.index)
    out.attrs.update(incremental_mu=inc.attrs["mu"], incremental_mu_se=inc.attrs["mu_se"])
    return out


def selection_summary(selections: dict, alpha: float = 0.05) -> pd.DataFrame:
    """What each cell selection of :func:`breakeven_cells` promises: cells selected, customers today, expected
    responders and expected profit with its interval: ± z·sqrt(Σ expected_profit_se² + (Σ expected_profit_se_common)²)
    — the cells' own errors are independent, the shared one adds up directly. It is the uncertainty of the
    *expected* profit; the response of the coming mailing adds its own chance on top.
    ``selections`` maps a name to a breakeven_cells table (with customers_now).

    >>> sel = pd.DataFrame({"selected": [True, True, False], "customers_now": [100, 50, 10],
    ...                     "expected_responders": [10.0, 2.0, 0.1], "expected_profit": [300.0, 40.0, -5.0],
    ...                     "expected_profit_se": [30.0, 40.0, 9.0]})
    >>> selection_summary({"a": sel}).round(1).T.values.tolist()
    [[2.0, 150.0, 12.0, 340.0, 242.0, 438.0]]
    """
    z = z_critical(alpha)
    rows = {}
    for name, sel in selections.items():
        s = sel[sel["selected"]]
        profit = float(s["expected_profit"].sum())
        se = float(np.sqrt((s["expected_profit_se"] ** 2).sum())) if "expected_profit_se" in s else np.nan
        if "expected_profit_se_common" in s:
            se = float(np.sqrt(se ** 2 + s["expected_profit_se_common"].sum() ** 2))
        rows[name] = {"cells selected": len(s), "customers today": float(s["customers_now"].sum()),
                      "expected responders": float(s["expected_responders"].sum()), "expected profit": profit,
                      "profit CI low": profit - z * se, "profit CI high": profit + z * se}
    return pd.DataFrame(rows)


def cell_truth(contacts: pd.DataFrame, ws, by="rfm_cell") -> pd.Series | None:
    """For the synthetic client: per cell, the mean *true* incremental response probability of its past treated
    contacts (the truth's true_uplift) — what the estimates try to measure. None for a real client."""
    if ws.truth is None or "campaign_uplift" not in ws.truth:
        return None
    pm = truth_person_map(ws, one_per="customer")
    if pm is None:
        return None
    cu = ws.truth["campaign_uplift"][["campaign_id", "person_id", "true_uplift"]]
    keys = [by] if isinstance(by, str) else list(by)
    trt = contacts[contacts["group"] != "control"][["campaign_id", "customer_id", *keys]]
    m = trt.merge(pm, on="customer_id", how="inner").merge(cu, on=["campaign_id", "person_id"], how="inner")
    return m.groupby(keys)["true_uplift"].mean().rename("true_incremental_rate")


def winners_curse(cells: pd.DataFrame, top: int = 5, min_contacts: int = 30, truth: pd.Series | None = None,
                  by: str = "rfm_cell") -> pd.DataFrame:
    """The winner's curse in numbers: the ``top`` cells by *raw* incremental rate (cells with at least
    ``min_contacts`` contacts and a control group), beside their shrunk estimate and — with ``truth`` from
    :func:`cell_truth` — their true incremental rate, plus the same means over all those cells (row "all cells").

    >>> c = pd.DataFrame({"rfm_cell": ["a", "b", "c"], "contacts": [50, 60, 70], "control": [5, 6, 7],
    ...                   "incremental_rate": [0.3, 0.1, -0.2], "incremental_rate_low": [-0.1, -0.2, -0.5],
    ...                   "incremental_rate_high": [0.5, 0.3, 0.1], "incremental_shrunk": [0.05, 0.03, 0.0],
    ...                   "incremental_shrunk_low": [0.0, 0.0, -0.05], "incremental_shrunk_high": [0.1, 0.06, 0.05]})
    >>> winners_curse(c, top=1)[["rfm_cell", "incremental_rate", "incremental_shrunk"]].values.tolist()
    [['a', 0.3, 0.05], ['all cells', 0.06666666666666667, 0.02666666666666667]]
    """
    ok = cells[(cells["contacts"] >= min_contacts) & (cells["control"] > 0)].copy()
    if truth is not None:
        ok["true_incremental_rate"] = truth.reindex(ok[by]).to_numpy()
    cols = [by, "contacts", "control", "incremental_rate", "incremental_rate_low", "incremental_rate_high",
            "incremental_shrunk", "incremental_shrunk_low", "incremental_shrunk_high"]
    cols += ["true_incremental_rate"] if truth is not None else []
    best = ok.sort_values("incremental_rate", ascending=False).head(top)[cols]
    means = {c: ok[c].mean() for c in cols[3:]}
    allrow = pd.DataFrame([{by: "all cells", "contacts": ok["contacts"].sum(), "control": ok["control"].sum(),
                            **means}])
    out = pd.concat([best, allrow], ignore_index=True) if len(best) else best
    out.attrs["cells"] = len(ok)
    return out


def winners_curse_note(curse: pd.DataFrame, cells: pd.DataFrame | None = None, truth: pd.Series | None = None,
                       by: str = "rfm_cell"):
    """The winner's curse of :func:`winners_curse` in words (Markdown, in the language of ``i18n.get_language()``),
    written from its numbers: the top cells' raw and shrunk estimates, the truth where there is one, and — with
    ``cells`` and ``truth`` — how much closer to the truth the shrunk estimates of all cells are (mean squared
    error)."""
    from IPython.display import Markdown
    top = curse[curse[by] != "all cells"]
    if top.empty:
        return Markdown(pick(("> **Note:** no cell has enough contacts and a control group: nothing to compare.",
                              "> **说明：** 没有一个单元同时有足够的接触次数和对照组：无从比较。")))
    allrow = curse[curse[by] == "all cells"].iloc[0]
    pts = lambda x: f"{100 * x:+.1f} points"  # noqa: E731
    zpt = lambda x: f"{100 * x:+.1f}个百分点".replace("-", "−")  # noqa: E731
    lo_c, hi_c, n_all = int(top["control"].min()), int(top["control"].max()), curse.attrs.get("cells", "")
    raw_m, all_m, shr_m = top["incremental_rate"].mean(), allrow["incremental_rate"], top["incremental_shrunk"].mean()
    en = (f"The {len(top)} cells with the highest raw incremental rate averaged {pts(raw_m)}"
          f" in past campaigns, on control groups of {lo_c}–{hi_c} "
          f"people (the mean over all {n_all} cells with a control group: "
          f"{pts(all_m)}). Their shrunk estimate is {pts(shr_m)}")
    zh = (f"原始增量响应率最高的{len(top)}个单元，在过去的营销活动中平均为{zpt(raw_m)}，其对照组只有{lo_c}–{hi_c}人"
          f"（全部{n_all}个有对照组的单元平均为{zpt(all_m)}）。它们收缩后的估计值为{zpt(shr_m)}")
    if "true_incremental_rate" in top and top["true_incremental_rate"].notna().any():
        en += f"; the truth of the synthetic client is {pts(top['true_incremental_rate'].mean())}"
        zh += f"；合成客户的真实值为{zpt(top['true_incremental_rate'].mean())}"
    en += (". Ranking cells by a noisy estimate picks the cells whose noise was lucky: that is the **winner's "
           "curse** (赢家诅咒). Next time they do about as well as their shrunk estimate, not their raw one.")
    zh += ("。按充满噪声的估计值给单元排名，选出的是噪声恰好偏向有利一侧的单元：这就是**赢家诅咒**。"
           "下一次，它们的表现会接近收缩后的估计值，而不是原始估计值。")
    if cells is not None and truth is not None:
        ok = cells[cells["control"] > 0].assign(_truth=lambda c: truth.reindex(c[by]).to_numpy()).dropna(
            subset=["_truth", "incremental_rate"])
        if len(ok):
            raw = float(((ok["incremental_rate"] - ok["_truth"]) ** 2).mean())
            shr = float(((ok["incremental_shrunk"] - ok["_truth"]) ** 2).mean())
            if shr > 0:
                en += (f" Over the {len(ok)} cells with a control group, the shrunk estimates are "
                       f"{raw / shr:.0f} times closer to the truth than the raw ones (mean squared error).")
                zh += (f"在{len(ok)}个有对照组的单元上，原始估计与真实值的均方误差是收缩估计的"
                       f"{raw / shr:.0f}倍。")
    return Markdown(pick((en, zh)))


def _money(x: float, currency: str) -> str:
    return f"{'−' if x < 0 else ''}{currency}{abs(x):,.0f}"


def selection_note(selections: dict, cells: pd.DataFrame, breakeven_rate: float, recommended: str,
                   raw: str | None = None, alpha: float = 0.05, currency: str = ""):
    """What the cell selections of chapter 21 mean, written from the numbers (Markdown, in the language of
    ``i18n.get_language()``): how many cells the recommended (shrunk) selection keeps and what it promises, whether
    the overall incremental rate — the one the cells are pulled toward, ``cells.attrs`` from :func:`rfm_cell_table`
    — clears the break-even rate, and how much of the raw selection's promise is the winner's curse."""
    from IPython.display import Markdown
    z = z_critical(alpha)
    ci = f"{100 * (1 - alpha):.0f} %"
    summary = selection_summary(selections, alpha)
    rec = summary[recommended]
    mu, se = cells.attrs.get("incremental_mu", np.nan), cells.attrs.get("incremental_mu_se", np.nan)
    pts = lambda x: f"{100 * x:+.2f} points"  # noqa: E731
    zpt = lambda x: f"{100 * x:+.2f}个百分点".replace("-", "−")  # noqa: E731
    ci_zh = ci.replace(" ", "")
    cur = currency.strip()
    en, zh = [], []
    if np.isfinite(mu):
        lo, hi = mu - z * se, mu + z * se
        verdict = ("a mailing at this cost pays on average" if lo > breakeven_rate else
                   "a mailing at this cost does not pay on average" if hi < breakeven_rate else
                   "the past campaigns cannot tell whether a mailing at this cost pays on average")
        verdict_zh = ("按这个成本邮寄，平均而言能够盈利" if lo > breakeven_rate else
                      "按这个成本邮寄，平均而言不能盈利" if hi < breakeven_rate else
                      "过去的营销活动无法判断按这个成本邮寄平均而言能否盈利")
        en.append(f"Over all cells the incremental rate is {pts(mu)} ({ci} interval {pts(lo)} to {pts(hi)}) "
                  f"against a break-even rate of {100 * breakeven_rate:.2f} %: {verdict}.")
        zh.append(f"全部单元的增量响应率为{zpt(mu)}（{ci_zh}置信区间为{zpt(lo)}至{zpt(hi)}），"
                  f"而盈亏平衡响应率为{100 * breakeven_rate:.2f}%：{verdict_zh}。")
    n = int(rec["cells selected"])
    cells_text = "no cell breaks" if n == 0 else "1 cell breaks" if n == 1 else f"{n} cells break"
    promise = (f", promising {_money(rec['expected profit'], currency)} ({ci} interval "
               f"{_money(rec['profit CI low'], currency)} to {_money(rec['profit CI high'], currency)})." if n else ".")
    en.append(f"On the shrunk estimates {cells_text} even{promise}")
    zh.append(f"按收缩后的估计值，{n}个单元达到盈亏平衡，预期利润{money(rec['expected profit'], cur)}"
              f"（{ci_zh}置信区间为{money(rec['profit CI low'], cur)}至{money(rec['profit CI high'], cur)}）。"
              if n else "按收缩后的估计值，没有一个单元达到盈亏平衡。")
    if raw is not None and raw in summary:
        r = summary[raw]
        en.append(f"The raw incremental rates would select {int(r['cells selected'])} cells and promise "
                  f"{_money(r['expected profit'], currency)} — a promise built on the cells whose small control "
                  "groups happened to buy little (the winner's curse, below).")
        zh.append(f"如果按原始增量响应率，会选出{int(r['cells selected'])}个单元，预期利润"
                  f"{money(r['expected profit'], cur)}——这个预期建立在那些对照组很小、恰好买得少的单元上"
                  "（即下文的赢家诅咒）。")
    return Markdown(pick((" ".join(en), "".join(zh))))
