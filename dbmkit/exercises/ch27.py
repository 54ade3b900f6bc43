"""Exercises of chapter 27 (customer description, the revenue time series, the spend regression)."""
from __future__ import annotations

from . import exercise


@exercise("27.1", "Share of defectors",
          hint="dbm.profiles.profile_groups(ws.table('customer_summary'), lost_days=ws.cfg.analysis.active_days) "
               "gives each customer's group; the share whose group is 'defector'.",
          solution="g = dbm.profiles.profile_groups(ws.table('customer_summary'),\n"
                   "                               lost_days=ws.cfg.analysis.active_days)\n"
                   "answer = (g['group'] == 'defector').mean()")
def _defectors(ws, top_share=0.10):
    from ..profiles import profile_groups
    g = profile_groups(ws.table("customer_summary"), top_share=top_share, lost_days=ws.cfg.analysis.active_days)
    return float((g["group"] == "defector").mean())


@exercise("27.2", "The strongest month of the year",
          hint="dbm.forecast.seasonal_indices(dbm.forecast.decompose(dbm.forecast.monthly_series(ws))) has one "
               "index per calendar month; answer with the month number (1–12) of the highest.",
          solution="si = dbm.forecast.seasonal_indices(dbm.forecast.decompose(dbm.forecast.monthly_series(ws)))\n"
                   "answer = int(si.loc[si['index'].idxmax(), 'month_of_year'])")
def _peak_month(ws):
    from ..forecast import decompose, monthly_series, seasonal_indices
    si = seasonal_indices(decompose(monthly_series(ws)))
    return int(si.loc[si["index"].idxmax(), "month_of_year"])


@exercise("27.3", "MAPE of the plain seasonal naive forecast",
          hint="dbm.forecast.backtest_summary(dbm.forecast.backtest(y, horizon)) has a mape per method; answer with "
               "the one of 'seasonal_naive' (a share, e.g. 0.12).",
          solution="s = dbm.forecast.backtest_summary(dbm.forecast.backtest(y, horizon))\n"
                   "answer = float(s.loc[s['method'] == 'seasonal_naive', 'mape'].iloc[0])", rel_tol=1e-3)
def _naive_mape(ws, horizon=6):
    from ..forecast import backtest, backtest_summary, monthly_series
    s = backtest_summary(backtest(monthly_series(ws), horizon))
    return float(s.loc[s["method"] == "seasonal_naive", "mape"].iloc[0])
