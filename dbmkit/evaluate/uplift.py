"""Uplift modelling (增量模型): whom does the campaign change?

A response model ranks people by how likely they are to buy *when contacted*; but many of those would have bought
anyway. What pays is the **uplift** — the difference the contact makes: P(buy | contacted) − P(buy | not contacted).
People fall into four types: **persuadables** (buy only when contacted: target them), **sure things** (buy
anyway: the offer is wasted on them), **lost causes** (never buy) and **do-not-disturbs** (buy *less* when
contacted: leave them alone).

Past randomised campaigns (with control groups) are the training data. Two standard estimators:

* **two-model** (T-learner): one response model on the treated, one on the controls; uplift = difference.
* **class transformation** (Jaskowski & Jaroszewicz 2012): one classifier for Z = 1 when (treated and bought) or
  (control and did not buy); with treatment and control weighted to equal size, uplift = 2·P(Z = 1 | x) − 1.

Evaluation: contacts ranked by predicted uplift; per decile the observed uplift (treated rate − control rate,
``uplift_by_decile``); the **Qini curve** (incremental responses gained as more of the ranked list is targeted)
and the **Qini coefficient** (``qini``: area between the model's curve and random targeting, divided by the area
of the perfect model — 0 is random, 1 perfect).

Features come from ``dbmkit/sql/contact_features.sql``: what was known about each customer just before the
contact (purchases, spend, discount habit, channels, e-mail engagement, earlier contacts, age, tenure).

Example
-------
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"score": rng.random(4000), "treatment": rng.random(4000) < 0.5})
>>> df["bought"] = (rng.random(4000) < 0.1 + 0.2 * df["score"] * df["treatment"]).astype(int)
>>> qini(df, "score", "bought", "treatment") > 0.05     # random scores: about 0
True
>>> bool(uplift_by_decile(df, "score", "bought", "treatment", n_bins=5)["observed_uplift"].iloc[0] > 0.1)
True
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import sql as _sql
from ..i18n import get_language, money, pick
from ..models import MAX_FIT_ROWS, fit_sample
from .attribution import campaign_outcomes
from .stats import newcombe_interval

__all__ = ["contact_features", "uplift_training_data", "feature_matrix", "TwoModelUplift",
           "ClassTransformationUplift", "fit_uplift", "uplift_by_decile", "qini_curve", "qini", "targeting_plan",
           "targeting_summary", "targeting_advice",
           "UPLIFT_TYPES", "NUMERIC_FEATURES", "with_true_uplift", "split_by_contact", "UpliftComparison",
           "compare_uplift_models", "score_uplift", "score_campaign"]

UPLIFT_TYPES = ["persuadable", "sure_thing", "lost_cause", "do_not_disturb"]
# the channels of past campaigns one-hot encoded (fixed columns: a model is fit and scored on the same features); a
# WeChat or app-push contact reads as none of them until past campaigns on those channels exist to learn from
CHANNELS = ["email", "sms", "mail", "phone"]
NUMERIC_FEATURES = ["orders_total", "orders_365d", "orders_90d", "revenue_total", "revenue_365d", "avg_order_value",
                    "discount_share", "discounted_order_share", "returns_total", "channels_used", "days_since_last",
                    "days_since_first", "tenure_days", "age", "female", "emails_received", "email_open_share",
                    "email_click_share", "prior_contacts"]
# Not a feature: the response window. Each past campaign had its own window, so the window only tells the
# campaigns apart, and two separate models extrapolate its (noisy) effect wildly to a new campaign's window.


def contact_features(ws, contacts: pd.DataFrame) -> pd.DataFrame:
    """Point-in-time features of each contact (campaign_id, customer_id, contact_ts), computed in the workspace's
    engine (DuckDB, or Spark with ``engine: spark``)."""
    missing = [c for c in ("campaign_id", "customer_id", "contact_ts") if c not in contacts.columns]
    if missing:
        raise KeyError(f"contacts has no column(s) {missing}; it has {list(contacts.columns)}")
    c = contacts[["campaign_id", "customer_id", "contact_ts"]].copy()
    c["contact_ts"] = pd.to_datetime(c["contact_ts"])
    return _sql.run(ws, "contact_features", frames={"_feat_contacts": c}, contacts=_sql.Raw("_feat_contacts"))


def uplift_training_data(ws, campaign_ids=None, window_days: float | None = None) -> pd.DataFrame:
    """The past randomised campaigns as training data: one row per contact with its features, channel, response
    window, ``treatment`` (1 = contacted, 0 = control) and ``responded`` (bought in the window)."""
    out = campaign_outcomes(ws, campaign_ids, window_days=window_days, rule="all")
    out = out[out["group"].isin(["treatment", "control"])]
    ctrl = out.groupby("campaign_id")["group"].apply(lambda g: (g == "control").sum())
    usable = ctrl[ctrl > 0].index
    out = out[out["campaign_id"].isin(usable)]
    if out.empty:
        raise ValueError("no past campaign with a control group: uplift needs randomised campaigns "
                         "(contacts with group = treatment and control)")
    feats = contact_features(ws, out)
    df = out.merge(feats, on=["campaign_id", "customer_id"], how="inner")
    df["treatment"] = (df["group"] == "treatment").astype(int)
    return df.reset_index(drop=True)


def feature_matrix(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric features + one-hot channel and acquisition channel (missing values stay NaN)."""
    X = pd.DataFrame(index=df.index)
    for c in NUMERIC_FEATURES:
        X[c] = pd.to_numeric(df[c], errors="coerce").astype(float) if c in df.columns else np.nan
    ch = df["channel"].astype(str) if "channel" in df.columns else pd.Series("", index=df.index)
    for c in CHANNELS:
        X[f"channel_{c}"] = (ch == c).astype(float)
    acq = (df["acquisition_channel"].astype(str) if "acquisition_channel" in df.columns
           else pd.Series("", index=df.index))
    for a in ("store", "web_search", "social", "referral", "affiliate", "catalog"):
        X[f"acq_{a}"] = (acq == a).astype(float)
    return X


