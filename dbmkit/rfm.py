"""Customer summaries and RFM analysis (近期 Recency, 频率 Frequency, 金额 Monetary).

``customer_summary`` turns any transaction table into one row per customer in a single DuckDB pass — the BTYD
inputs (frequency = repeat purchase days, recency = time from first to last purchase, T = time from first purchase
to the analysis date) plus days since the last purchase, orders, total and mean repeat spend.

RFM scores every customer 1–5 (or 1–bins) on how recently they bought (R: days since the last purchase, fewer is
better), how often (F: orders) and how much (M: net revenue). ``rfm_scores`` bins by quintiles of rank — equal
values always get equal scores — independently or nested (F within R, M within R×F), or by the company's own
cut-offs; ``rfm_segments`` names customers (Champions … Gone cold, with Chinese names) from a configurable map of R and
the mean of F and M; ``rfm_cell_table`` shows past campaigns' response and profit per cell, with the intervals and
shrunk estimates of ``dbmkit.cell_stats`` (re-exported here), and ``breakeven_cells`` keeps the cells where response
rate × margin per response exceeds the cost of a contact.

Example
-------
>>> tx = pd.DataFrame({"cust": ["a", "a", "a", "b"],
...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-10"]),
...                    "amount": [10.0, 5.0, 20.0, 7.0]})
>>> s = customer_summary(tx, "cust", "date", "amount", as_of="2024-01-31")
>>> s[["customer_id", "frequency", "recency", "T", "days_since_last", "monetary_mean_repeat"]].values.tolist()
[['a', 1, 14.0, 30.0, 16, 20.0], ['b', 0, 0.0, 21.0, 21, 0.0]]
>>> rfm_scores(s, bins=2)[["customer_id", "r_score", "f_score", "m_score", "rfm_cell"]].values.tolist()
[['a', 2, 2, 2, '222'], ['b', 1, 1, 1, '111']]
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from . import sql as _sql
from .cell_stats import (
    cell_truth,
    cell_uncertainty,
    selection_note,
    selection_summary,
    winners_curse,
    winners_curse_note,
)
from .datasets.truth import truth_future, truth_person_map
from .i18n import pick

__all__ = ["customer_summary", "build_customer_summary", "TIME_UNITS", "rfm_scores", "rfm_segments", "SEGMENT_MAP",
           "segment_grid", "segment_table", "rfm_settings", "build_rfm", "campaign_rfm_contacts", "rfm_cell_table",
           "breakeven_cells", "selection_summary", "cell_truth", "winners_curse", "winners_curse_note",
           "selection_note", "cell_uncertainty", "RFM_COLUMNS", "score_counts", "segment_truth", "rescale_to_5",
           "segment_map_table"]

TIME_UNITS = {"D": 1.0, "W": 7.0, "M": 365.25 / 12, "Y": 365.25}


def customer_summary(transactions: pd.DataFrame | str, customer_col: str = "customer_id", date_col: str = "order_ts",
                     amount_col: str = "net_amount", as_of=None, time_unit: str = "D",
                     con=None, cost_col: str | None = None, channel_col: str | None = None) -> pd.DataFrame:
    """One row per customer: frequency, recency, T (BTYD, in ``time_unit``), days_since_last, n_orders,
    monetary_total, monetary_mean_repeat, first_purchase, last_purchase — plus margin_total (amount − cost) when
    ``cost_col`` is given and channels_used when ``channel_col`` is given.

    ``transactions`` is a DataFrame (or the name of a table in ``con``); the work runs in DuckDB, so tens of
    millions of rows take seconds. ``con`` is a DuckDB connection or a Workspace: on a Workspace ``transactions``
    names a table of its database (``customer_summary("purchases", con=ws)``) and the queries run on the
    workspace's engine — Spark with ``engine: spark`` (docs/SCALE.md). ``as_of`` defaults to the last transaction
    date; later rows are ignored.
    """
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {list(TIME_UNITS)}, not {time_unit!r}")
    on_ws = con is not None and not isinstance(con, duckdb.DuckDBPyConnection)
    own = con is None
    con = con or duckdb.connect()
    try:
        cols = [customer_col, date_col, amount_col] + [c for c in (cost_col, channel_col) if c]
        table = _sql.transaction_table(con, transactions, cols, "customer_summary", "_cs_tx")
        if as_of is None:
            first = f'SELECT max(CAST("{date_col}" AS DATE)) FROM {table}'
            as_of = con.sql(first).iloc[0, 0] if on_ws else con.execute(first).fetchall()[0][0]
            if as_of is None or pd.isna(as_of):
                raise ValueError("transactions is empty: no customer summary to compute")
        params = {"as_of": pd.Timestamp(as_of).date(), "unit": TIME_UNITS[time_unit]}
        nothing = _sql.Raw("CAST(NULL AS DOUBLE)")
        day_cost = _sql.Raw(f"sum(CAST({_sql.identifier(cost_col)} AS DOUBLE))") if cost_col else nothing
        # dbmkit.sql.run: on a DuckDB connection it runs there; on a Workspace on the workspace's engine
        out = _sql.run(con, "customer_summary", params, tx=_sql.Raw(table), customer=customer_col, ts=date_col,
                       amount=amount_col, day_cost=day_cost,
                       margin=_sql.Raw("sum(amount - cost)") if cost_col else nothing)
        if channel_col:
            ch = _sql.run(con, "customer_channels", {"as_of": params["as_of"]}, tx=_sql.Raw(table),
                          customer=customer_col, ts=date_col, channel=channel_col)
            n = out["customer_id"].map(pd.Series(ch["channels_used"].to_numpy(), index=ch["customer_id"]))
            out.insert(out.columns.get_loc("margin_total") + 1, "channels_used", n.fillna(0).astype("int64"))
    finally:
        if own:
            con.close()
    return out if cost_col else out.drop(columns=["margin_total"])


def build_customer_summary(ws) -> pd.DataFrame:
    """The ``customer_summary`` table of the marketing database (days; as of the workspace's analysis date), on the
    workspace's engine (DuckDB, or Spark with ``engine: spark``)."""
    # main_channel: the channel of most completed orders; ties to the one used first, then by name
    return _sql.run(ws, "customer_summary_db", {"as_of": ws.as_of.date()})


# ============================================================================================ RFM scores
# the customer-summary columns RFM reads: recency = days since the last purchase (not the BTYD recency!)
RFM_COLUMNS = {"recency": "days_since_last", "frequency": "n_orders", "monetary": "monetary_total"}


def _rank_score(values: np.ndarray, bins: int, higher_is_better: bool = True) -> np.ndarray:
    """Quantile score 1…bins from average ranks: equal values share a rank, hence a score."""
    v = np.asarray(values, float)
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = pd.Series(v if higher_is_better else -v).rank(method="average").to_numpy()
    pct = (ranks - 0.5) / n
    return np.clip(np.floor(pct * bins).astype(np.int64) + 1, 1, bins)


def _break_score(values: np.ndarray, breaks, higher_is_better: bool = True, name: str = "") -> np.ndarray:
    """Score from the company's own cut-offs (right-closed: a value equal to a break belongs to the lower class)."""
    b = np.asarray(breaks, float)
    if b.ndim != 1 or len(b) < 1 or not np.all(np.diff(b) > 0):
        raise ValueError(f"{name}_breaks must be a list of increasing numbers, e.g. [30, 90, 180, 365]; got {breaks!r}")
    idx = np.searchsorted(b, np.asarray(values, float), side="left")     # 0 … len(b)
    nb = len(b) + 1
    return (idx + 1 if higher_is_better else nb - idx).astype(np.int64)


def _grouped_rank_score(values: np.ndarray, groups: list[np.ndarray], bins: int) -> np.ndarray:
    df = pd.DataFrame({"v": np.asarray(values, float), **{f"g{i}": g for i, g in enumerate(groups)}})
    keys = [f"g{i}" for i in range(len(groups))]
    ranks = df.groupby(keys)["v"].rank(method="average").to_numpy()
    sizes = df.groupby(keys)["v"].transform("size").to_numpy()
    return np.clip(np.floor((ranks - 0.5) / sizes * bins).astype(np.int64) + 1, 1, bins)


def rfm_settings(cfg) -> dict:
    """The RFM knobs of a client config (``analysis.rfm``) as keyword arguments of :func:`rfm_scores`."""
    r = cfg.analysis.rfm
    return dict(bins=r.bins, method=r.method, weights=dict(r.weights), recency_breaks=r.recency_breaks,
                frequency_breaks=r.frequency_breaks, monetary_breaks=r.monetary_breaks)


def rfm_scores(summary: pd.DataFrame, bins: int = 5, method: str = "independent", weights: dict | None = None,
               recency_breaks=None, frequency_breaks=None, monetary_breaks=None,
               recency_col: str = RFM_COLUMNS["recency"], frequency_col: str = RFM_COLUMNS["frequency"],
               monetary_col: str = RFM_COLUMNS["monetary"]) -> pd.DataFrame:
    """R, F and M scores (1 = worst … ``bins`` = best) for every customer of a customer summary.

    * ``method="independent"``: each score is the customer's quantile (by rank) among all customers;
      ``"nested"``: R over all, F within each R score, M within each R×F cell (every cell gets all M scores).
    * Ties: scores come from average ranks, so customers with equal values always get equal scores (a class may
      then hold more or fewer than 1/bins of the customers — e.g. many one-order customers share one F score).
    * ``recency_breaks`` (days), ``frequency_breaks`` (orders), ``monetary_breaks`` (money): the company's own
      cut-offs replace the quantiles for that score (k breaks → k + 1 classes). Recency ≤ first break scores best.
    * ``weights`` {"r", "f", "m"}: ``rfm_score`` is the weighted mean of the three scores (default equal weights).

    Returns customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_cell ("545"), rfm_score.
    The numbers of classes per score are kept in ``.attrs["rfm_bins"]``.

    >>> s = pd.DataFrame({"customer_id": list("abcdef"), "days_since_last": [5, 40, 40, 200, 400, 10],
    ...                   "n_orders": [9, 1, 1, 2, 1, 4], "monetary_total": [900.0, 50, 60, 120, 20, 300]})
    >>> rfm_scores(s, bins=3)["rfm_cell"].tolist()
    ['333', '211', '212', '122', '111', '333']
    >>> rfm_scores(s, recency_breaks=[30, 180])["r_score"].tolist()
    [3, 2, 2, 1, 1, 3]
    """
    if method not in ("independent", "nested"):
        raise ValueError(f"method must be 'independent' or 'nested', not {method!r}")
    if not 2 <= int(bins) <= 10:
        raise ValueError(f"bins must be between 2 and 10 (5 gives the classic quintiles), not {bins}")
    missing = [c for c in ("customer_id", recency_col, frequency_col, monetary_col) if c not in summary.columns]
    if missing:
        raise KeyError(f"rfm_scores needs column(s) {missing} (from the customer summary); "
                       f"have {list(summary.columns)}")
    w = {"r": 1.0, "f": 1.0, "m": 1.0, **(weights or {})}
    if set(w) - {"r", "f", "m"} or any(v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise ValueError(f"weights take keys r, f, m with non-negative values, not all zero; got {weights!r}")
    rec = summary[recency_col].to_numpy(float)
    freq = summary[frequency_col].to_numpy(float)
    mon = summary[monetary_col].to_numpy(float)
    if np.isnan(rec).any() or np.isnan(freq).any():
        raise ValueError("recency and frequency must not be missing: score customers with at least one purchase")
    mon = np.nan_to_num(mon, nan=0.0)
    nb = {"r": len(recency_breaks) + 1 if recency_breaks else bins,
          "f": len(frequency_breaks) + 1 if frequency_breaks else bins,
          "m": len(monetary_breaks) + 1 if monetary_breaks else bins}
    r = (_break_score(rec, recency_breaks, False, "recency") if recency_breaks
         else _rank_score(rec, bins, higher_is_better=False))
    if frequency_breaks:
        f = _break_score(freq, frequency_breaks, True, "frequency")
    elif method == "nested":
        f = _grouped_rank_score(freq, [r], bins)
    else:
        f = _rank_score(freq, bins)
    if monetary_breaks:
        m = _break_score(mon, monetary_breaks, True, "monetary")
    elif method == "nested":
        m = _grouped_rank_score(mon, [r, f], bins)
    else:
        m = _rank_score(mon, bins)
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(), "recency_days": rec, "frequency": freq,
                        "monetary": mon, "r_score": r, "f_score": f, "m_score": m})
    sep = "-" if max(nb.values()) > 9 else ""
    out["rfm_cell"] = out["r_score"].astype(str) + sep + out["f_score"].astype(str) + sep + out["m_score"].astype(str)
    out["rfm_score"] = (w["r"] * r + w["f"] * f + w["m"] * m) / (w["r"] + w["f"] + w["m"])
    out.attrs["rfm_bins"] = nb
    return out


