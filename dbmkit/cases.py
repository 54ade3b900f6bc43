"""Case studies: on real data (chapters 90 and 91: the computations behind them, DataFrame in, DataFrame out) and
the seed documents' cases as short boxes (`SEED_CASES`, `seed_case_box`, shown by chapters 27 and 32).

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
           "response_auc_comparison", "SEED_CASES", "seed_case_box"]

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


# ------------------------------------------------------------------------------------------------ seed cases
# The cases the source documents (seeds) tell, each as a short box: situation, what was done with the database,
# the result as the seed states it — with the seed named and a caution where a figure is the seed's claim.
# Seed documents: 002 = "数据库营销（定稿）" (50-page training deck), 004 = "CRM知识分享篇一：什么是数据库营销"
# (CRM course handout). Keys → {"title", "text", "source", "caution"} in English and Chinese ("_zh").
# (The seeds are read by the authors, never at run time.)
SEED_CASES: dict[str, dict[str, str]] = {
    "traditional_vs_online": {
        "title": "Traditional vs online database marketing",
        "title_zh": "传统数据库营销 vs 网络数据库营销",
        "text": "In traditional database marketing, getting new customer records and tracking responses took a long "
                "time, response rates were low and the feedback had to be keyed in by hand. The database was "
                "therefore updated slowly, held a high share of outdated and invalid records and was expensive to "
                "maintain. The seed names three advantages of an online database: it updates dynamically, customers "
                "join it themselves (sign-ups, accounts), and the relationship with them improves.",
        "text_zh": "传统的数据库营销中，获取新的顾客资料和跟踪顾客反应都需要较长时间，反馈率通常较低，反馈信息还需繁琐"
                   "的人工录入；因此数据库更新效率低、周期长，过期和无效记录比例高，维护成本也高。种子文档总结网络数据库"
                   "营销的三点独特价值：动态更新、顾客主动加入、改善顾客关系。",
        "source": "seed document 002 (数据库营销 training deck)",
        "source_zh": "种子文档002（《数据库营销》培训讲义）",
        "caution": "A qualitative comparison; the seed gives no figures. This workbook's chapters 10–12 show the "
                   "online side: every source refreshed on each build, consent captured where customers sign up.",
        "caution_zh": "这是定性比较，文档未给出数据。本教材第10–12章展示的是“网络”一侧：每次构建都刷新全部数据源，"
                      "在客户注册处获取许可。",
    },
    "jcpenney": {
        "title": "JCPenney: one data warehouse for stores, catalogue and web",
        "title_zh": "JCPenney：门店、目录与网店共用一个数据仓库",
        "text": "JCPenney, a large US department-store retailer with more than 1,000 stores, sold through three "
                "channels — physical stores, B2C web and catalogue — to more than 40 million customers. A data "
                "warehouse integrated every channel's customer data (60 nodes in 2004), so it knew each customer's "
                "shopping pattern over the past three years. It classified customers by behaviour and used that to "
                "lay out stores and order web and catalogue pages, developed 180 ways of selecting customers for "
                "direct mail (240+ for the catalogue), sent 400 million e-mails a year and chose targets for "
                "in-store promotions from past purchases. The seed's lesson: people, not IT, decide whether data is "
                "used well.",
        "text_zh": "JCPenney 是美国大型百货零售商，拥有1,000多家门店，通过实体店、B2C网店和目录三大渠道向4,000多万顾客"
                   "销售。数据仓库整合了各渠道的客户数据（2004年使用60个节点），掌握每位顾客过去三年的购物特点。企业"
                   "按行为属性给客户分类，据此设置店内陈列、调整网页与目录页顺序；开发了180种直邮选客方法（目录240种"
                   "以上），每年发送4亿份电子邮件，并根据过去的购买记录为店内促销选择目标客户。文档的结论：数据运用"
                   "成败的关键在人，而不只是IT。",
        "source": "seed document 004 (CRM知识分享 handout, chapter 4 case)",
        "source_zh": "种子文档004（《CRM知识分享》讲义第四章案例）",
        "caution": "Figures as the handout states them, not checked; its sales figure (\"$18亿\", i.e. $1.8 billion, "
                   "2005) is far below JCPenney's reported annual sales of that time and is probably a slip — do "
                   "not quote it.",
        "caution_zh": "数字均按讲义原文，未经核实；其中2005年销售额“超18亿美元”远低于该公司当时公布的年销售额，"
                      "可能是笔误，请勿引用。",
    },
    "appliance_gift": {
        "title": "An appliance maker's $30 gift to its biggest buyers",
        "title_zh": "家电企业给大买主的30美元小礼物",
        "text": "A home-appliance company kept a record of every transaction. From customers' appliance purchase "
                "history it judged who would be interested in its new video recorder, identified its biggest "
                "buyers and sent them a small gift worth $30 in exchange for their next purchase.",
        "text_zh": "一家家电企业保存了每一次交易记录。它根据消费者购买家用电器的历史，判断谁会对新式录像机感兴趣，确认"
                   "谁是公司的大买主，并给他们送上价值30美元的小礼物，以换取下一次购买。",
        "source": "seed document 002 (数据库营销 training deck)",
        "source_zh": "种子文档002（《数据库营销》培训讲义）",
        "caution": "The seed reports no result. Whether the gift paid for itself is exactly the loyalty question of "
                   "chapter 32: it needs a control group of big buyers who got no gift.",
        "caution_zh": "文档未给出效果。礼物是否划算正是第32章忠诚计划的问题：需要一个未收到礼物的大买主对照组。",
    },
    "hotel_call_center": {
        "title": "Hotels: a prospect database and a call centre",
        "title_zh": "酒店：潜在客户数据库与呼叫中心",
        "text": "Hotels worked with an outside marketing agency, using database technology and a call centre to turn "
                "potential individual (business) travellers into customers, inviting them to try the hotel and "
                "offering differentiated service. The seed lists the effects: more than 1 million (yuan) of "
                "marketing budget saved, 8–10 million more revenue, a wider sales channel, a protected price "
                "system and lower vacancy.",
        "text_zh": "酒店借助外部专业营销机构，采用数据库技术和呼叫中心的模式，把潜在散客发展成酒店客户，邀请体验消费并"
                   "提供差异化服务。文档列出的效果：节省100多万市场经费，带来客流与营业额800–1000万，拓宽销售渠道，"
                   "保护价格体系，降低空置率。",
        "source": "seed document 002 (数据库营销 training deck)",
        "source_zh": "种子文档002（《数据库营销》培训讲义）",
        "caution": "Promotional claims of the agency model, with no baseline, period or hotel size: read them as "
                   "what such a project promises, not as a measured lift.",
        "caution_zh": "这是该模式的宣传性说法，没有基准、期限或酒店规模：应理解为项目承诺，而非测得的提升。",
    },
    "hospital_abc": {
        "title": "Hospitals: ABC classes of patients",
        "title_zh": "医院：顾客ABC分类",
        "text": "For hospitals the seed recommends a customer database broader than health records and case files, "
                "built to grow the customer base rather than only to document treatment. Customers are ranked by "
                "value with the ABC method into a customer pyramid — VIP (A), major (B), ordinary (C) and small (D) "
                "customers — so the most valuable get the matching service strategy.",
        "text_zh": "种子文档建议医院建立比健康档案和病案更宽泛的顾客数据库，目的在于扩大顾客群，而不仅是记录诊疗。运用"
                   "ABC分类法按顾客价值建立顾客金字塔：VIP顾客（A类）、主要顾客（B类）、普通顾客（C类）和小顾客（D类），"
                   "为最有价值的顾客采取相应的服务策略。",
        "source": "seed document 002 (数据库营销 training deck)",
        "source_zh": "种子文档002（《数据库营销》培训讲义）",
        "caution": "A recommendation, not a reported result; with health data, consent and privacy law (PIPL 个人信息"
                   "保护法) come first. The pyramid itself is built in chapter 22.",
        "caution_zh": "这是建议而非实际效果；涉及健康数据时，须先满足许可与《个人信息保护法》。"
                      "顾客金字塔的做法见第22章。",
    },
    "ecommerce_platform": {
        "title": "An e-commerce platform: clean, mine, personalise, go offline",
        "title_zh": "电商平台：清洗、挖掘、个性化、线上线下结合",
        "text": "An e-commerce platform first cleaned its customer database (duplicates, errors, invalid records), "
                "then mined consumption behaviour, preferences and value to find potential high-value groups, and "
                "personalised recommendations and service for them across e-mail, SMS and social media. It also "
                "used customer profiles to choose locations and layouts of its physical stores. The seed reports "
                "\"significant\" growth in sales and reputation.",
        "text_zh": "某电商平台首先对已有的客户数据库进行了全面的清洗和整理，剔除重复、错误和无效的数据；再利用数据挖掘"
                   "技术深入分析客户的消费行为、偏好和价值，找出潜在的高价值客户群体，并为他们制定个性化推荐、定制化服务"
                   "等针对性策略，通过电子邮件营销、短信营销、社交媒体营销等形式开展营销活动。该平台还通过客户画像分析，为"
                   "线下实体店的选址和产品陈列提供支持，实现线上线下的无缝对接。文档称其取得了“显著的业绩增长和客户口碑"
                   "提升”。",
        "source": "seed document 002 (数据库营销 training deck)",
        "source_zh": "种子文档002（《数据库营销》培训讲义）",
        "caution": "An anonymous case without numbers: it shows the order of the work (the workbook's phases 1–3), "
                   "not evidence that it pays.",
        "caution_zh": "匿名案例，没有数字：它说明工作的顺序（即本教材第1–3阶段），而不能证明其收益。",
    },
}


def seed_case_box(key: str, language: str = "en"):
    """One seed case as a Markdown box (title, the case, its source and the caution) in ``language``.

    >>> seed_case_box("jcpenney").data.splitlines()[0]
    '> **Case — JCPenney: one data warehouse for stores, catalogue and web**'
    """
    from IPython.display import Markdown
    if key not in SEED_CASES:
        raise KeyError(f"no seed case {key!r}; cases are {', '.join(SEED_CASES)}")
    c = SEED_CASES[key]
    zh = language == "zh"
    title, text = (c["title_zh"], c["text_zh"]) if zh else (c["title"], c["text"])
    caution, source = (c["caution_zh"], c["source_zh"]) if zh else (c["caution"], c["source"])
    if zh:
        return Markdown(f"> **案例：{title}**\n>\n> {text}\n>\n> *来源：{source}。* **注意：** {caution}")
    return Markdown(f"> **Case — {title}**\n>\n> {text}\n>\n> *source: {source}.* **Caution:** {caution}")