def _learner(model: str, seed: int):
    if model == "gbm":
        from sklearn.ensemble import HistGradientBoostingClassifier
        # shallow and strongly regularised: uplift is a small difference between two noisy rates
        return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_depth=2, min_samples_leaf=200,
                                              l2_regularization=5.0, random_state=seed)
    if model == "logistic":
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        return make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler(),
                             LogisticRegression(C=0.5, max_iter=2000))
    raise ValueError(f"model must be 'gbm' (gradient boosting) or 'logistic', not {model!r}")


def _observed_columns(X: pd.DataFrame) -> list[str]:
    """Features with at least one value (a client without e-mail data has no e-mail features)."""
    cols = [c for c in X.columns if X[c].notna().any()]
    if not cols:
        raise ValueError("no usable features: every feature column is empty")
    return cols


def _treat(t) -> np.ndarray:
    t = pd.Series(t)
    if t.dtype == object or pd.api.types.is_string_dtype(t):
        return (t == "treatment").to_numpy(int)
    return t.astype(int).to_numpy()


class TwoModelUplift:
    """Two response models — treated and control — and uplift = P(buy | treated) − P(buy | control)."""

    method = "two_model"

    def __init__(self, model: str = "logistic", seed: int = 0, max_rows: int | None = MAX_FIT_ROWS):
        self.model, self.seed, self.max_rows = model, seed, max_rows

    def fit(self, X: pd.DataFrame, treatment, y) -> "TwoModelUplift":
        t, y = _treat(treatment), np.asarray(y, int)
        if t.sum() == 0 or (1 - t).sum() == 0:
            raise ValueError("uplift needs both treated (1) and control (0) rows")
        self.columns_ = _observed_columns(X)
        X = X[self.columns_]
        fitted = []
        for group in (1, 0):                  # each model learns from at most max_rows rows, stratified by y
            rows = np.flatnonzero(t == group)
            rows = rows[fit_sample(y[rows], self.max_rows, self.seed)]
            fitted.append(_learner(self.model, self.seed).fit(X.iloc[rows], y[rows]))
        self.treated_, self.control_ = fitted
        return self

    def predict_components(self, X: pd.DataFrame) -> pd.DataFrame:
        X = X[self.columns_]
        p1 = self.treated_.predict_proba(X)[:, 1]
        p0 = self.control_.predict_proba(X)[:, 1]
        return pd.DataFrame({"p_treated_hat": p1, "p_control_hat": p0, "uplift": p1 - p0}, index=X.index)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_components(X)["uplift"].to_numpy()


