"""Time-series analysis of monthly revenue (时间序列分析): a classical seasonal decomposition, three simple forecasts
and an honest backtest.

* :func:`monthly_series` — net revenue per *complete* month of the sales history (a first or last month the data
  covers only in part is left out), from ``sql/monthly_revenue.sql`` and ``sql/order_span.sql``.
* :func:`decompose` — classical decomposition: trend = centred moving average over one season (2×12 for months),
  seasonal factor of each calendar month = mean of revenue ÷ trend (normalised to average 1; or the additive
  version), remainder = what is left.
* :func:`seasonal_naive` — next month = the same month last year; :func:`seasonal_naive_growth` — the same times
  the last year's growth; :func:`holt_winters` — Holt-Winters (level and trend added, seasonal factor multiplied,
  smoothed with α, β, γ chosen on the training months by one-step-ahead error).
* :func:`backtest` — hold out the last ``horizon`` months, forecast them from the months before, and compare:
  errors per month and the mean absolute percentage error (MAPE) per method.
* :func:`forecast` — the next ``horizon`` months with a prediction interval from the backtest residuals.

Everything here is numpy/pandas on a few dozen numbers; the transactions are aggregated in DuckDB first.

Example
-------
>>> y = pd.Series([10.0, 20, 30, 12, 22, 32], index=pd.period_range("2024-01", periods=6, freq="M"))
>>> seasonal_naive(y, horizon=3, period=3).tolist()
[12.0, 22.0, 32.0]
>>> mape([100, 200], [110, 180])
0.1
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from . import sql as _sql
from .explore import monthly_revenue
from .i18n import add as _add_labels

__all__ = ["monthly_series", "decompose", "seasonal_naive", "seasonal_naive_growth", "holt_winters", "METHODS",
           "fit_holt_winters", "backtest",
           "backtest_summary", "forecast", "mape", "seasonal_indices", "MIN_SEASONS"]

# a seasonal decomposition needs two full seasons (24 months), a backtest two seasons before the held-out months
MIN_SEASONS = 2

_add_labels({"trend": ("Trend (centred moving average)", "趋势（中心化移动平均）"),
             "seasonal": ("Seasonal effect", "季节效应"), "remainder": ("Remainder", "残差"),
             "forecast": ("Forecast", "预测"), "actual": ("Actual", "实际"),
             "seasonal_naive": ("Seasonal naive (same month last year)", "季节朴素预测（去年同月）"),
             "holt_winters": ("Holt-Winters", "霍尔特-温特斯"),
             "seasonal_naive_growth": ("Same month last year × growth", "季节朴素预测×增长"),
             "prediction_interval": ("95 % prediction interval", "95%预测区间")})


def mape(actual, predicted) -> float:
    """Mean absolute percentage error, over the months with a non-zero actual value."""
    a = np.asarray(actual, float)
    p = np.asarray(predicted, float)
    ok = a != 0
    return float(np.mean(np.abs(p[ok] - a[ok]) / np.abs(a[ok]))) if ok.any() else float("nan")


def monthly_series(ws) -> pd.Series:
    """Net revenue (not cancelled, returns deducted) per complete calendar month, indexed by monthly Period."""
    m = monthly_revenue(ws)
    if m.empty:
        return pd.Series(dtype=float, index=pd.PeriodIndex([], freq="M"), name="revenue")
    s = m.groupby(pd.to_datetime(m["month"]).dt.to_period("M"))["revenue"].sum().astype(float)
    span = _sql.run(ws, "order_span")
    first, last = pd.Timestamp(span["first_day"].iloc[0]), pd.Timestamp(span["last_day"].iloc[0])
    end = min(last, pd.Timestamp(ws.as_of))
    full = pd.period_range(first.to_period("M"), end.to_period("M"), freq="M")
    s = s.reindex(full, fill_value=0.0)
    if first.day != 1:
        s = s.iloc[1:]
    if not end.is_month_end:
        s = s.iloc[:-1]
    return s.rename("revenue")


def decompose(y: pd.Series, period: int = 12, kind: str = "multiplicative") -> pd.DataFrame:
    """Classical decomposition of ``y``: multiplicative (revenue = trend × seasonal × remainder, the seasonal
    factor of a month 1.2 = 20 % above trend — right for a business whose swings grow with it) or additive
    (revenue = trend + seasonal + remainder).

    The trend is the centred moving average over ``period`` values (for an even period a 2×period average, so
    every calendar month has the same weight); it is missing for the first and last ``period // 2`` values. The
    seasonal effect of each position in the season is the mean of revenue ÷ trend (multiplicative; normalised to
    average 1) or revenue − trend (additive; shifted to sum to zero) at that position. Needs at least two seasons.
    """
    if kind not in ("multiplicative", "additive"):
        raise ValueError(f"kind must be 'multiplicative' or 'additive', not {kind!r}")
    if len(y) < MIN_SEASONS * period:
        raise ValueError(f"a seasonal decomposition needs at least {MIN_SEASONS * period} values "
                         f"({MIN_SEASONS} seasons of {period}); the series has {len(y)}")
    v = y.astype(float).to_numpy()
    if period % 2 == 0:
        w = np.r_[0.5, np.ones(period - 1), 0.5] / period
    else:
        w = np.ones(period) / period
    half = len(w) // 2
    trend = np.full(len(v), np.nan)
    trend[half:len(v) - half] = np.convolve(v, w, mode="valid")
    pos = np.arange(len(v)) % period
    mult = kind == "multiplicative"
    with np.errstate(invalid="ignore", divide="ignore"):
        detr = v / trend if mult else v - trend
    eff = np.array([np.nanmean(detr[pos == k]) for k in range(period)])
    eff = eff / eff.mean() if mult else eff - eff.mean()
    seasonal = eff[pos]
    with np.errstate(invalid="ignore", divide="ignore"):
        rem = v / (trend * seasonal) if mult else v - trend - seasonal
    out = pd.DataFrame({"revenue": v, "trend": trend, "seasonal": seasonal, "remainder": rem}, index=y.index)
    out.attrs["kind"] = kind
    return out


def seasonal_indices(parts: pd.DataFrame) -> pd.DataFrame:
    """The seasonal index of each calendar month from :func:`decompose` output (100 = an average month; 150 = half
    again as much revenue as the trend alone would give)."""
    d = parts.assign(month_of_year=[p.month for p in parts.index])
    eff = d.groupby("month_of_year")["seasonal"].first()
    if parts.attrs.get("kind", "multiplicative") == "multiplicative":
        idx = 100 * eff.to_numpy()
    else:
        level = float(np.nanmean(parts["trend"]))
        idx = 100 * (level + eff.to_numpy()) / level
    return pd.DataFrame({"month_of_year": eff.index, "index": idx})


def seasonal_naive(train: pd.Series, horizon: int, period: int = 12) -> pd.Series:
    """Forecast = the value one season earlier (the last observed season repeated)."""
    if len(train) < period:
        raise ValueError(f"seasonal naive needs at least one season ({period} values); have {len(train)}")
    v = train.astype(float).to_numpy()
    out = np.array([v[len(v) - period + (h % period)] for h in range(horizon)])
    return pd.Series(out, index=_future_index(train, horizon))


def seasonal_naive_growth(train: pd.Series, horizon: int, period: int = 12) -> pd.Series:
    """Seasonal naive × growth: the value one season earlier times the growth of the last season over the season
    before it (sum of the last ``period`` values ÷ sum of the ``period`` before). For a growing business the plain
    seasonal naive forecast is too low by about that growth.

    >>> y = pd.Series([10.0, 20, 30, 20, 40, 60])
    >>> seasonal_naive_growth(y, horizon=3, period=3).tolist()
    [40.0, 80.0, 120.0]
    """
    if len(train) < 2 * period:
        raise ValueError(f"seasonal naive with growth needs two seasons ({2 * period} values); have {len(train)}")
    v = train.astype(float).to_numpy()
    prev = v[-2 * period:-period].sum()
    growth = v[-period:].sum() / prev if prev > 0 else 1.0
    return seasonal_naive(train, horizon, period) * growth


def _future_index(train: pd.Series, horizon: int):
    idx = train.index
    if isinstance(idx, pd.PeriodIndex):
        return pd.period_range(idx[-1] + 1, periods=horizon, freq=idx.freq)
    return pd.RangeIndex(len(idx), len(idx) + horizon)


def _hw_run(v: np.ndarray, period: int, alpha: float, beta: float, gamma: float):
    """Holt-Winters recursions with an additive trend and a multiplicative seasonal factor, started from the first
    season's mean level, the growth from the first season to the second and the seasonal factors of the classical
    decomposition of ``v``; returns the one-step-ahead fits (from the second season) and the final level, trend and
    seasonal factors."""
    level = v[:period].mean()
    trend = (v[period:2 * period].mean() - v[:period].mean()) / period
    factors = decompose(pd.Series(v), period)["seasonal"].to_numpy()[:period]
    season = list(factors) if level > 0 and np.isfinite(factors).all() else [1.0] * period
    fitted = np.full(len(v), np.nan)
    for t in range(period, len(v)):
        s = season[t - period]
        fitted[t] = (level + trend) * s
        new_level = alpha * (v[t] / s if s > 0 else v[t]) + (1 - alpha) * (level + trend)
        trend = beta * (new_level - level) + (1 - beta) * trend
        season.append(gamma * (v[t] / new_level if new_level > 0 else s) + (1 - gamma) * s)
        level = new_level
    return fitted, level, trend, season


def fit_holt_winters(train: pd.Series, period: int = 12, grid=(0.1, 0.3, 0.5, 0.7, 0.9),
                     season_grid=(0.01, 0.1, 0.3)) -> dict:
    """α, β, γ of the Holt-Winters model (additive trend, multiplicative season) with the smallest one-step-ahead
    squared error on ``train``
    (a grid search; the fit starts after the first season; the seasonal factors are let change slowly, γ in
    ``season_grid``, since a couple of seasons cannot tell a new pattern from noise). Returns alpha, beta, gamma,
    sse."""
    if len(train) < MIN_SEASONS * period:
        raise ValueError(f"Holt-Winters needs at least {MIN_SEASONS * period} values to start; have {len(train)}")
    v = train.astype(float).to_numpy()
    best = None
    for a, b, g in itertools.product(grid, (0.01,) + tuple(grid[:2]), season_grid):
        fitted, *_ = _hw_run(v, period, a, b, g)
        sse = float(np.nansum((v - fitted) ** 2))
        if best is None or sse < best["sse"]:
            best = {"alpha": a, "beta": b, "gamma": g, "sse": sse}
    return best


def holt_winters(train: pd.Series, horizon: int, period: int = 12, params: dict | None = None) -> pd.Series:
    """Holt-Winters forecast (additive trend, multiplicative season) of the next ``horizon`` values (parameters from
    :func:`fit_holt_winters`
    unless given)."""
    p = params or fit_holt_winters(train, period)
    v = train.astype(float).to_numpy()
    _, level, trend, season = _hw_run(v, period, p["alpha"], p["beta"], p["gamma"])
    n = len(v)
    out = [max(level + (h + 1) * trend, 0.0) * season[n - period + (h % period)] for h in range(horizon)]
    return pd.Series(out, index=_future_index(train, horizon))


METHODS = {"seasonal_naive": seasonal_naive, "seasonal_naive_growth": seasonal_naive_growth,
           "holt_winters": holt_winters}


def backtest(y: pd.Series, horizon: int = 6, period: int = 12, methods=tuple(METHODS)) -> pd.DataFrame:
    """Forecast the last ``horizon`` values of ``y`` from the values before them with each method: one row per
    method × month with actual, forecast, error (forecast − actual) and ape (|error| / actual)."""
    need = MIN_SEASONS * period + horizon
    if len(y) < need:
        raise ValueError(f"a backtest of {horizon} months needs {need} complete months; the series has {len(y)}")
    train, test = y.iloc[:-horizon], y.iloc[-horizon:]
    rows = []
    for m in methods:
        f = METHODS[m](train, horizon, period)
        rows.append(pd.DataFrame({"method": m, "month": test.index, "actual": test.to_numpy(),
                                  "forecast": f.to_numpy()}))
    out = pd.concat(rows, ignore_index=True)
    out["error"] = out["forecast"] - out["actual"]
    out["ape"] = (out["error"].abs() / out["actual"].abs().where(out["actual"] != 0))
    return out


def backtest_summary(bt: pd.DataFrame) -> pd.DataFrame:
    """Per method: MAPE, mean error (bias: + = forecasts too high) and RMSE of the backtest."""
    g = bt.groupby("method", sort=False)
    return pd.DataFrame({"mape": g["ape"].mean(), "bias": g["error"].mean(),
                         "rmse": g["error"].apply(lambda e: float(np.sqrt(np.mean(e ** 2))))}).reset_index()


def forecast(y: pd.Series, horizon: int = 6, method: str = "holt_winters", period: int = 12,
             residuals=None, level: float = 0.95) -> pd.DataFrame:
    """The next ``horizon`` months from all of ``y`` with ``method``, and a prediction interval: forecast ± z × the
    root mean square of ``residuals`` (the backtest errors of the same method; without them no interval).

    The interval is rough — it rests on a handful of backtest errors and treats them as typical of every horizon —
    but it is measured on this client's own history rather than assumed.
    """
    from scipy.stats import norm
    f = METHODS[method](y, horizon, period)
    out = pd.DataFrame({"month": f.index, "forecast": f.to_numpy()})
    if residuals is not None and len(residuals):
        r = np.asarray(residuals, float)
        half = float(norm.ppf(0.5 + level / 2)) * float(np.sqrt(np.mean(r ** 2)))
        out["low"] = np.maximum(out["forecast"] - half, 0.0)
        out["high"] = out["forecast"] + half
    return out