def score_counts(scores: dict) -> pd.DataFrame:
    """Customers per score value for several named score columns side by side (to compare schemes).

    >>> score_counts({"R": pd.Series([1, 2, 2]), "F": pd.Series([1, 1, 3])}).to_dict("list")
    {'R': [1, 2, 0], 'F': [2, 0, 1]}
    """
    out = pd.DataFrame({name: pd.Series(col).value_counts() for name, col in scores.items()}).fillna(0)
    out = out.reindex(range(int(out.index.min()), int(out.index.max()) + 1), fill_value=0).astype(int)
    return out.rename_axis("score")


# ============================================================================================ named segments
# Ordered rules on R (1–5) and FM = the mean of F and M rounded half up (1–5); the first matching rule wins.
# The names are RFM segments, deliberately distinct from the lifecycle stages of dbmkit.segments (new, active, at
# risk, lapsed, lost: judged against each customer's own rhythm) and the activity status of dbmkit.explore (active,
# inactive, long inactive) — docs/GLOSSARY.md defines each once.
# Scores on other scales are mapped to 1–5 first. Every one of the 25 R × FM cells is covered.
SEGMENT_MAP: list[dict] = [
    dict(name="Champions", name_zh="冠军客户", r=(4, 5), fm=(4, 5),
         action="Reward them: early access, new products, ask for reviews and referrals; no discounts needed.",
         action_zh="奖励他们：抢先体验、新品、邀请他们写评价和推荐朋友；无需折扣。"),
    dict(name="Loyal", name_zh="忠诚客户", r=(3, 3), fm=(4, 5),
         action="Keep them close: loyalty tiers, member offers, upsell higher-value products.",
         action_zh="与他们保持亲近：会员等级、会员专属优惠、向上销售更高价值的商品。"),
    dict(name="Potential loyalists", name_zh="潜在忠诚客户", r=(4, 5), fm=(2, 3),
         action="Develop them: membership, recommendations from their purchase history, a second category.",
         action_zh="培育他们：会员计划、根据购买记录推荐商品、引导购买第二个品类。"),
    dict(name="Recent starters", name_zh="近期起步客户", r=(5, 5), fm=(1, 1),
         action="Welcome series, onboarding, a reason for the second purchase.",
         action_zh="欢迎系列、新客引导，给他们一个第二次购买的理由。"),
    dict(name="Promising", name_zh="有潜力客户", r=(4, 4), fm=(1, 1),
         action="Build the habit: brand story, a small incentive for the next order.",
         action_zh="培养购买习惯：讲述品牌故事，为下一单提供小小的激励。"),
    dict(name="Need attention", name_zh="需要关注", r=(3, 3), fm=(3, 3),
         action="Limited-time offers based on past purchases before they drift away.",
         action_zh="在他们渐渐疏远之前，根据过去的购买推送限时优惠。"),
    dict(name="About to sleep", name_zh="即将休眠", r=(3, 3), fm=(1, 2),
         action="Reactivate cheaply: popular products, e-mail rather than mail.",
         action_zh="以低成本重新激活：热门商品，用邮件而不是直邮。"),
    dict(name="Fading regulars", name_zh="渐行渐远的常客", r=(1, 2), fm=(3, 4),
         action="Win back good customers: personal messages, renewals, a meaningful offer.",
         action_zh="唤回优质客户：个性化的信息、续订提醒、有分量的优惠。"),
    dict(name="Can't lose them", name_zh="不能失去的客户", r=(1, 2), fm=(5, 5),
         action="Top customers going quiet: call them, find out why, make it right.",
         action_zh="顶级客户正在沉寂：打电话联系，了解原因，妥善弥补。"),
    dict(name="Hibernating", name_zh="休眠客户", r=(2, 2), fm=(1, 2),
         action="Low-cost reminders only; suppress from expensive channels.",
         action_zh="只做低成本的提醒；不使用昂贵的渠道。"),
    dict(name="Gone cold", name_zh="久未购买客户", r=(1, 1), fm=(1, 2),
         action="Do not spend on them, except a cheap last win-back test.",
         action_zh="不要在他们身上花钱，最多做一次低成本的最后唤回测试。"),
]