class ClassTransformationUplift:
    """One classifier for Z = T·Y + (1 − T)(1 − Y), treatment and control reweighted to equal size
    (per campaign); uplift = 2·P(Z = 1 | x) − 1."""

    method = "class_transformation"

    def __init__(self, model: str = "logistic", seed: int = 0, max_rows: int | None = MAX_FIT_ROWS):
        self.model, self.seed, self.max_rows = model, seed, max_rows

    def fit(self, X: pd.DataFrame, treatment, y, strata=None) -> "ClassTransformationUplift":
        t, y = _treat(treatment), np.asarray(y, int)
        if t.sum() == 0 or (1 - t).sum() == 0:
            raise ValueError("uplift needs both treated (1) and control (0) rows")
        strata = np.zeros(len(t)) if strata is None else np.asarray(strata)
        e = pd.Series(t).groupby(strata).transform("mean").to_numpy()
        w = np.where(t == 1, 0.5 / e, 0.5 / (1 - e))
        z = t * y + (1 - t) * (1 - y)
        self.columns_ = _observed_columns(X)
        X = X[self.columns_]
        rows = fit_sample(2 * t + y, self.max_rows, self.seed)     # at most max_rows, stratified by group × outcome
        if len(rows) < len(t):
            X, z, w = X.iloc[rows], z[rows], w[rows]
        est = _learner(self.model, self.seed)
        if self.model == "logistic":
            est.fit(X, z, logisticregression__sample_weight=w)
        else:
            est.fit(X, z, sample_weight=w)
        self.estimator_ = est
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return 2 * self.estimator_.predict_proba(X[self.columns_])[:, 1] - 1


def fit_uplift(train: pd.DataFrame, method: str = "two_model", model: str = "logistic", seed: int = 0,
               max_rows: int | None = MAX_FIT_ROWS):
    """Fit an uplift model on training data from :func:`uplift_training_data` (treatment, responded, features).

    Each model learns from at most ``max_rows`` rows (``dbmkit.models.MAX_FIT_ROWS``; ``None`` = all): a seeded
    sample stratified by the outcome (and by treatment for the class transformation) — only on large clients."""
    for c in ("treatment", "responded"):
        if c not in train.columns:
            raise KeyError(f"training data needs a {c!r} column; build it with uplift_training_data(ws)")
    X = feature_matrix(train)
    if method == "two_model":
        return TwoModelUplift(model, seed, max_rows).fit(X, train["treatment"], train["responded"])
    if method == "class_transformation":
        strata = train["campaign_id"] if "campaign_id" in train.columns else None
        return ClassTransformationUplift(model, seed, max_rows).fit(X, train["treatment"], train["responded"], strata)
    raise ValueError(f"method must be 'two_model' or 'class_transformation', not {method!r}")


def _check(df, cols):
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"df has no column(s) {missing}; it has {list(df.columns)}")


def uplift_by_decile(df: pd.DataFrame, score: str, outcome: str, treatment: str, n_bins: int = 10,
                     true_uplift: str | None = None, types: str | None = None, alpha: float = 0.05) -> pd.DataFrame:
    """Contacts ranked by predicted uplift (decile 1 = highest) with, per decile: contacts, treated and control
    counts, response rates, the observed uplift (treated − control rate) and its Newcombe interval, the mean
    predicted uplift and — for the synthetic client — the mean true uplift and the shares of the four types."""
    _check(df, [score, outcome, treatment] + ([true_uplift] if true_uplift else []) + ([types] if types else []))
    d = df.assign(_t=_treat(df[treatment]), _y=df[outcome].astype(int).to_numpy())
    rank = d[score].rank(method="first", ascending=False)
    d["decile"] = np.ceil(rank / len(d) * n_bins).clip(1, n_bins).astype(int)
    rows = []
    for k, g in d.groupby("decile", sort=True):
        tr, ct = g[g["_t"] == 1], g[g["_t"] == 0]
        s1, n1, s0, n0 = tr["_y"].sum(), len(tr), ct["_y"].sum(), len(ct)
        r1 = s1 / n1 if n1 else np.nan
        r0 = s0 / n0 if n0 else np.nan
        lo, hi = newcombe_interval(s1, n1, s0, n0, alpha) if n1 and n0 else (np.nan, np.nan)
        row = dict(decile=int(k), n=len(g), n_treated=n1, n_control=n0, response_rate_treated=r1,
                   response_rate_control=r0, observed_uplift=r1 - r0, ci_low=lo, ci_high=hi,
                   predicted_uplift=float(g[score].mean()))
        if true_uplift:
            row["true_uplift"] = float(g[true_uplift].mean())
        if types:
            for u in UPLIFT_TYPES:
                row[f"share_{u}"] = float((g[types] == u).mean())
        rows.append(row)
    return pd.DataFrame(rows)


