"""Case studies on real data (chapters 90 and 91): the computations behind them, DataFrame in, DataFrame out.

**The Complete Journey** (84.51°, chapter 90): which households each direct-marketing campaign reached, whether
they redeemed one of its coupons, by campaign type (A/B/C), by demographics and by RFM segment, and how well RFM
and demographics each rank the households by redemption (:func:`response_auc_comparison`).

**CDNOW** (Fader, Hardie & Lee 2005, chapter 91): the BG/NBD model on the 2,357-customer sample and the paper's
figures — repeat transactions tracked week by week (actual vs model), the frequency histogram and the
calibration/holdout comparison — plus the published numbers to compare with.

Example
-------
>>> from dbmkit.datasets import complete_journey
>>> pairs = campaign_pairs(complete_journey("campaigns"), complete_journey("campaign_descriptions"),
...                        complete_journey("coupon_redemptions"))
>>> round(float(pairs["redeemed"].mean()), 3)
0.12
>>> redemption_by(pairs, "campaign_type")[["campaign_type", "pairs", "rate"]].round(3).values.tolist()
[['Type A', 3647, 0.166], ['Type B', 2368, 0.065], ['Type C', 574, 0.059]]
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import sql as _sql

__all__ = ["CDNOW_PAPER", "weekly_repeat_transactions", "expected_repeat_transactions",
           "tracking_table", "paper_comparison", "campaign_pairs", "redemption_by", "band_order",
           "households_reached", "CJ_FACTS", "campaign_overview", "rfm_at_campaign_start", "CJ_DEMOGRAPHICS",
           "response_auc_comparison"]

# ------------------------------------------------------------------------------------------------ CDNOW
# Published numbers of the BG/NBD paper (Fader, Hardie & Lee 2005, Marketing Science 24(2):275–284) on the
# 2,357-customer CDNOW sample, 39-week calibration; and of the Gamma-Gamma note (Fader & Hardie 2013).
CDNOW_PAPER = {
    "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4,
    "conditional_x2_tx30.43_T38.86_t39": 1.226,
    "unconditional": {0.1429: 0.0078, 1.0: 0.0532, 3.0: 0.1506, 31.8571: 1.0405, 32.0: 1.0437, 78.0: 1.8576},
    "repeat_customers": 946,
    "gg_p": 6.25, "gg_q": 3.74, "gg_gamma": 15.44, "gg_log_likelihood": -4055.9,
    "calibration_end": "1997-09-30", "start": "1997-01-01", "weeks": 78,
}


def weekly_repeat_transactions(transactions: pd.DataFrame, customer_col: str = "customer_id",
                               date_col: str = "date", start: str = CDNOW_PAPER["start"],
                               weeks: int = CDNOW_PAPER["weeks"]) -> pd.DataFrame:
    """Repeat transactions (purchase days after a customer's first) per week since ``start``: week,
    repeat_transactions, cumulative. Runs in DuckDB (``sql/case_weekly_repeat.sql``).

    >>> tx = pd.DataFrame({"c": ["a", "a", "a", "b"], "d": pd.to_datetime(["2024-01-01", "2024-01-01",
    ...                    "2024-01-09", "2024-01-02"])})
    >>> weekly_repeat_transactions(tx, "c", "d", start="2024-01-01", weeks=3).values.tolist()
    [[1, 0, 0], [2, 1, 1], [3, 0, 1]]
    """
    import duckdb
    missing = [c for c in (customer_col, date_col) if c not in transactions.columns]
    if missing:
        raise KeyError(f"transactions has no column(s) {missing}; it has {list(transactions.columns)}")
    con = duckdb.connect()
    try:
        con.register("_wk_tx", transactions[[customer_col, date_col]])
        q = _sql.render("case_weekly_repeat", tx=_sql.Raw("_wk_tx"), customer=customer_col, ts=date_col)
        out = con.execute(q, {"start": pd.Timestamp(start).date(), "weeks": int(weeks)}).df()
    finally:
        con.close()
    return out.astype({"week": "int64", "repeat_transactions": "int64", "cumulative": "int64"})


def expected_repeat_transactions(bg, first_purchase: pd.Series, start: str = CDNOW_PAPER["start"],
                                 weeks: int = CDNOW_PAPER["weeks"]) -> pd.DataFrame:
    """The model's expected repeat transactions per week for a cohort whose members made their first purchase on
    the dates ``first_purchase`` (one per customer): Σ over customers of E[X(t)] (``bg.expected_purchases_new``)
    with t the weeks from the customer's first purchase to the end of each week (a purchase day counts fully).

    Returns week, expected_cumulative, expected_weekly. ``bg`` is fitted in weeks.
    """
    days = (pd.to_datetime(first_purchase) - pd.Timestamp(start)).dt.days.to_numpy()
    t0, n = np.unique(days, return_counts=True)                 # customers share first-purchase days
    w = np.arange(1, weeks + 1)
    elapsed = (7 * w[:, None] - 1 - t0[None, :]) / 7.0           # weeks from the first purchase to each week's end
    ex = np.where(elapsed > 0, bg.expected_purchases_new(np.clip(elapsed, 0, None)), 0.0)
    cum = (ex * n[None, :]).sum(axis=1)
    return pd.DataFrame({"week": w, "expected_cumulative": cum, "expected_weekly": np.diff(cum, prepend=0.0)})


def tracking_table(actual: pd.DataFrame, expected: pd.DataFrame, calibration_weeks: int = 39) -> pd.DataFrame:
    """Actual and expected repeat transactions per week side by side, with the period (calibration / holdout)
    and the error of the cumulative curve."""
    t = actual.merge(expected, on="week")
    t["period"] = np.where(t["week"] <= calibration_weeks, "calibration", "holdout")
    t["cumulative_error"] = t["expected_cumulative"] / t["cumulative"].where(t["cumulative"] > 0) - 1
    return t


def paper_comparison(bg, gg=None, paper: dict = CDNOW_PAPER) -> pd.DataFrame:
    """Our estimates next to the published ones: BG/NBD r, α, a, b and log-likelihood, the conditional expectation
    of the paper's example customer, E[X(t)] at the paper's t, and (with ``gg``) the Gamma-Gamma p, q, γ."""
    rows = [(k, paper[k], bg.params_[k]) for k in ("r", "alpha", "a", "b")]
    rows.append(("log_likelihood", paper["log_likelihood"], bg.log_likelihood_))
    rows.append(("E[Y(39) | x=2, t_x=30.43, T=38.86]", paper["conditional_x2_tx30.43_T38.86_t39"],
                 float(np.asarray(bg.expected_purchases(39, 2, 30.43, 38.86)).ravel()[0])))
    for t, v in paper["unconditional"].items():
        rows.append((f"E[X({t:g})]", v, float(np.asarray(bg.expected_purchases_new(t)).ravel()[0])))
    if gg is not None:
        for k, name in (("p", "gg_p"), ("q", "gg_q"), ("gamma", "gg_gamma")):
            rows.append((f"Gamma-Gamma {k}", paper[name], gg.params_[k]))
        rows.append(("Gamma-Gamma log_likelihood", paper["gg_log_likelihood"], gg.log_likelihood_))
    out = pd.DataFrame(rows, columns=["quantity", "published", "ours"])
    out["difference"] = out["ours"] - out["published"]
    return out


# ------------------------------------------------------------------------------------------------ Complete Journey
CJ_FACTS = {"pairs_redeemed": 0.120, "Type A": 0.166, "Type B": 0.065, "Type C": 0.059}


def campaign_pairs(campaigns: pd.DataFrame, descriptions: pd.DataFrame, redemptions: pd.DataFrame,
                   demographics: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per household a campaign reached (campaign_id, household_id, campaign_type, start_date, end_date)
    with ``redeemed`` = 1 when the household redeemed at least one coupon of that campaign, and ``n_coupons``
    redeemed; with ``demographics`` its columns are added (NaN for the households without a survey)."""
    for name, df, cols in (("campaigns", campaigns, ["campaign_id", "household_id"]),
                           ("descriptions", descriptions, ["campaign_id", "campaign_type"]),
                           ("redemptions", redemptions, ["campaign_id", "household_id"])):
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise KeyError(f"{name} has no column(s) {missing}; it has {list(df.columns)}")
    pairs = campaigns[["campaign_id", "household_id"]].drop_duplicates()
    keep = [c for c in ("campaign_id", "campaign_type", "start_date", "end_date") if c in descriptions.columns]
    pairs = pairs.merge(descriptions[keep], on="campaign_id", how="left")
    red = redemptions.groupby(["campaign_id", "household_id"]).size().rename("n_coupons").reset_index()
    pairs = pairs.merge(red, on=["campaign_id", "household_id"], how="left")
    pairs["n_coupons"] = pairs["n_coupons"].fillna(0).astype("int64")
    pairs["redeemed"] = (pairs["n_coupons"] > 0).astype("int64")
    if demographics is not None:
        pairs = pairs.merge(demographics, on="household_id", how="left")
    return pairs.sort_values(["campaign_id", "household_id"], kind="stable").reset_index(drop=True)


def band_order(values) -> list:
    """Bands such as 'Under 15K', '15-24K', '250K+', '19-24', '65+', '5+' in their natural order.

    >>> band_order(["50-74K", "Under 15K", "250K+", "15-24K"])
    ['Under 15K', '15-24K', '50-74K', '250K+']
    """
    def key(v):
        s = str(v)
        if s.lower().startswith(("under", "less")):
            return (-1.0, s)
        m = re.search(r"\d+(\.\d+)?", s)
        return (float(m.group(0)) if m else float("inf"), s)
    return sorted(pd.unique(pd.Series(list(values)).dropna()), key=key)


def redemption_by(pairs: pd.DataFrame, by: str, outcome: str = "redeemed", z: float = 1.96,
                  order: list | None = None, min_pairs: int = 1) -> pd.DataFrame:
    """Redemption rate of household–campaign pairs per group of ``by`` (campaign type, a demographic, an RFM
    segment): pairs, households, redeemed, rate with a 95 % Wilson interval, and the index against the overall
    rate (100 = average). Groups are in ``order`` when given, else in their natural order (bands sorted by
    number); groups with fewer than ``min_pairs`` pairs are left out. Pairs with ``by`` missing are left out too
    (``share_known`` says which share of the pairs had it)."""
    if by not in pairs.columns:
        raise KeyError(f"pairs has no column {by!r}; it has {list(pairs.columns)}")
    known = pairs[pairs[by].notna()]
    g = known.groupby(by, observed=True)
    out = pd.DataFrame({"pairs": g.size(), "households": g["household_id"].nunique(), "redeemed": g[outcome].sum()})
    n, k = out["pairs"].to_numpy(float), out["redeemed"].to_numpy(float)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    out["rate"] = p
    out["ci_low"], out["ci_high"] = centre - half, centre + half
    overall = known[outcome].mean() if len(known) else np.nan
    out["index"] = 100 * out["rate"] / overall if overall else np.nan
    if order is not None:
        order = [g for g in order if g in out.index] + [g for g in out.index if g not in order]
    else:
        order = band_order(out.index) if out.index.dtype == object or str(out.index.dtype).startswith("str") else \
            sorted(out.index)
    out = out.reindex(order)
    out = out[out["pairs"] >= min_pairs].reset_index(names=by)
    out["share_known"] = len(known) / max(len(pairs), 1)
    return out


def households_reached(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per household: campaigns received, campaigns with a redemption, and whether it ever redeemed."""
    g = pairs.groupby("household_id")
    out = pd.DataFrame({"campaigns": g.size(), "campaigns_redeemed": g["redeemed"].sum()})
    out["ever_redeemed"] = (out["campaigns_redeemed"] > 0).astype("int64")
    return out.reset_index()


def campaign_overview(descriptions: pd.DataFrame, campaigns: pd.DataFrame, coupons: pd.DataFrame) -> pd.DataFrame:
    """What distinguishes the campaign types in the data: per type the number of campaigns, their median length
    in days, households reached per campaign, and distinct coupons and products per campaign."""
    per = descriptions[["campaign_id", "campaign_type", "start_date", "end_date"]].copy()
    per["days"] = (pd.to_datetime(per["end_date"]) - pd.to_datetime(per["start_date"])).dt.days
    per = per.merge(campaigns.groupby("campaign_id")["household_id"].nunique().rename("households").reset_index(),
                    on="campaign_id", how="left")
    per = per.merge(coupons.groupby("campaign_id").agg(coupons=("coupon_upc", "nunique"),
                                                       products=("product_id", "nunique")).reset_index(),
                    on="campaign_id", how="left")
    g = per.groupby("campaign_type")
    out = pd.DataFrame({"campaigns": g.size(), "median_days": g["days"].median(),
                        "households_per_campaign": g["households"].mean(), "households_reached": g["households"].sum(),
                        "coupons_per_campaign": g["coupons"].mean(), "products_per_campaign": g["products"].mean()})
    return out.reset_index()


def rfm_at_campaign_start(transactions: pd.DataFrame, pairs: pd.DataFrame, customer_col: str = "household_id",
                          date_col: str = "transaction_timestamp", amount_col: str = "sales_value",
                          bins: int = 5) -> pd.DataFrame:
    """Each household–campaign pair with the household's RFM scores and segment **as of the day before the
    campaign started** — what the marketer knew when selecting, so the response cannot leak into the score.
    Scores are quantiles among the households that had bought by then (``dbmkit.rfm``); households without a
    purchase before the campaign get the segment "No purchase yet". The summaries run in DuckDB."""
    from .rfm import customer_summary, rfm_scores, rfm_segments
    if "start_date" not in pairs.columns:
        raise KeyError("pairs needs start_date (from campaign_pairs with the campaign descriptions)")
    out = []
    for start, grp in pairs.groupby("start_date", sort=True):
        as_of = pd.Timestamp(start) - pd.Timedelta(days=1)
        before = transactions[pd.to_datetime(transactions[date_col]) <= as_of]
        if before.empty:
            out.append(grp.assign(segment="No purchase yet"))
            continue
        summ = customer_summary(before, customer_col, date_col, amount_col, as_of=as_of)
        sc = rfm_segments(rfm_scores(summ, bins=bins))
        sc = sc.rename(columns={"customer_id": "household_id"})[["household_id", "r_score", "f_score", "m_score",
                                                                  "rfm_cell", "segment", "segment_zh"]]
        g = grp.merge(sc, on="household_id", how="left")
        g["segment"] = g["segment"].fillna("No purchase yet")
        g["segment_zh"] = g["segment_zh"].fillna("尚未购买")
        out.append(g)
    return pd.concat(out, ignore_index=True).sort_values(["campaign_id", "household_id"], kind="stable") \
        .reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ RFM vs demographics
CJ_DEMOGRAPHICS = ["age", "income", "home_ownership", "marital_status", "household_size", "household_comp",
                   "kids_count"]


def _grouped_folds(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold number per row, the same for every row of a group (a household is never in training and test)."""
    uniq = pd.unique(groups)
    rng = np.random.default_rng(seed)
    fold_of = dict(zip(uniq, rng.permutation(len(uniq)) % folds))
    return np.array([fold_of[g] for g in groups])


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    """AUC by ranks (Mann–Whitney), ties counted half."""
    ranks = pd.Series(score).rank(method="average").to_numpy()
    n1 = y.sum()
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def response_auc_comparison(with_rfm: pd.DataFrame, demographics: list[str] | None = None, outcome: str = "redeemed",
                            folds: int = 5, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Does RFM rank households by response better than demographics? On the household–campaign pairs of the
    households that have demographics (the only pairs where both can be compared), two logistic regressions — one
    on the R, F and M scores at the campaign's start (:func:`rfm_at_campaign_start`; no purchase yet = 0 with its
    own flag), one on the demographic bands (one-hot, missing = its own band) — each scored **out of fold**
    (``folds`` folds by household, so no household is scored by a model that saw it). Returns one row per
    feature set and one for the difference (RFM − demographics): pairs, households, auc and a 95 % interval from a
    bootstrap over households (``n_boot`` resamples; the pairs of one household move together).
    """
    from sklearn.linear_model import LogisticRegression
    demographics = list(demographics or CJ_DEMOGRAPHICS)
    need = ["household_id", outcome, "r_score", "f_score", "m_score", *demographics]
    missing = [c for c in need if c not in with_rfm.columns]
    if missing:
        raise KeyError(f"response_auc_comparison needs column(s) {missing} (campaign_pairs with demographics, then "
                       "rfm_at_campaign_start)")
    d = with_rfm[with_rfm[demographics].notna().any(axis=1)].reset_index(drop=True)
    if d.empty or d[outcome].nunique() < 2:
        raise ValueError("no pairs with demographics and both outcomes: nothing to compare")
    y = d[outcome].to_numpy(int)
    rfm = d[["r_score", "f_score", "m_score"]].astype(float)
    x_rfm = rfm.fillna(0).assign(no_purchase_yet=rfm["r_score"].isna().astype(float)).to_numpy()
    x_demo = pd.get_dummies(d[demographics].astype(str).replace({"nan": "unknown", "<NA>": "unknown"}),
                            drop_first=True).to_numpy(float)
    fold = _grouped_folds(d["household_id"].to_numpy(), folds, seed)
    scores = {}
    for name, x in (("RFM at campaign start", x_rfm), ("demographics", x_demo)):
        sc = np.empty(len(d))
        for k in range(folds):
            test = fold == k
            model = LogisticRegression(max_iter=1000).fit(x[~test], y[~test])
            sc[test] = model.predict_proba(x[test])[:, 1]
        scores[name] = sc
    names = list(scores)
    point = [_auc(y, scores[n]) for n in names]
    point.append(point[0] - point[1])
    # bootstrap over households
    hh = d["household_id"].to_numpy()
    codes, uniq = pd.factorize(hh)
    rows_of = [np.flatnonzero(codes == i) for i in range(len(uniq))]
    rng = np.random.default_rng(seed)
    boot = np.empty((n_boot, 3))
    for b in range(n_boot):
        idx = np.concatenate([rows_of[i] for i in rng.integers(0, len(uniq), len(uniq))])
        a = [_auc(y[idx], scores[n][idx]) for n in names]
        boot[b] = (a[0], a[1], a[0] - a[1])
    lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    return pd.DataFrame({"features": [*names, "difference (RFM − demographics)"], "pairs": len(d),
                         "households": len(uniq), "auc": point, "ci_low": lo, "ci_high": hi})