def rescale_to_5(score: np.ndarray, nbins: int) -> np.ndarray:
    """Scores on a 1…``nbins`` scale mapped to 1…5 (rounded half up), as the segment map reads them.

    >>> rescale_to_5([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    """
    if nbins == 5:
        return np.asarray(score, np.int64)
    return (1 + np.floor((np.asarray(score, float) - 1) * 4 / (nbins - 1) + 0.5)).astype(np.int64)


def segment_grid(segment_map: list[dict] | None = None, language: str = "en") -> pd.DataFrame:
    """The segment map as a 5 × 5 grid: rows R 5 → 1, columns FM 1 → 5 (for the classic RFM segment chart)."""
    seg = segment_map or SEGMENT_MAP
    r = np.repeat(np.arange(5, 0, -1), 5)
    fm = np.tile(np.arange(1, 6), 5)
    names = _assign(r, fm, seg, language)
    return pd.DataFrame(names.reshape(5, 5), index=pd.Index(range(5, 0, -1), name="R"),
                        columns=pd.Index(range(1, 6), name="FM"))


def segment_map_table(language: str = "en", segment_map: list[dict] | None = None) -> pd.DataFrame:
    """The segment map as a table for a page: segment, its R range, its FM range (mean of F and M) and the
    suggested action — in Chinese (``language="zh"``) the action's Chinese; in English the Chinese name as a
    column beside the English one.

    >>> segment_map_table()[["segment", "中文", "R", "mean of F, M"]].iloc[0].tolist()
    ['Champions', '冠军客户', (4, 5), (4, 5)]
    >>> segment_map_table("zh").columns.tolist()
    ['segment', 'R', 'mean of F, M', 'action']
    """
    zh = language == "zh"
    return pd.DataFrame([{"segment": r["name"], **({} if zh else {"中文": r.get("name_zh", r["name"])}),
                          "R": r["r"], "mean of F, M": r["fm"],
                          "action": r.get("action_zh", r.get("action", "")) if zh else r.get("action", "")}
                         for r in (segment_map or SEGMENT_MAP)])