def _curve(score: np.ndarray, y: np.ndarray, t: np.ndarray) -> pd.DataFrame:
    order = np.argsort(-score, kind="stable")
    s, y, t = score[order], y[order], t[order]
    # evaluate only where the score changes (ties are one block)
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    n_t = np.cumsum(t)[last].astype(float)
    n_c = np.cumsum(1 - t)[last].astype(float)
    r_t = np.cumsum(y * t)[last].astype(float)
    r_c = np.cumsum(y * (1 - t))[last].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        inc = r_t - np.where(n_c > 0, r_c * n_t / n_c, 0.0)     # no control yet: nothing to subtract
    x = (last + 1).astype(float)
    return pd.DataFrame({"n_targeted": np.r_[0.0, x], "incremental_responses": np.r_[0.0, inc]})


def qini_curve(df: pd.DataFrame, score: str, outcome: str, treatment: str) -> pd.DataFrame:
    """The Qini curve: targeting the top of the ranked list, how many incremental responses
    (treated responders − control responders scaled to the treated count) we gain. Columns: n_targeted,
    share_targeted, incremental_responses, random (straight line to the total), perfect (best possible order)."""
    _check(df, [score, outcome, treatment])
    y = df[outcome].astype(int).to_numpy()
    t = _treat(df[treatment])
    if t.sum() == 0 or (1 - t).sum() == 0:
        raise ValueError("a Qini curve needs both treated and control contacts")
    model = _curve(df[score].to_numpy(float), y, t)
    perfect = _curve((y * t - y * (1 - t)).astype(float), y, t)
    n = float(len(df))
    total = model["incremental_responses"].iloc[-1]
    grid = model["n_targeted"].to_numpy()
    out = model.assign(share_targeted=grid / n, random=grid / n * total,
                       perfect=np.interp(grid, perfect["n_targeted"], perfect["incremental_responses"]))
    return out[["n_targeted", "share_targeted", "incremental_responses", "random", "perfect"]]


def _area(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))


def qini(df: pd.DataFrame, score: str, outcome: str, treatment: str) -> float:
    """Qini coefficient: (area of the model's Qini curve − random) / (area of the perfect curve − random).
    0 = no better than random targeting, 1 = perfect; negative = worse than random."""
    _check(df, [score, outcome, treatment])
    y = df[outcome].astype(int).to_numpy()
    t = _treat(df[treatment])
    model = _curve(df[score].to_numpy(float), y, t)
    perfect = _curve((y * t - y * (1 - t)).astype(float), y, t)
    n = float(len(df))
    total = model["incremental_responses"].iloc[-1]
    a_random = n * total / 2
    a_model = _area(model["n_targeted"], model["incremental_responses"]) - a_random
    a_perfect = _area(perfect["n_targeted"], perfect["incremental_responses"]) - a_random
    return float(a_model / a_perfect) if a_perfect > 0 else float("nan")


