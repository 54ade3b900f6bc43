"""Predictive models (预测模型): who will respond to a campaign, who will make no purchase in the coming months
(用户流失模型; the churn score is the probability of such a quiet spell, not of having stopped buying for good —
docs/GLOSSARY.md), and the tables that judge a model — gains, lift, calibration.

The rule that makes a model honest: **features are computed as of the moment of the decision**. A response model
learns from past campaign contacts, so each contact's features use only what was known at its ``contact_ts``
(``dbmkit/sql/features_as_of.sql``); a churn model learns from a snapshot in the past and the purchases that
followed it. Computing features as of today would let the purchase being predicted leak into its own predictors
(a responder's "orders in the last 12 months" already contains the response) and give a model that looks brilliant
on paper and fails in the next campaign. :func:`response_training_set` with ``features_as_of="today"`` builds that
leaky version on purpose, for the chapter to show the difference.

* :func:`model_features` — the feature table for any (customer, moment) rows, in DuckDB SQL.
* :func:`response_training_set`, :func:`churn_training_set` — labelled examples.
* :func:`fit` — logistic regression or gradient boosting (scikit-learn) on those features.
* :func:`response_model`, :func:`churn_model` — train, validate out of time, report; :class:`ModelResult`.
* :func:`gains_table`, :func:`calibration_table`, :func:`roc_table`, :func:`decile` — judging a score.
* :func:`build_scores` — the ``scores`` table (every customer) used to plan the next campaign.

Example
-------
>>> g = gains_table([1, 0, 1, 0, 0, 0, 0, 0, 0, 1], [.9, .8, .7, .6, .5, .4, .3, .2, .1, .05], n_bins=5)
>>> g[["decile", "n", "responders"]].values.tolist()
[[1, 2, 1], [2, 2, 1], [3, 2, 0], [4, 2, 0], [5, 2, 1]]
>>> g["cum_lift"].round(3).tolist()
[1.667, 1.667, 1.111, 0.833, 1.0]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import sql as _sql
from .i18n import add as _add_labels
from .i18n import date_text, get_language, pick
from .util import compute_threads
from .util import isin as _isin

__all__ = ["gains_table", "decile", "calibration_table", "roc_table", "model_features", "design_matrix",
           "response_training_set", "churn_training_set", "fit", "predict", "evaluate", "response_model",
           "churn_model", "ModelResult", "build_scores", "feature_importance", "response_truth", "truth_by_decile",
           "churn_truth", "contact_responses", "fit_sample", "MAX_FIT_ROWS", "NUMERIC_FEATURES", "CATEGORICAL_FEATURES",
           "MODEL_TYPES", "model_types"]

NUMERIC_FEATURES = ["orders_total", "orders_12m", "orders_90d", "purchase_days", "revenue_total", "revenue_12m",
                    "margin_total", "avg_order_value", "discount_share", "return_share", "channels_used",
                    "never_bought", "days_since_last", "days_since_first", "tenure_days", "contacts_total",
                    "contacts_180d", "responses_total", "email_opens_180d", "email_clicks_180d", "age", "age_known"]
CATEGORICAL_FEATURES = ["gender", "acquisition_channel"]
_LOG = {"orders_total", "orders_12m", "orders_90d", "purchase_days", "revenue_total", "revenue_12m",
        "avg_order_value", "days_since_last", "days_since_first", "tenure_days", "contacts_total", "responses_total",
        "email_opens_180d", "email_clicks_180d"}
_NEVER_DAYS = 3650.0   # days since last purchase of someone who never bought (a long time, for the models)
# Models learn from at most this many rows (a seeded sample stratified by the outcome, see fit_sample) and score
# everyone: beyond a few hundred thousand examples a customer-level model hardly improves while fitting time grows.
MAX_FIT_ROWS = 200_000

# the six model types of data mining in the seeds, where (and whether) the workbook uses each, in both languages
_MODEL_TYPES = [
    ("classification", "归类", "response and churn models (chapter 26); merge/purge match or non-match (chapter 11)",
     "响应模型和用户流失模型（第26章）；合并/去重时判断两条记录是否匹配（第11章）"),
    ("regression", "回归",
     "logistic regression — a regression on the log-odds, used here to classify (response and churn, chapter 26); "
     "a straight-line fit of penetration on income (chapter 12); a ridge regression of each customer's spend next "
     "year (chapter 27). Spend per purchase (Gamma-Gamma, chapter 23) is a probability model fitted by maximum "
     "likelihood, not a regression",
     "逻辑回归——对对数几率的回归，这里用来归类（响应与流失，第26章）；渗透率对收入的直线拟合（第12章）；"
     "每位客户下一年消费金额的岭回归（第27章）。单次购买金额（Gamma-Gamma，第23章）是用最大似然拟合的概率模型，不是回归"),
    ("time series", "时间序列分析",
     "chapter 27; chapter 20 only describes customers and revenue month by month, without a time-series model",
     "第27章；第20章只按月描述客户和收入，不建时间序列模型"),
    ("clustering", "聚类", "k-means behavioural segments (chapter 24)", "k均值行为细分（第24章）"),
    ("association", "关联分析", "market-basket rules — support, confidence, lift (chapter 25)",
     "一揽子分析的关联规则——支持度、置信度、提升度（第25章）"),
    ("sequence discovery", "序列发现", "'A then B within N days' rules (chapter 25)", "“先买A、N天内再买B”（第25章）"),
]
MODEL_TYPES = pd.DataFrame([r[:3] for r in _MODEL_TYPES], columns=["model_type", "中文", "where in the workbook"])


def model_types(lang: str | None = None) -> pd.DataFrame:
    """The six model types of data mining and where the workbook uses each, in the page's language."""
    zh = pd.DataFrame([(r[1], r[3]) for r in _MODEL_TYPES], columns=["model_type", "where_in_workbook"])
    return zh if (lang or get_language()) == "zh" else MODEL_TYPES.copy()