def _assign(r5: np.ndarray, fm5: np.ndarray, segment_map: list[dict], language: str = "en") -> np.ndarray:
    key = "name_zh" if language == "zh" else "name"
    out = np.full(len(r5), "其他" if language == "zh" else "Other", dtype=object)
    done = np.zeros(len(r5), bool)
    for rule in segment_map:
        try:
            (r_lo, r_hi), (fm_lo, fm_hi) = rule["r"], rule["fm"]
            label = rule[key] if key in rule else rule["name"]
        except (KeyError, TypeError, ValueError):
            raise ValueError("each segment rule needs name, name_zh, r=(low, high) and fm=(low, high) on a 1–5 "
                             f"scale; got {rule!r}") from None
        hit = ~done & (r5 >= r_lo) & (r5 <= r_hi) & (fm5 >= fm_lo) & (fm5 <= fm_hi)
        out[hit] = label
        done |= hit
    return out


def rfm_segments(scores: pd.DataFrame, segment_map: list[dict] | None = None, bins: dict | int | None = None
                 ) -> pd.DataFrame:
    """Name every customer's segment from their R score and FM = mean of F and M (rounded half up), using an
    ordered map of rules (default :data:`SEGMENT_MAP`: Champions, Loyal, Potential loyalists, Recent starters,
    Promising, Need attention, About to sleep, Fading regulars, Can't lose them, Hibernating, Gone cold). Cells no
    rule covers are "Other". Scores on another scale than 1–5 are mapped to 1–5 first (``bins``: the number of
    classes, taken from ``scores.attrs["rfm_bins"]`` when present). Returns ``scores`` with ``segment`` and
    ``segment_zh`` added.

    >>> sc = pd.DataFrame({"r_score": [5, 5, 1, 2, 3], "f_score": [5, 1, 5, 1, 3], "m_score": [4, 1, 5, 2, 3]})
    >>> rfm_segments(sc)["segment"].tolist()
    ['Champions', 'Recent starters', "Can't lose them", 'Hibernating', 'Need attention']
    """
    for c in ("r_score", "f_score", "m_score"):
        if c not in scores.columns:
            raise KeyError(f"rfm_segments needs {c} (from rfm_scores); have {list(scores.columns)}")
    nb = bins if bins is not None else scores.attrs.get("rfm_bins")
    if nb is None:
        top = int(scores[["r_score", "f_score", "m_score"]].max().max()) if len(scores) else 5
        if top > 5:
            raise ValueError("scores go above 5: pass bins= (the number of classes) so they can be mapped to 1–5")
        nb = 5
    if isinstance(nb, int):
        nb = {"r": nb, "f": nb, "m": nb}
    r5 = rescale_to_5(scores["r_score"].to_numpy(), nb["r"])
    f5 = rescale_to_5(scores["f_score"].to_numpy(), nb["f"])
    m5 = rescale_to_5(scores["m_score"].to_numpy(), nb["m"])
    fm5 = np.floor((f5 + m5) / 2 + 0.5).astype(np.int64)
    seg = segment_map or SEGMENT_MAP
    out = scores.copy()
    out["segment"] = _assign(r5, fm5, seg, "en")
    out["segment_zh"] = _assign(r5, fm5, seg, "zh")
    return out