def targeting_plan(deciles: pd.DataFrame, margin_per_response: float, cost_per_contact: float,
                   uplift_col: str = "predicted_uplift") -> pd.DataFrame:
    """Whom to target next time: per uplift decile the expected incremental profit per contact
    (uplift × margin per response − cost per contact), and ``target`` where it is positive.

    With the observed uplift and its interval (``uplift_by_decile``: observed_uplift, ci_low, ci_high) the plan
    also gives the observed profit per contact with its interval and decides on the **lower bound**: ``target``
    only where even the pessimistic end of the interval pays (``target_model`` keeps the model's own view), and
    ``decision`` says "contact", "leave out" (loses money even at the optimistic end) or "test again" (the
    interval spans break-even: the data cannot tell).

    >>> d = pd.DataFrame({"decile": [1, 2, 3], "n": [100, 100, 100], "predicted_uplift": [0.05, 0.01, -0.02]})
    >>> targeting_plan(d, 40.0, 0.5)[["decile", "profit_per_contact", "target"]].values.tolist()
    [[1, 1.5, True], [2, -0.1, False], [3, -1.3, False]]
    >>> d = d.assign(observed_uplift=[0.06, 0.0, -0.03], ci_low=[0.02, -0.04, -0.05], ci_high=[0.1, 0.04, -0.02])
    >>> targeting_plan(d, 40.0, 0.5)[["decile", "target", "decision"]].values.tolist()
    [[1, True, 'contact'], [2, False, 'test again'], [3, False, 'leave out']]
    """
    _check(deciles, ["decile", "n", uplift_col])
    observed = all(c in deciles.columns for c in ("observed_uplift", "ci_low", "ci_high"))
    extra = ["observed_uplift", "ci_low", "ci_high"] if observed else []
    out = deciles[["decile", "n", uplift_col, *extra]].copy()
    out["profit_per_contact"] = (out[uplift_col] * margin_per_response - cost_per_contact).round(6)
    out["expected_profit"] = out["profit_per_contact"] * out["n"]
    out["target"] = out["profit_per_contact"] > 0
    out["cumulative_profit"] = out["expected_profit"].cumsum()
    if observed:
        m, c = margin_per_response, cost_per_contact
        out["observed_profit_per_contact"] = (out["observed_uplift"] * m - c).round(6)
        out["observed_profit_low"] = (out["ci_low"] * m - c).round(6)
        out["observed_profit_high"] = (out["ci_high"] * m - c).round(6)
        out["target_model"] = out["target"]
        out["target"] = out["observed_profit_low"] > 0
        out["decision"] = np.where(out["target"], "contact",
                                   np.where(out["observed_profit_high"] < 0, "leave out", "test again"))
    return out


def targeting_summary(plan: pd.DataFrame, alpha: float = 0.05) -> pd.Series:
    """What a :func:`targeting_plan` (with observed uplift) promises and what the data support: the deciles the
    model would target and the profit it projects for them, what those deciles really returned in this campaign
    with its interval (the deciles are independent: standard errors add in squares), the deciles that pay at the
    lower bound, and how well the model is calibrated — the deciles whose observed interval misses the prediction
    and the slope of observed on predicted uplift (1 = calibrated, 0 = the ranking says nothing).

    >>> d = pd.DataFrame({"decile": [1, 2], "n": [100, 100], "predicted_uplift": [0.05, -0.01],
    ...                   "observed_uplift": [0.01, 0.0], "ci_low": [-0.03, -0.04], "ci_high": [0.05, 0.04]})
    >>> s = targeting_summary(targeting_plan(d, 40.0, 0.5))
    >>> s[["model_deciles", "projected_profit", "observed_profit", "lower_bound_deciles"]].tolist()
    [1.0, 150.0, -10.0, 0.0]
    """
    from ..power import z_critical
    z = z_critical(alpha)
    model_col = "target_model" if "target_model" in plan else "target"
    sel = plan[plan[model_col]]
    half = (sel["observed_profit_high"] - sel["observed_profit_low"]) / 2 * sel["n"]
    observed = float((sel["observed_profit_per_contact"] * sel["n"]).sum())
    se = float(np.sqrt(((half / z) ** 2).sum()))
    pred = plan["predicted_uplift"].to_numpy(float) if "predicted_uplift" in plan else np.array([])
    obs = plan["observed_uplift"].to_numpy(float)
    ok = np.isfinite(pred) & np.isfinite(obs)
    slope = (float(np.polyfit(pred[ok], obs[ok], 1)[0]) if ok.sum() >= 3 and np.ptp(pred[ok]) > 0 else np.nan)
    missed = int(((plan["predicted_uplift"] < plan["ci_low"]) | (plan["predicted_uplift"] > plan["ci_high"])).sum())
    return pd.Series({"model_deciles": float(len(sel)), "model_contacts": float(sel["n"].sum()),
                      "projected_profit": float(sel["expected_profit"].sum()), "observed_profit": observed,
                      "observed_profit_ci_low": observed - z * se, "observed_profit_ci_high": observed + z * se,
                      "lower_bound_deciles": float(plan["target"].sum()) if "target_model" in plan else np.nan,
                      "deciles_missing_prediction": float(missed), "deciles": float(len(plan)),
                      "calibration_slope": slope})


