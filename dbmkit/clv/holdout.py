"""The holdout diagnostics of the BTYD models: split the history at a calibration date, fit on the first part and
compare what the models predict for the rest with what customers really did — by calibration frequency
(:func:`holdout_by_frequency`, FHL 2005 figure 4), per customer and in total (:func:`clv_holdout`); the in-sample
histogram of repeat purchases (:func:`frequency_histogram`), the P(alive) map (:func:`p_alive_matrix`) and the
decile calibration of predicted values (:func:`decile_calibration`).

>>> c = decile_calibration([5, 4, 3, 2, 1, 0], [6, 3, 3, 1, 1, 0], n=3)
>>> c["customers"].tolist()
[2, 2, 2]
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .. import sql as _sql
from ..i18n import pick
from ..rfm import TIME_UNITS
from .betageo import BetaGeo
from .fitting import fit_purchase_model
from .gammagamma import GammaGamma

__all__ = ["calibration_holdout", "calibration_end", "holdout_summary", "holdout_by_frequency",
           "frequency_histogram", "p_alive_matrix", "decile_calibration", "clv_holdout"]


# --------------------------------------------------------------------------------------------- calibration / holdout
def calibration_holdout(transactions: pd.DataFrame | str, customer_col: str = "customer_id",
                        date_col: str = "order_ts", amount_col: str = "net_amount", calibration_end=None,
                        holdout_end=None, time_unit: str = "D", cost_col: str | None = None, con=None) -> pd.DataFrame:
    """Split a transaction table at ``calibration_end``: BTYD summary of the calibration period (frequency_cal,
    recency_cal, T_cal, monetary_value_cal …) and what the same customers did up to ``holdout_end``
    (frequency_holdout = purchase days, monetary_holdout, margin_holdout, duration_holdout). Runs in DuckDB; ``con``
    is a DuckDB connection or a Workspace — on a Workspace ``transactions`` names a table of its database and the
    query runs on the workspace's engine (Spark with ``engine: spark``).

    >>> tx = pd.DataFrame({"c": ["a", "a", "a", "b", "c"], "d": pd.to_datetime(["2024-01-01", "2024-01-20",
    ...                    "2024-03-05", "2024-01-10", "2024-02-15"]), "v": [10.0, 20.0, 30.0, 5.0, 8.0]})
    >>> ch = calibration_holdout(tx, "c", "d", "v", calibration_end="2024-01-31", holdout_end="2024-03-31")
    >>> ch[["customer_id", "frequency_cal", "recency_cal", "T_cal", "frequency_holdout"]].values.tolist()
    [['a', 1, 19.0, 30.0, 1], ['b', 0, 0.0, 21.0, 0]]
    """
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {list(TIME_UNITS)}, not {time_unit!r}")
    if calibration_end is None or holdout_end is None:
        raise ValueError("give calibration_end and holdout_end (dates), e.g. '1997-09-30' and '1998-06-30'")
    cal, hold = pd.Timestamp(calibration_end).date(), pd.Timestamp(holdout_end).date()
    if hold <= cal:
        raise ValueError(f"holdout_end ({hold}) must come after calibration_end ({cal})")
    own = con is None
    con = con or duckdb.connect()
    try:
        cols = [customer_col, date_col, amount_col] + ([cost_col] if cost_col else [])
        table = _sql.transaction_table(con, transactions, cols, "calibration_holdout", "_ch_tx")
        # dbmkit.sql.run: on a DuckDB connection it runs there; on a Workspace on the workspace's engine
        out = _sql.run(con, "calibration_holdout", {"cal_end": cal, "holdout_end": hold, "unit": TIME_UNITS[time_unit]},
                       tx=_sql.Raw(table), customer=customer_col, ts=date_col, amount=amount_col,
                       cost=cost_col if cost_col else _sql.Raw("0"))
    finally:
        if own:
            con.close()
    return out


def calibration_end(ws, holdout_days: int | None = None) -> pd.Timestamp:
    """The end of the calibration period: ``holdout_days`` before the analysis date when given; else the config's
    ``analysis.calibration_weeks`` counted from the first purchase (CDNOW: 39 weeks → 1997-09-30); else one year
    before the analysis date — or the last third of the history when it is shorter than three years."""
    if holdout_days is not None:
        if holdout_days < 1:
            raise ValueError("holdout_days must be at least 1")
        return ws.as_of - pd.Timedelta(days=int(holdout_days))
    first = pd.Timestamp(ws.sql("SELECT min(CAST(order_ts AS DATE)) AS d FROM purchases")["d"].iloc[0])
    weeks = ws.cfg.analysis.calibration_weeks
    if weeks:
        return first + pd.Timedelta(days=7 * int(weeks) - 1)
    history = (ws.as_of - first).days
    return ws.as_of - pd.Timedelta(days=int(min(365, max(history // 3, 1))))


def holdout_summary(ws, holdout_days: int | None = None) -> pd.DataFrame:
    """:func:`calibration_holdout` on the workspace's completed purchases (days): calibration up to
    :func:`calibration_end`, the holdout is the rest up to the analysis date."""
    end = ws.as_of
    cal = calibration_end(ws, holdout_days)
    if cal >= end:
        raise ValueError(pick((f"the calibration period ends {cal.date()}, not before the analysis date {end.date()}: "
                               "shorten analysis.calibration_weeks or give holdout_days",
                               f"校准期截至{cal.date()}，没有早于分析日期{end.date()}："
                               "请缩短 analysis.calibration_weeks 或给出 holdout_days")))
    return calibration_holdout("purchases", "customer_id", "order_ts", "net_amount", calibration_end=cal,
                               holdout_end=end, time_unit="D", cost_col="cost", con=ws)      # the workspace's engine


# --------------------------------------------------------------------------------------------- model checks
def holdout_by_frequency(ch: pd.DataFrame, bg: BetaGeo, max_frequency: int = 7, actual_col: str = "frequency_holdout",
                         duration=None) -> pd.DataFrame:
    """Predicted vs actual purchases in the holdout, by calibration frequency (0, 1, …, ``max_frequency``+): the
    classic validation of a BTYD model (FHL 2005, figure 4). ``duration`` defaults to the ``duration_holdout``
    column. Returns frequency (label), customers, actual, predicted (means per customer) and their totals."""
    need = ["frequency_cal", "recency_cal", "T_cal", actual_col]
    missing = [c for c in need if c not in ch.columns]
    if missing:
        raise KeyError(f"holdout_by_frequency needs {missing} (from calibration_holdout); have {list(ch.columns)}")
    t = ch["duration_holdout"].to_numpy(float) if duration is None else np.broadcast_to(float(duration), len(ch))
    pred = bg.expected_purchases(t, ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    bucket = np.minimum(ch["frequency_cal"].to_numpy(int), max_frequency)
    df = pd.DataFrame({"bucket": bucket, "actual": ch[actual_col].to_numpy(float), "predicted": pred})
    g = df.groupby("bucket")
    out = pd.DataFrame({"customers": g.size(), "actual": g["actual"].mean(), "predicted": g["predicted"].mean(),
                        "actual_total": g["actual"].sum(), "predicted_total": g["predicted"].sum()}).reset_index()
    out["frequency"] = [f"{b}+" if b == max_frequency else str(b) for b in out["bucket"]]
    return out[["frequency", "customers", "actual", "predicted", "actual_total", "predicted_total"]]


def frequency_histogram(summary: pd.DataFrame, bg: BetaGeo, max_frequency: int = 7, frequency_col: str = "frequency",
                        T_col: str = "T") -> pd.DataFrame:
    """How many customers made 0, 1, … ``max_frequency``+ repeat purchases: actual vs the fitted model
    (Σ over customers of P(X(T) = x)) — the in-sample fit check of FHL 2005, figure 2."""
    x = np.minimum(summary[frequency_col].to_numpy(int), max_frequency)
    Tu, counts = np.unique(summary[T_col].to_numpy(float), return_counts=True)
    xs = np.arange(max_frequency)
    probs = np.array([bg.probability_of_purchases(xs, t) for t in Tu])          # unique T × x
    model = (probs * counts[:, None]).sum(axis=0)
    model = np.append(model, len(x) - model.sum())
    actual = np.bincount(x, minlength=max_frequency + 1)
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.DataFrame({"frequency": labels, "actual": actual, "model": model})


def p_alive_matrix(bg: BetaGeo, T: float, max_frequency: int = 20, steps: int = 40) -> pd.DataFrame:
    """P(alive) for every frequency 0…``max_frequency`` (rows) and BTYD recency from 0 to T (columns) of a customer
    with age T: bright where customers bought often *and* recently."""
    rec = np.linspace(0, T, steps + 1)
    xs = np.arange(max_frequency + 1)
    X, R = np.meshgrid(xs, rec, indexing="ij")
    P = bg.p_alive(X, np.where(X == 0, 0, R), np.full_like(R, T))
    return pd.DataFrame(P, index=pd.Index(xs, name="frequency"), columns=pd.Index(rec.round(1), name="recency"))


def decile_calibration(predicted, actual, n: int = 10) -> pd.DataFrame:
    """Customers grouped into ``n`` equal groups by predicted value (1 = highest): mean predicted vs mean actual
    per group — how well the model ranks and sizes customers.

    >>> c = decile_calibration([5, 4, 3, 2, 1, 0], [6, 3, 3, 1, 1, 0], n=3)
    >>> c[["group", "predicted", "actual"]].values.tolist()
    [[1.0, 4.5, 4.5], [2.0, 2.5, 2.0], [3.0, 0.5, 0.5]]
    """
    p = np.asarray(predicted, float)
    a = np.asarray(actual, float)
    order = np.argsort(-p, kind="stable")
    g = np.empty(len(p), np.int64)
    g[order] = np.arange(len(p)) * n // max(len(p), 1) + 1
    df = pd.DataFrame({"group": g, "predicted": p, "actual": a}).groupby("group")
    out = pd.DataFrame({"customers": df.size(), "predicted": df["predicted"].mean(), "actual": df["actual"].mean(),
                        "predicted_total": df["predicted"].sum(), "actual_total": df["actual"].sum()})
    return out.reset_index()


def clv_holdout(ws, holdout_days: int | None = None, model: str = "auto") -> dict:
    """Validate the CLV model on the workspace's own history: fit the purchase model (``model``, as in
    :func:`fit_purchase_model`) and Gamma-Gamma on the calibration period (see :func:`calibration_end`: all but the
    last ``holdout_days``, or the config's ``calibration_weeks``, or all but the last year) and predict the
    holdout's purchases and revenue of the same customers.

    Returns a dict: ``by_frequency`` (table of :func:`holdout_by_frequency`), ``customers`` (per-customer
    predicted and actual holdout purchases and revenue), the fitted ``bg`` and ``gg``, and the totals
    predicted_purchases, actual_purchases, predicted_revenue, actual_revenue with their relative errors
    (``purchases_error``, ``revenue_error`` = predicted / actual − 1)."""
    ch = holdout_summary(ws, holdout_days)
    if ch.empty or not (ch["frequency_cal"] > 0).any():
        raise ValueError(pick(("not enough history in the calibration period to validate the model (no repeat buyers); "
                               "use a shorter holdout_days",
                               "校准期内的历史数据不足以检验模型（没有重复购买的客户）；请用更短的 holdout_days")))
    bg = fit_purchase_model(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"], model)
    rep = ch[(ch["frequency_cal"] > 0) & (ch["monetary_value_cal"] > 0)]
    gg = GammaGamma().fit(rep["frequency_cal"], rep["monetary_value_cal"])
    t = ch["duration_holdout"].to_numpy(float)
    pred_n = bg.expected_purchases(t, ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    spend = gg.conditional_expected_spend(ch["frequency_cal"], ch["monetary_value_cal"])
    cust = pd.DataFrame({"customer_id": ch["customer_id"], "predicted_purchases": pred_n,
                         "actual_purchases": ch["frequency_holdout"].to_numpy(float),
                         "predicted_revenue": pred_n * spend, "actual_revenue": ch["monetary_holdout"].to_numpy(float)})
    res = {"calibration_end": calibration_end(ws, holdout_days).date(),
           "by_frequency": holdout_by_frequency(ch, bg), "customers": cust, "bg": bg, "gg": gg,
           "predicted_purchases": float(cust["predicted_purchases"].sum()),
           "actual_purchases": float(cust["actual_purchases"].sum()),
           "predicted_revenue": float(cust["predicted_revenue"].sum()),
           "actual_revenue": float(cust["actual_revenue"].sum())}
    res["purchases_error"] = res["predicted_purchases"] / res["actual_purchases"] - 1
    res["revenue_error"] = res["predicted_revenue"] / res["actual_revenue"] - 1
    return res