_add_labels({"cum_pct_customers": ("Share of customers contacted", "接触客户比例"),
             "cum_pct_responders": ("Share of responders reached", "覆盖响应者比例"),
             "cum_lift": ("Cumulative lift", "累计提升度"), "random": ("Random selection", "随机选择"),
             "mean_predicted": ("Predicted probability", "预测概率"), "observed_rate": ("Observed rate", "实际比例"),
             "response_model": ("Response model", "响应模型"), "churn_model": ("Churn model", "流失模型"),
             "logistic": ("Logistic regression", "逻辑回归"), "gbm": ("Gradient boosting", "梯度提升"),
             "false_positive_rate": ("False positive rate", "假阳性率"),
             "true_positive_rate": ("True positive rate", "真阳性率")})


# ------------------------------------------------------------------------------------------------ judging a score
def _check_y_score(y_true, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float).ravel()
    s = np.asarray(score, dtype=float).ravel()
    if len(y) != len(s):
        raise ValueError(f"y_true has {len(y)} values but score has {len(s)}; they must be aligned")
    if len(y) == 0:
        raise ValueError("no customers to evaluate (empty y_true)")
    if np.isnan(y).any() or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("y_true must hold 0/1 outcomes (responded or not), without missing values")
    if np.isnan(s).any():
        raise ValueError(f"score has {int(np.isnan(s).sum())} missing values; score every customer first")
    return y, s


def decile(score, n_bins: int = 10) -> np.ndarray:
    """Group numbers 1…n_bins of equal size by score, 1 = highest scores (ties broken by input order).

    >>> decile([0.1, 0.9, 0.5, 0.7], n_bins=2).tolist()
    [2, 1, 2, 1]
    """
    s = np.asarray(score, dtype=float).ravel()
    n = len(s)
    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    if n == 0:
        return np.array([], dtype=int)
    order = np.argsort(-s, kind="stable")
    out = np.empty(n, dtype=int)
    out[order] = np.arange(n) * n_bins // n + 1
    return out


def gains_table(y_true, score, n_bins: int = 10) -> pd.DataFrame:
    """The gains table (增益表) of a score: customers sorted by score, highest first, cut into ``n_bins`` groups of
    equal size (decile 1 = highest scores).

    Columns: decile, n, responders, response_rate, cum_pct_customers, cum_pct_responders (the gains curve: share of
    all responders reached by mailing the deciles so far), lift (response rate / overall rate) and cum_lift
    (cumulative response rate / overall rate). A lift of 3 in decile 1 means its customers respond three times as
    often as a random pick.
    """
    y, s = _check_y_score(y_true, score)
    if len(y) < n_bins:
        raise ValueError(f"{len(y)} customers are too few for {n_bins} groups")
    d = decile(s, n_bins)
    g = pd.DataFrame({"decile": d, "y": y}).groupby("decile")["y"].agg(["size", "sum"])
    g = g.reindex(range(1, n_bins + 1), fill_value=0)
    n, r = g["size"].to_numpy(), g["sum"].to_numpy()
    overall = y.mean()
    rate = r / n
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = rate / overall if overall > 0 else np.full(n_bins, np.nan)
        cum_lift = (np.cumsum(r) / np.cumsum(n)) / overall if overall > 0 else np.full(n_bins, np.nan)
        cum_resp = np.cumsum(r) / r.sum() if r.sum() > 0 else np.full(n_bins, np.nan)
    return pd.DataFrame({"decile": np.arange(1, n_bins + 1), "n": n.astype(int), "responders": r.astype(int),
                         "response_rate": rate, "cum_pct_customers": np.cumsum(n) / n.sum(),
                         "cum_pct_responders": cum_resp, "lift": lift, "cum_lift": cum_lift})