def segment_table(rfm: pd.DataFrame, segment_map: list[dict] | None = None) -> pd.DataFrame:
    """One row per named segment: customers, share of customers, mean recency/frequency/monetary, share of
    revenue and the suggested action — in the order of the map."""
    if "segment" not in rfm.columns:
        raise KeyError("segment_table needs the segment column: run rfm_segments first")
    seg = segment_map or SEGMENT_MAP
    g = rfm.groupby("segment")
    total = rfm["monetary"].clip(lower=0).sum()
    out = pd.DataFrame({"customers": g.size(), "recency_days": g["recency_days"].mean(),
                        "frequency": g["frequency"].mean(), "monetary": g["monetary"].mean(),
                        "revenue": g["monetary"].sum()})
    out["share_customers"] = out["customers"] / out["customers"].sum()
    out["share_revenue"] = out["revenue"].clip(lower=0) / total if total > 0 else 0.0
    order = [r["name"] for r in seg] + ["Other"]
    zh = {r["name"]: r.get("name_zh", r["name"]) for r in seg} | {"Other": "其他"}
    act = {r["name"]: pick((r.get("action", ""), r.get("action_zh", r.get("action", "")))) for r in seg}
    act["Other"] = ""
    out = out.reindex([o for o in order if o in out.index])
    out.insert(0, "segment_zh", [zh[i] for i in out.index])
    out["action"] = [act[i] for i in out.index]
    return out.reset_index(names="segment")


