"""A regression model (回归): next-12-month spend of each customer from what the database knew a year earlier.

Classification (chapter 26) predicts *whether* a customer buys; regression predicts *how much*. The training set
is built the way the model will be used: features of every customer who had bought by a snapshot date (spend,
orders, recency, tenure, discount and return shares, channels: from :func:`dbmkit.models.model_features`) and the target
= net revenue of completed orders in the ``horizon_days`` after it (``sql/purchases_between.sql``). A ridge
regression (linear, with a penalty that keeps correlated coefficients small) is fitted on a random part of the
customers and judged on the rest (the holdout) against the naive forecast "next year = last year".

* :func:`training_set` — features as of the snapshot and the target ``spend_next``.
* :func:`fit_spend_model` — the fit, the holdout metrics (R², MAE, total) for the model and the naive baseline,
  with bootstrap intervals; the coefficients.
* :func:`score_spend` — predicted next-12-month spend of every customer as of another date (the analysis date).
* :func:`regression_metrics` — R², MAE and the ratio of predicted to actual total, for any pair of vectors.

>>> m = regression_metrics([0.0, 10.0, 20.0], [0.0, 10.0, 20.0])
>>> (m["r2"], m["mae"], m["total_ratio"])
(1.0, 0.0, 1.0)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import sql as _sql
from .i18n import date_text, pick
from .models import model_features
from .util import compute_threads

__all__ = ["training_set", "fit_spend_model", "score_spend", "regression_metrics", "SpendModel", "MIN_HISTORY_DAYS",
           "spend_design", "SPEND_FEATURES",
           "against_truth"]

# the snapshot must leave at least this much history before it (features of a few weeks' data say little)
MIN_HISTORY_DAYS = 180


def regression_metrics(actual, predicted) -> dict:
    """R² (1 − residual sum of squares ÷ total sum of squares; 0 = no better than the mean, 1 = perfect), mean
    absolute error (MAE) and total_ratio (sum predicted ÷ sum actual)."""
    a = np.asarray(actual, float)
    p = np.asarray(predicted, float)
    ss = float(((a - a.mean()) ** 2).sum())
    r2 = 1 - float(((a - p) ** 2).sum()) / ss if ss > 0 else float("nan")
    tot = float(a.sum())
    return {"r2": r2, "mae": float(np.abs(a - p).mean()), "total_ratio": float(p.sum()) / tot if tot else float("nan")}


def _snapshot(ws, horizon_days: int, snapshot=None) -> pd.Timestamp:
    snap = pd.Timestamp(snapshot) if snapshot is not None else ws.as_of - pd.Timedelta(days=horizon_days)
    return snap.normalize() + pd.Timedelta(days=1)                  # the end of the snapshot day


def training_set(ws, horizon_days: int = 365, snapshot=None) -> pd.DataFrame:
    """Customers who had bought before the snapshot (default: the analysis date − ``horizon_days``), their features
    as of the snapshot and ``spend_next``: net revenue of their completed orders in the ``horizon_days`` after it.

    Raises ValueError when the snapshot leaves less than :data:`MIN_HISTORY_DAYS` of history before it or its
    window ends after the analysis date."""
    snap = _snapshot(ws, horizon_days, snapshot)
    end = snap + pd.Timedelta(days=int(horizon_days))
    if end > ws.as_of + pd.Timedelta(days=1):
        raise ValueError(pick((f"the target window of a snapshot on {snap.date()} ends after the analysis date "
                               f"{ws.as_of.date()}; choose a snapshot at least {horizon_days} days earlier",
                               f"{date_text(snap, 'zh')} 快照的目标窗口超出了分析日期 {date_text(ws.as_of, 'zh')}；"
                               f"请选择至少早{horizon_days}天的快照")))
    span = _sql.run(ws, "order_span")
    first = pd.Timestamp(span["first_day"].iloc[0]) if len(span) and pd.notna(span["first_day"].iloc[0]) else None
    if first is None or (snap - first).days < MIN_HISTORY_DAYS:
        have = 0 if first is None else (ws.as_of - first).days
        raise ValueError(pick((f"a spend model needs {horizon_days} days for the target and {MIN_HISTORY_DAYS} days "
                               f"of history before them; the sales history covers {have} days",
                               f"消费模型需要{horizon_days}天的目标期，之前还需{MIN_HISTORY_DAYS}天的历史；"
                               f"销售历史只覆盖{have}天")))
    cust = _sql.run(ws, "buyers_before", {"before": snap.to_pydatetime()})
    feats = model_features(ws, pd.DataFrame({"customer_id": cust["customer_id"], "snapshot_ts": snap}))
    after = _sql.run(ws, "purchases_between", {"start": snap.to_pydatetime(), "end": end.to_pydatetime()})
    spend = after.set_index("customer_id")["revenue"]
    feats["spend_next"] = feats["customer_id"].map(spend).fillna(0.0).astype(float).to_numpy()
    feats["spend_last"] = feats["revenue_12m"].astype(float)
    feats.attrs.update(snapshot=snap, end=end)
    return feats


@dataclass
class SpendModel:
    """A fitted spend regression: the scikit-learn pipeline, the categories for scoring, the holdout comparison
    (``metrics``: one row per predictor with R², MAE, total_ratio and their intervals), the holdout rows
    (``holdout``: customer_id, actual, predicted, naive) and standardised coefficients (``coefficients``)."""
    model: object
    categories: dict
    columns: list
    metrics: pd.DataFrame
    holdout: pd.DataFrame
    coefficients: pd.DataFrame
    snapshot: pd.Timestamp | None = None
    info: dict = field(default_factory=dict)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        x = spend_design(features, self.categories)[0]
        x = x.reindex(columns=self.columns, fill_value=0.0)
        return np.clip(self.model.predict(x), 0.0, None)


# the features, on their own scale: spend next year is close to proportional to spend last year, which a linear
# model can express directly on amounts (on logs it cannot)
SPEND_FEATURES = ["revenue_12m", "revenue_total", "orders_12m", "orders_90d", "orders_total", "avg_order_value",
                  "discount_share", "return_share", "channels_used"]


def spend_design(features: pd.DataFrame, categories: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """The model input from :func:`dbmkit.models.model_features`: the :data:`SPEND_FEATURES` as they are (money,
    counts, shares), days since the last and first purchase (never bought: 10 years / 0), ``recent_90d`` (bought
    in the last 90 days) and ``revenue_12m_if_recent`` (last year's spend of the recent buyers — a recent buyer's
    spend carries on more fully than a drifting one's). ``categories`` is accepted for symmetry with
    ``design_matrix`` and returned unchanged."""
    x = pd.DataFrame({c: features[c].astype(float).fillna(0.0).to_numpy() for c in SPEND_FEATURES})
    dsl = features["days_since_last"].astype(float).fillna(3650.0).clip(upper=3650.0).to_numpy()
    x["days_since_last"] = dsl
    x["days_since_first"] = features["days_since_first"].astype(float).fillna(0.0).to_numpy()
    x["recent_90d"] = (dsl <= 90).astype(float)
    x["revenue_12m_if_recent"] = x["revenue_12m"] * x["recent_90d"]
    return x, dict(categories or {})


def _bootstrap(actual: np.ndarray, preds: dict, n_boot: int, seed: int, alpha: float = 0.05) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(actual)
    rows = []
    draws = {k: [] for k in preds}
    for _ in range(n_boot):
        i = rng.integers(0, n, n)
        for k, p in preds.items():
            draws[k].append(regression_metrics(actual[i], p[i]))
    for k, p in preds.items():
        m = regression_metrics(actual, p)
        d = pd.DataFrame(draws[k])
        row = {"predictor": k, **m}
        for c in ("r2", "mae", "total_ratio"):
            row[f"{c}_low"], row[f"{c}_high"] = (float(d[c].quantile(alpha / 2)), float(d[c].quantile(1 - alpha / 2)))
        rows.append(row)
    return pd.DataFrame(rows)


def fit_spend_model(train: pd.DataFrame, holdout_share: float = 0.3, alpha_grid=(0.01, 0.1, 1.0, 10.0),
                    seed: int = 42, n_boot: int = 200) -> SpendModel:
    """Fit a ridge regression of ``spend_next`` on the features of :func:`training_set` (penalty chosen by 5-fold
    cross-validation on the training part), and judge it on a random ``holdout_share`` of the customers against
    the naive forecast ``spend_last`` (their last 12 months' spend). Intervals: bootstrap over holdout customers."""
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    if len(train) < 50:
        raise ValueError(pick((f"a spend model needs at least 50 customers with a history; the training set has "
                               f"{len(train)}", f"消费模型至少需要50位有购买历史的客户；训练集只有{len(train)}位")))
    rng = np.random.default_rng(seed)
    is_hold = rng.random(len(train)) < holdout_share
    x, cats = spend_design(train)
    x = x.loc[:, x.std() > 0]
    y = train["spend_next"].astype(float).to_numpy()
    with compute_threads():
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=alpha_grid, cv=5))
        model.fit(x[~is_hold], y[~is_hold])
    pred = np.clip(model.predict(x[is_hold]), 0.0, None)
    naive = train["spend_last"].astype(float).to_numpy()[is_hold]
    actual = y[is_hold]
    metrics = _bootstrap(actual, {"ridge regression": pred, "naive: next year = last year": naive}, n_boot, seed)
    ridge = model[-1]
    coef = pd.DataFrame({"feature": x.columns, "coefficient": ridge.coef_})
    coef = coef.reindex(coef["coefficient"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    hold = pd.DataFrame({"customer_id": train["customer_id"].to_numpy()[is_hold], "actual": actual,
                         "predicted": pred, "naive": naive})
    return SpendModel(model, cats, list(x.columns), metrics, hold, coef, train.attrs.get("snapshot"),
                      {"alpha": float(ridge.alpha_), "train_rows": int((~is_hold).sum()),
                       "holdout_rows": int(is_hold.sum())})


def score_spend(ws, model: SpendModel, as_of=None) -> pd.DataFrame:
    """Predicted spend in the next 12 months of every customer who has bought by ``as_of`` (default: the analysis
    date): customer_id, predicted_spend, spend_last (the last 12 months)."""
    snap = (pd.Timestamp(as_of) if as_of is not None else ws.as_of).normalize() + pd.Timedelta(days=1)
    cust = _sql.run(ws, "buyers_before", {"before": snap.to_pydatetime()})
    feats = model_features(ws, pd.DataFrame({"customer_id": cust["customer_id"], "snapshot_ts": snap}))
    return pd.DataFrame({"customer_id": feats["customer_id"].to_numpy(), "predicted_spend": model.predict(feats),
                         "spend_last": feats["revenue_12m"].astype(float).to_numpy()})


def against_truth(scored: pd.DataFrame, future: pd.DataFrame | None) -> pd.DataFrame | None:
    """For the synthetic client: the predictions of :func:`score_spend` and the naive forecast against what each
    customer really spent in the following year (``dbmkit.datasets.truth_future``: future_sales, completed orders
    net, as the target); None without the truth."""
    if future is None:
        return None
    real = scored["customer_id"].map(future.set_index("customer_id")["future_sales"]).fillna(0.0).to_numpy()
    rows = []
    for name, col in (("ridge regression", "predicted_spend"), ("naive: next year = last year", "spend_last")):
        rows.append({"predictor": name, **regression_metrics(real, scored[col].to_numpy()),
                     "predicted_total": float(scored[col].sum()), "true_total": float(real.sum())})
    return pd.DataFrame(rows)