def calibration_table(y_true, score, n_bins: int = 10) -> pd.DataFrame:
    """Calibration: customers in ``n_bins`` equal groups by predicted probability; the mean prediction vs the
    observed rate in each. A calibrated model's points lie on the diagonal, so its probabilities can be used to
    forecast responses and profit, not only to rank.

    >>> calibration_table([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], n_bins=2)[
    ...     ["mean_predicted", "observed_rate"]].values.tolist()
    [[0.15000000000000002, 0.0], [0.8500000000000001, 1.0]]
    """
    y, s = _check_y_score(y_true, score)
    d = n_bins + 1 - decile(s, n_bins)          # 1 = lowest predictions
    return pd.DataFrame({"bin": d, "y": y, "p": s}).groupby("bin").agg(
        n=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")).reset_index()


def roc_table(y_true, score) -> pd.DataFrame:
    """The ROC curve (false and true positive rates at every threshold) and its area in ``attrs["auc"]``.

    >>> roc_table([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).attrs["auc"]
    0.75
    """
    from sklearn.metrics import roc_auc_score, roc_curve
    y, s = _check_y_score(y_true, score)
    fpr, tpr, thr = roc_curve(y, s)
    out = pd.DataFrame({"false_positive_rate": fpr, "true_positive_rate": tpr, "threshold": thr})
    out.attrs["auc"] = float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan")
    return out


def evaluate(y_true, score, n_bins: int = 10) -> dict:
    """AUC, log loss, Brier score, base rate, top-decile lift and the share of responders in the top 30 %.

    >>> e = evaluate([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], n_bins=2)
    >>> e["auc"], e["base_rate"], e["top_decile_lift"]
    (0.75, 0.5, 1.0)
    """
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
    y, s = _check_y_score(y_true, score)
    both = 0 < y.sum() < len(y)
    g = gains_table(y, s, n_bins) if len(y) >= n_bins else None
    p = np.clip(s, 1e-6, 1 - 1e-6)
    return {"n": int(len(y)), "base_rate": float(y.mean()),
            "auc": float(roc_auc_score(y, s)) if both else float("nan"),
            "log_loss": float(log_loss(y, p, labels=[0, 1])) if both else float("nan"),
            "brier": float(brier_score_loss(y, p)),
            "top_decile_lift": float(g["lift"].iloc[0]) if g is not None else float("nan"),
            "top30_capture": (float(g["cum_pct_responders"].iloc[max(0, int(round(0.3 * n_bins)) - 1)])
                              if g is not None else float("nan"))}


# ------------------------------------------------------------------------------------------------ features
def model_features(ws, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Features of customers as of a moment: one row per row of ``snapshots`` (columns customer_id, snapshot_ts;
    optional snapshot_id), computed in the workspace's engine (DuckDB, or Spark) from orders, contacts, responses and
    e-mail events strictly before ``snapshot_ts``.

    Columns: snapshot_id, customer_id, snapshot_ts and :data:`NUMERIC_FEATURES` / :data:`CATEGORICAL_FEATURES`
    (days_since_last is missing for people who never bought; :func:`design_matrix` fills it).

    Example::

        snap = pd.DataFrame({"customer_id": ["P1", "P2"], "snapshot_ts": pd.Timestamp("2026-01-01")})
        model_features(ws, snap)[["customer_id", "orders_total", "days_since_last"]]
    """
    missing = [c for c in ("customer_id", "snapshot_ts") if c not in snapshots.columns]
    if missing:
        raise KeyError(f"snapshots need columns customer_id and snapshot_ts; missing {missing}")
    snap = snapshots.copy()
    if "snapshot_id" not in snap.columns:
        snap["snapshot_id"] = np.arange(len(snap))
    snap = pd.DataFrame({"snapshot_id": snap["snapshot_id"].to_numpy(),
                         "customer_id": snap["customer_id"].astype(str).to_numpy(),
                         "snapshot_ts": pd.to_datetime(snap["snapshot_ts"]).to_numpy()})
    out = _sql.run(ws, "features_as_of", frames={"_snapshots": snap})
    out["never_bought"] = out["never_bought"].astype(int)
    out["age_known"] = out["age"].notna().astype(int)
    return out


def design_matrix(features: pd.DataFrame, categories: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Numeric model input from :func:`model_features` output: skewed counts and money log-transformed, missing days
    since last purchase set to 10 years, missing ages to the median, categorical columns one-hot encoded with the
    categories of the training data (pass ``categories`` from training when scoring new data).

    Returns (X, categories).

    Example::

        x, cats = design_matrix(response_training_set(ws))       # training
        x_new, _ = design_matrix(new_features, cats)              # scoring: the same columns
    """
    f = features
    missing = [c for c in NUMERIC_FEATURES + CATEGORICAL_FEATURES if c not in f.columns and c != "age_known"]
    if missing:
        raise KeyError(f"design_matrix needs the model_features columns {missing}")
    x = pd.DataFrame(index=f.index)
    for c in NUMERIC_FEATURES:
        v = f[c].astype(float) if c in f.columns else pd.Series(0.0, index=f.index)
        if c == "days_since_last":
            v = v.fillna(_NEVER_DAYS)
        elif c == "days_since_first":
            v = v.fillna(0.0)
        elif c == "age":
            med = (categories or {}).get("_age_median")
            med = float(v.median()) if med is None and v.notna().any() else (med if med is not None else 45.0)
            v = v.fillna(med)
        x[c] = np.log1p(v.clip(lower=0)) if c in _LOG else v.fillna(0.0)
    cats = dict(categories or {})
    if "_age_median" not in cats:
        cats["_age_median"] = float(f["age"].median()) if f["age"].notna().any() else 45.0
    extra = [c for c in f.columns if c.startswith("ctx_")]       # context columns (e.g. ctx_channel, ctx_window_days)
    for c in CATEGORICAL_FEATURES + [c for c in extra if not pd.api.types.is_numeric_dtype(f[c])]:
        vals = f[c].astype(str).fillna("unknown")
        if c not in cats:
            cats[c] = sorted(vals.unique().tolist())
        for level in cats[c]:
            x[f"{c}={level}"] = (vals == level).astype(float).to_numpy()
    for c in extra:
        if pd.api.types.is_numeric_dtype(f[c]):
            x[c] = np.log1p(f[c].astype(float).clip(lower=0))
    return x, cats


# ------------------------------------------------------------------------------------------------ training sets
def contact_responses(ws) -> pd.DataFrame:
    """Past campaign contacts (every group) with their outcome: ``responded`` (a completed order within the
    campaign's window after ``contact_ts``) and ``response_revenue``; contacts after the analysis date are left out
    (``dbmkit/sql/contact_responses.sql``).

    Example::

        c = contact_responses(ws)
        c.groupby(["campaign_id", "group"])["responded"].mean()   # response rate per campaign and group
    """
    import duckdb
    try:
        return _sql.run(ws, "contact_responses", {"as_of": ws.as_of.date()})
    except duckdb.CatalogException as e:
        raise ValueError(f"a response model needs the campaigns, contacts and orders tables of past campaigns ({e})"
                         ) from None


def response_training_set(ws, group: str = "treatment", features_as_of: str = "contact") -> pd.DataFrame:
    """Past campaign contacts with features and the outcome ``responded`` (a completed order within the campaign's
    window after contact_ts).

    ``features_as_of="contact"`` (the right way) computes each contact's features as of its own contact_ts;
    ``"today"`` computes them as of the analysis date — the leaky way, only to show why it is wrong. Context columns
    ``ctx_channel`` and ``ctx_window_days`` describe the campaign. ``group``: 'treatment' (default), 'control' or
    'all'.

    Example::

        d = response_training_set(ws)
        d.groupby("campaign_id")["responded"].mean()        # response rate per past campaign
    """
    if features_as_of not in ("contact", "today"):
        raise ValueError("features_as_of must be 'contact' (no leakage) or 'today' (leaky, for demonstration)")
    c = contact_responses(ws)
    if c.empty:
        raise ValueError("no past campaign contacts: a response model needs the contacts and campaigns tables")
    if group != "all":
        c = c[c["group"] == group]
    c = c.reset_index(drop=True)
    ts = c["contact_ts"] if features_as_of == "contact" else pd.Series(ws.as_of + pd.Timedelta(days=1), index=c.index)
    feats = model_features(ws, pd.DataFrame({"snapshot_id": np.arange(len(c)), "customer_id": c["customer_id"],
                                             "snapshot_ts": ts}))
    feats = feats.drop(columns=["customer_id"]).set_index("snapshot_id").loc[np.arange(len(c))].reset_index(drop=True)
    out = pd.concat([c, feats.drop(columns=["snapshot_ts"])], axis=1)
    out["ctx_channel"] = out["channel"].astype(str)
    out["ctx_window_days"] = out["window_days"].astype(float)
    out["responded"] = out["responded"].astype(int)
    return out


def churn_training_set(ws, snapshot=None, horizon_days: int = 180) -> pd.DataFrame:
    """Customers signed up before ``snapshot`` with features as of the snapshot and the label ``churned`` = no
    completed purchase in the ``horizon_days`` after it (the snapshot defaults to the analysis date minus the
    horizon, the latest moment whose outcome is known). Returns features plus churned and bought_before.

    Example::

        d = churn_training_set(ws, horizon_days=180)
        d["churned"].mean()                                 # share who did not buy in the next 180 days
    """
    snap = pd.Timestamp(snapshot) if snapshot is not None else ws.as_of - pd.Timedelta(days=horizon_days)
    snap_ts = snap.normalize() + pd.Timedelta(days=1)                # end of the snapshot day
    end_ts = snap_ts + pd.Timedelta(days=int(horizon_days))
    if end_ts > ws.as_of + pd.Timedelta(days=1):
        raise ValueError(f"the churn window of a snapshot on {snap.date()} ends after the analysis date "
                         f"{ws.as_of.date()}; choose a snapshot at least {horizon_days} days earlier")
    cust = ws.sql("SELECT customer_id FROM customers WHERE signup_date < ? ORDER BY 1", [snap_ts])
    if cust.empty:
        raise ValueError(f"no customers had signed up by {snap.date()}; choose a later snapshot")
    feats = model_features(ws, pd.DataFrame({"customer_id": cust["customer_id"], "snapshot_ts": snap_ts}))
    after = _sql.run(ws, "purchases_between", {"start": snap_ts.to_pydatetime(), "end": end_ts.to_pydatetime()})
    bought = set(after["customer_id"])
    feats["churned"] = (~_isin(feats["customer_id"], bought)).astype(int)
    feats["bought_before"] = (1 - feats["never_bought"]).astype(int)
    return feats


# ------------------------------------------------------------------------------------------------ fitting
@dataclass
class ModelResult:
    """A trained model with its validation: ``model`` (scikit-learn), ``kind``, ``categories`` (for scoring),
    ``test`` (validation rows with ``y`` and ``score``), ``metrics`` (one row per model kind compared) and the
    description of the split."""
    name: str
    kind: str
    model: object
    categories: dict
    test: pd.DataFrame
    metrics: pd.DataFrame
    split: str
    columns: list = field(default_factory=list)

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """Probabilities for new rows of :func:`model_features` (plus any context columns used in training)."""
        return predict(self.model, features, self.categories, self.columns)


def fit_sample(y, max_rows: int | None = MAX_FIT_ROWS, seed: int = 42) -> np.ndarray:
    """Positions of the rows a model learns from: all rows when there are at most ``max_rows`` (``None`` = no
    cap), else a seeded random sample of ``max_rows`` rows **stratified by the outcome** (each value of ``y`` keeps
    its share, so the response or churn rate of the sample equals that of all rows). Sorted, deterministic.

    >>> y = np.array([1] * 10 + [0] * 90)
    >>> idx = fit_sample(y, max_rows=20, seed=1)
    >>> len(idx), int(y[idx].sum())
    (20, 2)
    >>> fit_sample([0, 1, 0], max_rows=5).tolist()
    [0, 1, 2]
    """
    yy = np.asarray(y).ravel()
    n = len(yy)
    if max_rows is None or n <= max_rows:
        return np.arange(n)
    if max_rows < 2:
        raise ValueError("max_rows must be at least 2 (a model needs both outcomes), or None for no cap")
    rng = np.random.default_rng(seed)
    values, inverse, counts = np.unique(yy, return_inverse=True, return_counts=True)
    quota = np.floor(counts * max_rows / n).astype(int)
    rest = max_rows - quota.sum()                     # the rounding remainder goes to the largest fractions
    if rest > 0:
        frac = counts * max_rows / n - quota
        quota[np.argsort(-frac, kind="stable")[:rest]] += 1
    quota = np.maximum(quota, np.minimum(counts, 1))  # never drop a class entirely
    parts = [rng.permutation(np.flatnonzero(inverse == k))[:q] for k, q in enumerate(quota)]
    return np.sort(np.concatenate(parts))


def fit(features: pd.DataFrame, y, kind: str = "gbm", seed: int = 42, categories: dict | None = None,
        max_rows: int | None = MAX_FIT_ROWS):
    """Fit a classifier on model features: ``kind="logistic"`` (standardised inputs, L2-regularised logistic
    regression) or ``"gbm"`` (histogram gradient boosting). Returns (model, categories, columns).

    With more than ``max_rows`` rows (default :data:`MAX_FIT_ROWS`; ``None`` = all) the model learns from a seeded
    sample stratified by ``y`` (:func:`fit_sample`); score everyone with :func:`predict` afterwards.

    Example::

        d = response_training_set(ws)
        model, cats, cols = fit(d, d["responded"], kind="logistic")
        predict(model, d, cats, cols)
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    yy = np.asarray(y, dtype=int)
    if len(yy) != len(features):
        raise ValueError(f"features have {len(features)} rows but y has {len(yy)}; they must be aligned")
    idx = fit_sample(yy, max_rows, seed)
    if len(idx) < len(yy):
        features, yy = features.iloc[idx], yy[idx]
    x, cats = design_matrix(features, categories)
    if len(np.unique(yy)) < 2:
        raise ValueError("the outcome has only one value in the training data; a model needs both 0s and 1s")
    if kind == "logistic":
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5))
    elif kind == "gbm":
        # early stopping on an inner validation split keeps small training sets from over-fitting
        model = HistGradientBoostingClassifier(learning_rate=0.05, max_iter=300, max_leaf_nodes=15,
                                               min_samples_leaf=40, l2_regularization=1.0, early_stopping=True,
                                               validation_fraction=0.15, n_iter_no_change=20,
                                               scoring="loss", random_state=seed)
    else:
        raise ValueError("kind must be 'logistic' or 'gbm'")
    with compute_threads():
        model.fit(x.to_numpy(), yy)
    return model, cats, list(x.columns)


def predict(model, features: pd.DataFrame, categories: dict, columns: list | None = None) -> np.ndarray:
    """Probabilities of the positive class for rows of model features (encoded like the training data)."""
    x, _ = design_matrix(features, categories)
    if columns is not None:
        x = x.reindex(columns=columns, fill_value=0.0)
    with compute_threads():
        return model.predict_proba(x.to_numpy())[:, 1]


def feature_importance(result: ModelResult, n_repeats: int = 2, seed: int = 42, max_rows: int = 4000) -> pd.DataFrame:
    """Which inputs matter: the drop in AUC on the validation rows when a feature is shuffled (permutation
    importance), largest first. Works for both model kinds; one-hot columns of a category are shuffled together.

    Example::

        feature_importance(response_model(ws)).head()
    """
    test = result.test
    if len(test) > max_rows:
        test = test.sample(max_rows, random_state=seed)
    x, _ = design_matrix(test, result.categories)
    x = x.reindex(columns=result.columns, fill_value=0.0)
    y = test["y"].to_numpy()
    with compute_threads():
        return _permutation_importance(result, x, y, n_repeats, seed)


def _permutation_importance(result: ModelResult, x: pd.DataFrame, y: np.ndarray, n_repeats: int,
                            seed: int) -> pd.DataFrame:
    from sklearn.metrics import roc_auc_score
    base = roc_auc_score(y, result.model.predict_proba(x.to_numpy())[:, 1])
    groups: dict[str, list[str]] = {}
    for c in x.columns:
        groups.setdefault(c.split("=")[0], []).append(c)
    rng = np.random.default_rng(seed)
    rows = []
    for g, cols in groups.items():
        drops = []
        for _ in range(n_repeats):
            xp = x.copy()
            perm = rng.permutation(len(xp))
            xp[cols] = xp[cols].to_numpy()[perm]
            drops.append(base - roc_auc_score(y, result.model.predict_proba(xp.to_numpy())[:, 1]))
        rows.append({"feature": g, "auc_drop": float(np.mean(drops))})
    return pd.DataFrame(rows).sort_values("auc_drop", ascending=False).reset_index(drop=True)


def _compare(train: pd.DataFrame, test: pd.DataFrame, ycol: str, kinds, seed: int, name: str, split: str,
             prefer: str, max_rows: int | None = MAX_FIT_ROWS) -> ModelResult:
    fitted, rows, scores = {}, [], {}
    for k in kinds:
        model, cats, cols = fit(train, train[ycol], kind=k, seed=seed, max_rows=max_rows)
        s = predict(model, test, cats, cols)
        m = evaluate(test[ycol], s)
        rows.append({"model": k, **m})
        fitted[k] = (model, cats, cols)
        scores[k] = s
    metrics = pd.DataFrame(rows)
    best = prefer if prefer in fitted else metrics.sort_values("auc", ascending=False)["model"].iloc[0]
    model, cats, cols = fitted[best]
    t = test.copy()
    t["y"] = t[ycol].astype(int)
    t["score"] = scores[best]
    for k in kinds:
        t[f"score_{k}"] = scores[k]
    return ModelResult(name=name, kind=best, model=model, categories=cats, test=t, metrics=metrics, split=split,
                       columns=cols)


def response_model(ws, kinds=("logistic", "gbm"), prefer: str | None = None, test_share: float = 0.2,
                   features_as_of: str = "contact", data: pd.DataFrame | None = None,
                   max_rows: int | None = MAX_FIT_ROWS) -> ModelResult:
    """Train response models on treated contacts of past campaigns and validate them **out of time**: the most
    recent campaigns (at least ``test_share`` of the contacts) are held out, the model learns from the earlier
    ones — as it will be used: trained on the past, applied to the next campaign.

    Returns a :class:`ModelResult` (the model with the better validation AUC unless ``prefer`` names one;
    ``metrics`` compares all ``kinds``). ``data`` may pass a ready :func:`response_training_set`. The models learn
    from at most ``max_rows`` training contacts (a seeded sample stratified by the outcome, see :func:`fit`) and are
    validated on all held-out contacts.

    Example::

        res = response_model(ws)
        res.metrics[["model", "auc", "top_decile_lift"]]
        gains_table(res.test["y"], res.test["score"])
    """
    d = data if data is not None else response_training_set(ws, features_as_of=features_as_of)
    camp = d.groupby("campaign_id").agg(start=("contact_ts", "min"), n=("campaign_id", "size")).sort_values("start")
    if len(camp) >= 2:
        test_ids: list[str] = []
        for cid in reversed(camp.index.tolist()):          # the latest campaigns, until test_share is reached
            if len(test_ids) >= len(camp) - 1:
                break
            test_ids.append(cid)
            if camp.loc[test_ids, "n"].sum() >= test_share * camp["n"].sum():
                break
        test_ids = sorted(test_ids)
        is_test = d["campaign_id"].isin(test_ids)
        split = pick((f"out of time: trained on {len(camp) - len(test_ids)} earlier campaigns, "
                      f"validated on {', '.join(test_ids)}",
                      f"跨时间验证：用较早的{len(camp) - len(test_ids)}次活动训练，在 {'、'.join(test_ids)} 上验证"))
    else:
        rng = np.random.default_rng(int(ws.cfg.seed))
        is_test = pd.Series(rng.random(len(d)) < 0.3, index=d.index)
        split = pick(("random 30 % of contacts held out (only one past campaign)",
                      "随机留出30%的接触作验证（以往只有一次营销活动）"))
    train, test = d[~is_test].reset_index(drop=True), d[is_test].reset_index(drop=True)
    if train["responded"].nunique() < 2 or test["responded"].nunique() < 2:
        raise ValueError("the past campaigns have too few responders to train and validate a response model")
    return _compare(train, test, "responded", kinds, int(ws.cfg.seed), "response_model", split, prefer or "",
                    max_rows)


def churn_model(ws, horizon_days: int = 180, kinds=("logistic", "gbm"), prefer: str | None = None,
                max_rows: int | None = MAX_FIT_ROWS) -> ModelResult:
    """Train churn models (用户流失模型) and validate them **out of time**: learn from a snapshot two horizons
    before the analysis date (who did not buy in the following ``horizon_days``), validate on the snapshot one
    horizon before it — the latest outcome we know. Validation rows include prospects who never bought; the
    column ``bought_before`` lets you judge the model on real customers only. The models learn from at most
    ``max_rows`` customers (a seeded sample stratified by the outcome) and are validated on all.

    Example::

        res = churn_model(ws, horizon_days=180)
        res.metrics[["model", "auc"]]
    """
    train = churn_training_set(ws, ws.as_of - pd.Timedelta(days=2 * horizon_days), horizon_days)
    test = churn_training_set(ws, ws.as_of - pd.Timedelta(days=horizon_days), horizon_days)
    d1, d2 = ((ws.as_of - pd.Timedelta(days=k * horizon_days)).date() for k in (2, 1))
    split = pick((f"out of time: trained on the snapshot of {d1}, validated on {d2} ({horizon_days}-day windows)",
                  f"跨时间验证：用 {date_text(d1, 'zh')} 的快照训练，在 {date_text(d2, 'zh')} 的快照上验证"
                  f"（窗口{horizon_days}天）"))
    return _compare(train, test, "churned", kinds, int(ws.cfg.seed), "churn_model", split, prefer or "", max_rows)


# ------------------------------------------------------------------------------------------------ scores
def _scoring_context(ws, training: pd.DataFrame) -> tuple[str, float]:
    ch = ws.cfg.campaign.channel
    if ch == "auto" or ch not in set(training["ctx_channel"]):
        ch = training["ctx_channel"].mode().iloc[0]
    return str(ch), float(ws.cfg.campaign.response_window_days)


def build_scores(ws, kind: str = "gbm", horizon_days: int = 180, max_rows: int | None = MAX_FIT_ROWS,
                 response_data: pd.DataFrame | None = None, churn_data: pd.DataFrame | None = None) -> pd.DataFrame:
    """The ``scores`` table: every customer of ``customers`` with response_score, response_decile, churn_score and
    churn_decile (decile 1 = most likely to respond / most at risk).

    The response model is refitted on all past treated contacts and scores everyone as of the analysis date for a
    contact through the config's campaign channel (the most used past channel when it is 'auto') and its
    ``response_window_days``. The churn model is refitted on the latest known snapshot (analysis date − horizon)
    and scores the probability of no purchase in the next ``horizon_days`` days. Without past campaigns the
    response score falls back to 1 − churn score.

    Both models learn from at most ``max_rows`` rows (a seeded sample stratified by the outcome, see :func:`fit`)
    and score every customer. ``response_data`` (a :func:`response_training_set`) and ``churn_data`` (the
    :func:`churn_training_set` of the snapshot ``as_of − horizon_days``, e.g. ``churn_model(...).test``) reuse
    training sets a chapter has already built instead of computing them again.

    Example::

        scores = build_scores(ws)
        ws.save("scores", scores)
    """
    seed = int(ws.cfg.seed)
    cust = ws.sql("SELECT customer_id FROM customers ORDER BY 1")
    now = ws.as_of.normalize() + pd.Timedelta(days=1)
    feats = model_features(ws, pd.DataFrame({"customer_id": cust["customer_id"], "snapshot_ts": now}))
    ch_train = churn_data if churn_data is not None else \
        churn_training_set(ws, ws.as_of - pd.Timedelta(days=horizon_days), horizon_days)
    if "churned" not in ch_train.columns:
        raise KeyError("churn_data must be a churn_training_set (with the column churned)")
    m, cats, cols = fit(ch_train, ch_train["churned"], kind=kind, seed=seed, max_rows=max_rows)
    churn = predict(m, feats, cats, cols)
    try:
        tr = response_data if response_data is not None else response_training_set(ws)
        ok = tr["responded"].nunique() == 2
    except ValueError:
        ok = False
    if ok:
        channel, window = _scoring_context(ws, tr)
        m, cats, cols = fit(tr, tr["responded"], kind=kind, seed=seed, max_rows=max_rows)
        resp = predict(m, feats.assign(ctx_channel=channel, ctx_window_days=window), cats, cols)
    else:
        resp = 1.0 - churn
    out = pd.DataFrame({"customer_id": feats["customer_id"].to_numpy(), "response_score": resp,
                        "response_decile": decile(resp), "churn_score": churn, "churn_decile": decile(churn)})
    return out


# ------------------------------------------------------------------------------------------------ truth (synthetic)
def response_truth(ws, result: ModelResult) -> pd.DataFrame | None:
    """For the synthetic client: the validation contacts of a response model with the true probability of buying
    in the window when contacted (``p_treated`` of ``ws.truth["campaign_uplift"]``). ``attrs["spearman"]`` is the
    rank correlation between score and true probability. None for a real client.

    Example::

        truth_by_decile(response_truth(ws, response_model(ws)))
    """
    from .datasets.truth import truth_people
    tp = truth_people(ws)
    if tp is None or "campaign_uplift" not in ws.truth:
        return None
    cu = ws.truth["campaign_uplift"][["campaign_id", "person_id", "p_treated"]]
    d = result.test[["campaign_id", "customer_id", "y", "score"]].merge(tp[["customer_id", "person_id"]],
                                                                        on="customer_id")
    d = d.merge(cu, on=["campaign_id", "person_id"], how="inner").rename(columns={"p_treated": "true_probability"})
    d.attrs["spearman"] = float(d["score"].rank().corr(d["true_probability"].rank())) if len(d) > 2 else float("nan")
    return d


def truth_by_decile(d: pd.DataFrame, score: str = "score", truth: str = "true_probability", y: str = "y",
                    n_bins: int = 10) -> pd.DataFrame:
    """Mean true probability, mean score and observed rate per score decile (1 = highest scores)."""
    g = d.assign(decile=decile(d[score], n_bins)).groupby("decile")
    return pd.DataFrame({"decile": np.arange(1, n_bins + 1), "n": g.size().to_numpy(),
                         "mean_score": g[score].mean().to_numpy(), "true_probability": g[truth].mean().to_numpy(),
                         "observed_rate": g[y].mean().to_numpy()})


def churn_truth(ws, scores: pd.DataFrame, horizon_days: int = 180) -> pd.DataFrame | None:
    """For the synthetic client: each scored customer's true outcome after the analysis date — ``churned`` = no
    completed purchase in the next ``horizon_days`` days of the truth's future orders. ``attrs["auc"]`` is the AUC
    of ``churn_score`` against that real future. None for a real client.

    Example::

        churn_truth(ws, ws.table("scores")).attrs["auc"]
    """
    from sklearn.metrics import roc_auc_score

    from .datasets.truth import truth_people
    tp = truth_people(ws)
    if tp is None or "future_orders" not in ws.truth:
        return None
    fo = ws.truth["future_orders"]
    end = ws.as_of.normalize() + pd.Timedelta(days=1)
    fut = fo[(fo["status"] == "completed") & (fo["order_ts"] >= end)
             & (fo["order_ts"] < end + pd.Timedelta(days=horizon_days))]
    bought = set(fut["customer_id"])                 # truth ids = person_id
    d = scores[["customer_id", "churn_score"]].merge(tp[["customer_id", "person_id"]], on="customer_id")
    d["churned"] = (~_isin(d["person_id"], bought)).astype(int)
    d.attrs["auc"] = (float(roc_auc_score(d["churned"], d["churn_score"])) if d["churned"].nunique() == 2
                      else float("nan"))
    return d