def build_rfm(ws) -> pd.DataFrame:
    """The ``rfm`` table (docs/DATA_MODEL.md) from the customer summary with the config's ``analysis.rfm`` knobs:
    customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_cell, rfm_score, segment,
    segment_zh."""
    s = ws.table("customer_summary")
    sc = rfm_segments(rfm_scores(s, **rfm_settings(ws.cfg)))
    return sc[["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_cell",
               "rfm_score", "segment", "segment_zh"]]


def segment_truth(rfm_table: pd.DataFrame, ws) -> pd.DataFrame | None:
    """For the synthetic client: per segment, the share of customers truly still alive at the analysis date and
    their real purchases and margin in the following year (the truth). None for a real client."""
    pmap = truth_person_map(ws, one_per="person")
    if pmap is None:
        return None
    people = ws.truth["people"][["person_id", "alive_at_end"]].merge(pmap, on="person_id")
    alive = people.groupby("customer_id")["alive_at_end"].max()
    d = rfm_table[["customer_id", "segment"]].merge(truth_future(ws), on="customer_id", how="left").fillna(
        {"future_purchases": 0, "future_margin": 0})
    d["alive"] = d["customer_id"].map(alive).fillna(False).astype(bool)
    g = d.groupby("segment")
    out = pd.DataFrame({"customers": g.size(), "truly_alive": g["alive"].mean(),
                        "next_year_purchases": g["future_purchases"].mean(),
                        "next_year_margin": g["future_margin"].mean()})
    order = [r["name"] for r in SEGMENT_MAP] + ["Other"]
    return out.reindex([o for o in order if o in out.index]).reset_index()


# ============================================================================================ cells and campaigns
def campaign_rfm_contacts(ws, campaign_ids: list[str] | None = None, **settings) -> pd.DataFrame:
    """Every past campaign contact with the customer's RFM scores *as of the day before the campaign started* (the
    information the marketer had when selecting — no leakage from the response itself) and the outcome:
    responded, response_revenue, response_margin (completed orders in the campaign window) and contact_cost.

    Customers contacted before their first purchase get the cell "prospect". ``settings`` are the keyword
    arguments of :func:`rfm_scores` (default: the config's ``analysis.rfm``)."""
    settings = settings or rfm_settings(ws.cfg)
    out = _sql.run(ws, "rfm_contact_outcomes", {"as_of": ws.as_of.date()})
    if campaign_ids is not None:
        out = out[out["campaign_id"].isin(list(campaign_ids))]
    if out.empty:
        return out.assign(r_score=pd.Series(dtype="int64"), f_score=pd.Series(dtype="int64"),
                          m_score=pd.Series(dtype="int64"), rfm_cell=pd.Series(dtype="str"),
                          segment=pd.Series(dtype="str"))
    groups = list(out.groupby(["campaign_id", "start_date"], sort=True))
    days = sorted({(pd.Timestamp(start) - pd.Timedelta(days=1)).date() for (_, start), _ in groups})
    own_columns = any(settings.get(f"{k}_col", c) != c for k, c in RFM_COLUMNS.items())
    inputs = None
    if not own_columns:       # the three RFM inputs as of every campaign's eve in one pass over the orders
        inputs = _sql.run(ws, "rfm_inputs_as_of", {"dates": days},
                          dates=_sql.Raw("(SELECT unnest($dates) AS as_of)"))
        inputs = dict(tuple(inputs.groupby(pd.to_datetime(inputs["as_of"]).dt.date)))
    parts = []
    for (cid, start), k in groups:
        as_of = pd.Timestamp(start) - pd.Timedelta(days=1)
        if inputs is None:
            s = _sql.run(ws, "customer_summary_db", {"as_of": as_of.date()})
        else:
            s = inputs.get(as_of.date(), pd.DataFrame(columns=["customer_id", *RFM_COLUMNS.values()]))
        sc = rfm_segments(rfm_scores(s, **settings))
        keep = sc[["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
                   "rfm_cell", "rfm_score", "segment", "segment_zh"]]
        parts.append(k.merge(keep, on="customer_id", how="left"))
    res = pd.concat(parts, ignore_index=True)
    prospect = res["rfm_cell"].isna()
    res.loc[prospect, ["rfm_cell", "segment", "segment_zh"]] = ["prospect", "Prospect", "潜在客户"]
    return res