def _money_text(x: float, currency: str) -> str:
    if x is not None and np.isfinite(x) and get_language() == "zh":      # a Chinese page: ¥, as i18n.money writes it
        return money(x, currency.strip(), compact=False, decimals=0)
    return "n/a" if x is None or not np.isfinite(x) else f"{'−' if x < 0 else ''}{currency}{abs(x):,.0f}"


def targeting_advice(plan: pd.DataFrame, deciles: pd.DataFrame | None = None, qini: float | None = None,
                     qini_truth: float | None = None, alpha: float = 0.05, currency: str = ""):
    """The recommendation of chapter 41, written from the numbers (Markdown): the model's projection and whether it
    can be trusted (calibration; with the synthetic truth, the model's Qini beside the truth's), the deciles that
    pay at the lower bound, and — when ``deciles`` has the shares of the four types (synthetic client) — where the
    do-not-disturbs really are."""
    from IPython.display import Markdown
    if "decision" not in plan:
        raise ValueError("targeting_advice needs a targeting_plan made from uplift_by_decile (observed uplift and "
                         "its interval per decile)")
    s = targeting_summary(plan, alpha)
    ci, cz = f"{100 * (1 - alpha):.0f} %", f"{100 * (1 - alpha):.0f}%"
    L = lambda en, zh: pick((en, zh))  # noqa: E731 - the text of the page's language
    out = []
    model_d, lb_d = plan.loc[plan["target_model"], "decile"].tolist(), plan.loc[plan["target"], "decile"].tolist()
    m = {k: _money_text(s[k], currency) for k in ("projected_profit", "observed_profit", "observed_profit_ci_low",
                                                  "observed_profit_ci_high")}
    proj = L(f"The model would contact deciles {model_d} and projects "
             f"an incremental profit of {m['projected_profit']}. In this campaign those "
             f"deciles returned {m['observed_profit']} ({ci} interval "
             f"{m['observed_profit_ci_low']} to {m['observed_profit_ci_high']}).",
             f"模型会接触十分位{model_d}，预计增量利润{m['projected_profit']}。在这次活动中，这些十分位实际带来"
             f"{m['observed_profit']}（{cz}置信区间 {m['observed_profit_ci_low']} 至 {m['observed_profit_ci_high']}）。"
             ) if s["model_deciles"] else \
        L("The model projects no decile with a positive profit per contact.",
          "模型预计没有哪个十分位的单次接触利润为正。")
    out.append(proj)
    cal = L(f"The predicted uplift lies outside the observed interval in {s['deciles_missing_prediction']:.0f} of "
            f"{s['deciles']:.0f} deciles; the slope of observed on predicted uplift is "
            f"{s['calibration_slope']:.2f} (1 = calibrated, 0 = no information).",
            f"在{s['deciles']:.0f}个十分位中，有{s['deciles_missing_prediction']:.0f}个的预测增量落在观测置信区间之外；"
            f"观测增量对预测增量的斜率为{s['calibration_slope']:.2f}（1 = 校准良好，0 = 没有信息）。")
    miscalibrated = (s["deciles_missing_prediction"] >= 2 or not np.isfinite(s["calibration_slope"])
                     or s["calibration_slope"] < 0.5)
    weak = False
    if qini is not None and qini_truth is not None and np.isfinite(qini) and np.isfinite(qini_truth):
        cal += L(f" Its Qini on held-out contacts is {qini:.3f}, against {qini_truth:.3f} for ranking by the truth.",
                 f"它在留出接触上的Qini为{qini:.3f}，按真实增量排序则为{qini_truth:.3f}。")
        weak = qini < 0.5 * qini_truth
    elif qini is not None and np.isfinite(qini):
        cal += L(f" Its Qini on held-out contacts is {qini:.3f}.", f"它在留出接触上的Qini为{qini:.3f}。")
    weak = weak or (qini is not None and np.isfinite(qini) and qini <= 0)
    if miscalibrated or weak:
        flags = ((("it is badly calibrated", "它校准很差"), miscalibrated),
                 (("it ranks far worse than the truth allows", "它的排序远不如真实情况所允许的水平"), weak))
        why = L(" and ", "，而且").join(L(*w) for w, flag in flags if flag)
        cal += L(f" **Do not plan on the model's projected profit: {why}.** The money must come from observed uplift.",
                 f"**不要按模型预计的利润做计划：{why}。**钱必须来自观测到的增量。")
    out.append(cal)
    n_lb = int(s["lower_bound_deciles"]) if np.isfinite(s["lower_bound_deciles"]) else 0
    if n_lb:
        out.append(L(f"**Recommendation:** contact deciles {lb_d} — they pay "
                     f"even at the lower end of their {ci} interval; keep a control group in each. Even where the "
                     f"contact changes nothing, one decile in {round(2 / alpha)} clears this bar by chance: confirm "
                     "them in the next campaign before mailing deeper.",
                     f"**建议：**接触十分位{lb_d}——即使在{cz}置信区间的下端它们也能赚钱；每个十分位都保留对照组。"
                     f"即使接触毫无作用，每{round(2 / alpha)}个十分位中也会有一个碰巧越过这道门槛："
                     "在扩大投放深度之前，先在下一次活动中确认它们。"))
    else:
        tests = plan.loc[plan["decision"] == "test again", "decile"].tolist()
        every = len(tests) == len(plan)
        which = L("every decile's interval spans" if every else f"deciles {tests} span",
                  "每个十分位的置信区间都跨过了" if every else f"十分位{tests}的置信区间跨过了")
        out.append(L(f"**Recommendation:** no decile pays at the lower end of its {ci} interval, so the data support "
                     f"no mailing depth yet: {which} break-even. Make the next campaign a test — contact those deciles "
                     "with a control group large enough to measure their uplift (chapter 31 sizes it).",
                     f"**建议：**没有哪个十分位在其{cz}置信区间的下端仍能赚钱，所以数据还不支持任何投放深度：{which}盈亏平衡点。"
                     "把下一次活动做成一次测试——接触这些十分位，并配上足以测出其增量的对照组（第31章计算所需规模）。"))
    leave = plan.loc[plan["decision"] == "leave out", "decile"].tolist() if "decision" in plan else []
    if leave:
        out.append(L(f"Leave out deciles {leave}: they lose money even at the optimistic end of their interval.",
                     f"不接触十分位{leave}：即使在置信区间乐观的一端，它们也亏钱。"))
    if deciles is not None and "share_do_not_disturb" in deciles:
        dnd = deciles["share_do_not_disturb"].to_numpy(float)
        k = max(1, len(dnd) // 3)
        top, bottom = float(np.mean(dnd[:k])), float(np.mean(dnd[-k:]))
        lo_p, hi_p, top_p, bot_p = (f"{100 * v:.0f}" for v in (dnd.min(), dnd.max(), top, bottom))
        text = L(f"Do-not-disturbs (synthetic truth): {lo_p}–{hi_p} % of each decile; "
                 f"{top_p} % in the top {k} deciles, {bot_p} % in the bottom {k}. ",
                 f"勿扰者（合成数据的真实情况）：每个十分位中占{lo_p}–{hi_p}%；前{k}个十分位中占{top_p}%，"
                 f"后{k}个十分位中占{bot_p}%。")
        if bottom >= top + 0.05 and bottom >= 1.5 * top:
            text += L("The model does push them to the bottom: leaving out the bottom deciles avoids most of them.",
                      "模型确实把他们排到了底部：不接触最后几个十分位就能避开其中的大多数。")
        else:
            text += L("The model does not concentrate them: leaving out the bottom deciles saves contact costs, but "
                      "it does not keep the do-not-disturbs away — they are spread over every decile.",
                      "模型没有把他们集中起来：不接触最后几个十分位可以节省接触成本，但挡不住勿扰者——"
                      "他们分散在每一个十分位中。")
        out.append(text)
    return Markdown("\n\n".join(out))


def with_true_uplift(ws, df: pd.DataFrame) -> pd.DataFrame:
    """Past contacts (campaign_id, customer_id) with the synthetic truth's true_uplift and uplift_type; unchanged
    for a real client."""
    if ws.truth is None or "campaign_uplift" not in ws.truth:
        return df
    from ..datasets.simulate import person_map
    pm = person_map(ws)
    cu = ws.truth["campaign_uplift"][["campaign_id", "person_id", "true_uplift", "uplift_type"]]
    out = df.assign(_person=pm.reindex(df["customer_id"]).to_numpy())
    out = out.merge(cu.rename(columns={"person_id": "_person"}), on=["campaign_id", "_person"], how="left")
    return out.drop(columns="_person")


def split_by_contact(df: pd.DataFrame, test_share: float = 0.3, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random train/test split, stratified by campaign and group (each campaign's control group is split too)."""
    if not 0 < test_share < 1:
        raise ValueError("test_share must be between 0 and 1, e.g. 0.3")
    rng = np.random.default_rng(seed)
    u = pd.Series(rng.random(len(df)), index=df.index)
    keys = [c for c in ("campaign_id", "treatment") if c in df.columns]
    rank = u.groupby([df[k] for k in keys]).rank(pct=True) if keys else u
    test = rank <= test_share
    return df[~test].reset_index(drop=True), df[test].reset_index(drop=True)


@dataclasses.dataclass
class UpliftComparison:
    """Uplift models trained on past campaigns and judged on held-out contacts."""

    models: dict
    train: pd.DataFrame
    test: pd.DataFrame          # held-out contacts with one score column per model (uplift_<method>)
    qini: pd.DataFrame          # method, qini (and qini of the true uplift for the synthetic client)

    def best(self) -> str:
        """The fitted method with the highest held-out Qini."""
        q = self.qini[self.qini["method"].isin(list(self.models))]
        return str(q.sort_values("qini", ascending=False)["method"].iloc[0])


def compare_uplift_models(data: pd.DataFrame, methods=("two_model", "class_transformation"), model: str = "logistic",
                          test_share: float = 0.3, seed: int = 0) -> UpliftComparison:
    """Fit each uplift method on a training part of the past contacts and compute its Qini on the held-out part
    (with ``true_uplift`` in the data, also the Qini of ranking by the truth — the best one can hope for)."""
    train, test = split_by_contact(data, test_share, seed)
    models, rows = {}, []
    Xt = feature_matrix(test)
    for m in methods:
        models[m] = fit_uplift(train, m, model, seed)
        test[f"uplift_{m}"] = models[m].predict(Xt)
        rows.append(dict(method=m, qini=qini(test, f"uplift_{m}", "responded", "treatment")))
    if "true_uplift" in test.columns and test["true_uplift"].notna().any():
        rows.append(dict(method="truth (synthetic)",
                         qini=qini(test.assign(_t=test["true_uplift"].fillna(0)), "_t", "responded", "treatment")))
    return UpliftComparison(models, train, test, pd.DataFrame(rows))


def score_uplift(ws, model, contacts: pd.DataFrame, window_days: float | None = None) -> pd.DataFrame:
    """Predicted uplift of each contact of a contact list (campaign_id, customer_id, channel, contact_ts): the
    features as of the contact, the model's uplift in column ``predicted_uplift``."""
    feats = contact_features(ws, contacts)
    keep = [c for c in contacts.columns if c not in feats.columns or c in ("campaign_id", "customer_id")]
    df = contacts[keep].merge(feats, on=["campaign_id", "customer_id"], how="left")
    if "window_days" not in df:
        df["window_days"] = float(window_days or ws.cfg.evaluate.response_window_days
                                  or ws.cfg.campaign.response_window_days)
    df["predicted_uplift"] = model.predict(feature_matrix(df))
    return df


def score_campaign(ws, model, bundle) -> pd.DataFrame:
    """The contacts of an evaluated campaign (``collect_results``) with their predicted uplift, group, responded,
    margin and — for the synthetic client — true_uplift and uplift_type: ready for ``uplift_by_decile``."""
    if bundle.planned is None:
        raise ValueError("the results carry no contact list with contact times; use collect_results(ws)")
    scored = score_uplift(ws, model, bundle.planned, bundle.window_days)
    res = bundle.results[["campaign_id", "customer_id", "group", "responded", "margin"]]
    scored = scored.drop(columns=[c for c in ("group", "responded", "margin") if c in scored.columns])
    scored = scored.merge(res, on=["campaign_id", "customer_id"], how="left")
    if bundle.truth is not None and "true_uplift" in bundle.truth:
        t = bundle.truth[["campaign_id", "customer_id", "true_uplift", "uplift_type"]]
        scored = scored.merge(t, on=["campaign_id", "customer_id"], how="left")
    return scored