def rfm_cell_table(contacts: pd.DataFrame, by="rfm_cell", current: pd.DataFrame | None = None,
                   min_contacts: int = 0, alpha: float = 0.05) -> pd.DataFrame:
    """Past-campaign response and profit per RFM cell (or per any column(s) of ``contacts``: "segment",
    ["r_score", "f_score"] …) from :func:`campaign_rfm_contacts`, with the uncertainty of every rate.

    Columns: contacts (treatment), responders, response_rate with its Wilson interval (response_rate_low/high) and
    standard error (response_rate_se), response_rate_shrunk (empirical Bayes: pulled toward the overall rate, the
    more the fewer contacts a cell has), revenue, margin, cost, profit (margin − contact cost), profit_per_contact,
    margin_per_response; control (control-group size), control_responders, control_rate, incremental_rate
    (response rate − control rate: what the contact itself caused) with its Newcombe interval
    (incremental_rate_low/high) and standard error, incremental_shrunk (normal-normal empirical Bayes toward the
    overall incremental rate, ``uncertainty.shrink_differences``; a cell without controls gets the overall rate;
    never above the cell's own response rate — the contact cannot have added more purchases than were made)
    with incremental_shrunk_low/high/se and shrink_weight (the share of the cell's own evidence in it); with
    ``current`` (the rfm table today) also customers_now, the customers in each cell today. The priors are fitted
    on the cells before ``min_contacts`` drops the small ones; ``attrs`` holds the overall incremental rate they are
    pulled toward (incremental_mu) and its standard deviation (incremental_mu_se).

    >>> k = pd.DataFrame({"rfm_cell": ["555", "555", "555", "111", "111"], "group": ["treatment"] * 2 + ["control"]
    ...                   + ["treatment"] * 2, "responded": [True, False, False, False, True],
    ...                   "response_revenue": [100.0, 0, 0, 0, 40], "response_margin": [40.0, 0, 0, 0, 10],
    ...                   "contact_cost": [1.0, 1.0, 0.0, 1.0, 1.0]})
    >>> rfm_cell_table(k)[["rfm_cell", "contacts", "response_rate", "profit", "control_rate"]].values.tolist()
    [['555', 2, 0.5, 38.0, 0.0], ['111', 2, 0.5, 8.0, nan]]
    """
    keys = [by] if isinstance(by, str) else list(by)
    need = keys + ["group", "responded", "response_revenue", "response_margin", "contact_cost"]
    missing = [c for c in need if c not in contacts.columns]
    if missing:
        raise KeyError(f"rfm_cell_table needs column(s) {missing} (from campaign_rfm_contacts); "
                       f"have {list(contacts.columns)}")
    trt = contacts[contacts["group"] != "control"]
    ctl = contacts[contacts["group"] == "control"]
    g = trt.groupby(keys, dropna=False)
    out = pd.DataFrame({"contacts": g.size(), "responders": g["responded"].sum(),
                        "revenue": g["response_revenue"].sum(), "margin": g["response_margin"].sum(),
                        "cost": g["contact_cost"].sum()})
    out["response_rate"] = out["responders"] / out["contacts"]
    out["profit"] = out["margin"] - out["cost"]
    out["profit_per_contact"] = out["profit"] / out["contacts"]
    out["margin_per_response"] = out["margin"] / out["responders"].where(out["responders"] > 0)
    gc = ctl.groupby(keys, dropna=False)
    out["control"] = gc.size().reindex(out.index).fillna(0).astype(int)
    out["control_responders"] = gc["responded"].sum().reindex(out.index).fillna(0).astype(int)
    out["control_rate"] = gc["responded"].mean().reindex(out.index)
    out["incremental_rate"] = out["response_rate"] - out["control_rate"]
    unc = cell_uncertainty(out, alpha)
    overall = dict(unc.attrs)
    out = out.join(unc)
    if current is not None and all(k in current.columns for k in keys):
        out["customers_now"] = current.groupby(keys).size().reindex(out.index).fillna(0).astype(int)
    out = out[out["contacts"] >= min_contacts]
    out = out.sort_values(["profit_per_contact", "contacts"], ascending=[False, False])
    cols = ["contacts", "responders", "response_rate", "response_rate_low", "response_rate_high", "response_rate_se",
            "response_rate_shrunk", "revenue", "margin", "cost", "profit", "profit_per_contact",
            "margin_per_response", "control", "control_responders", "control_rate", "incremental_rate",
            "incremental_rate_low", "incremental_rate_high", "incremental_rate_se", "incremental_shrunk",
            "incremental_shrunk_low", "incremental_shrunk_high", "incremental_shrunk_se", "incremental_shrunk_se_own",
            "incremental_shrunk_se_common", "shrink_weight"]
    cols += ["customers_now"] if "customers_now" in out.columns else []
    out["contacts"] = out["contacts"].astype(int)
    out["responders"] = out["responders"].astype(int)
    res = out[cols].reset_index()
    res.attrs.update(overall)            # the overall incremental rate the cells are pulled toward, and its sd
    return res


def breakeven_cells(cells: pd.DataFrame, cost_per_contact: float, margin_per_response: float | str | None = None,
                    rate: str = "response_rate", min_contacts: int = 30, select_on: str | None = None) -> pd.DataFrame:
    """Break-even selection (盈亏平衡): keep the cells whose expected margin per contact — ``rate`` × margin per
    response — exceeds the cost of one contact. The break-even response rate is cost per contact / margin per
    response.

    ``margin_per_response``: a number, "cell" (each cell's own past margin per responder) or None (the average
    over all cells — steadier for small cells). ``rate``: "response_rate" (everyone who bought in the window, the
    classic catalogue measure), "incremental_rate" (minus the control group's rate: what the contact caused),
    "incremental_shrunk" (the incremental rate pulled toward the overall one: the estimate to select on, because
    the raw rates of small cells are mostly noise). ``select_on`` decides with another column than ``rate`` — e.g.
    the lower bound "incremental_shrunk_low", to mail only cells that pay even at the pessimistic end — while the
    expected responders and profit still use ``rate``.
    Cells with fewer than ``min_contacts`` past contacts are never selected (too little evidence).
    With ``customers_now`` the expected responders and profit of contacting each cell today are added, and with
    the rate's standard error (column ``<rate>_se``) the standard error of that profit (expected_profit_se; for
    the shrunk rate split into the cells' own, independent part and expected_profit_se_common, the part all cells
    share through the overall rate they are pulled toward).

    >>> cells = pd.DataFrame({"rfm_cell": ["555", "311", "111"], "contacts": [200, 150, 300],
    ...                       "response_rate": [0.20, 0.05, 0.01], "margin_per_response": [50.0, 40.0, 30.0]})
    >>> breakeven_cells(cells, cost_per_contact=0.85, margin_per_response=40.0)["selected"].tolist()
    [True, True, False]
    """
    for c in (rate, select_on or rate):
        if c not in cells.columns:
            raise KeyError(f"breakeven_cells: no column {c!r}; use 'response_rate', 'incremental_rate' or "
                           "'incremental_shrunk' (from rfm_cell_table)")
    if cost_per_contact < 0:
        raise ValueError("cost_per_contact cannot be negative")
    out = cells.copy()
    if margin_per_response is None:
        if "margin" in out.columns and "responders" in out.columns and out["responders"].sum() > 0:
            mpr = out["margin"].sum() / out["responders"].sum()
        else:
            mpr = float((out["margin_per_response"] * out["contacts"]).sum() / out["contacts"].sum())
        out["margin_used"] = mpr
    elif margin_per_response == "cell":
        out["margin_used"] = out["margin_per_response"].fillna(0.0)
    else:
        out["margin_used"] = float(margin_per_response)
    if (out["margin_used"] <= 0).all():
        raise ValueError("margin per response is not positive: no response rate can break even")
    out["breakeven_rate"] = cost_per_contact / out["margin_used"].where(out["margin_used"] > 0)
    r = out[rate].fillna(0.0)
    out["expected_profit_per_contact"] = r * out["margin_used"] - cost_per_contact
    enough = out["contacts"] >= min_contacts if "contacts" in out.columns else True
    decide = out[select_on].fillna(0.0) * out["margin_used"] - cost_per_contact if select_on else \
        out["expected_profit_per_contact"]
    out["selected"] = (decide > 0) & enough
    if "customers_now" in out.columns:
        out["expected_responders"] = out["customers_now"] * r
        out["expected_profit"] = out["customers_now"] * out["expected_profit_per_contact"]
        scale = out["customers_now"] * out["margin_used"]
        if f"{rate}_se_common" in out.columns:        # shrunk: a cell's own error and the one shared through μ̂
            out["expected_profit_se"] = scale * out[f"{rate}_se_own"].fillna(0.0)
            out["expected_profit_se_common"] = scale * out[f"{rate}_se_common"].fillna(0.0)
        elif f"{rate}_se" in out.columns:
            out["expected_profit_se"] = scale * out[f"{rate}_se"].fillna(0.0)
    return out
