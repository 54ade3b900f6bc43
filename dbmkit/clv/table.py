"""The ``clv`` table of the marketing database (docs/DATA_MODEL.md): :func:`clv_table` with the chapter's knobs,
:func:`build_clv` with the config's (the builder registered in ``client_workspace.DERIVED``), and
:func:`model_comparison` of the two purchase models on the same customers, and :func:`clv_by_horizon`, the
retention-formula and model CLV side by side over the same horizons (like with like).

Example (``ws`` is a workspace, e.g. ``dbm.workspace("../clients/demo.yaml")``)::

    t = clv_table(ws, horizon_months=24)        # customer_id, p_alive, …, clv, historical_clv, value_tier

>>> from dbmkit.datasets import cdnow_summary
>>> model_comparison(cdnow_summary()).loc["log-likelihood"].round(1).to_dict()
{'BG/NBD': -9582.4, 'MBG/NBD': -9582.1}
"""
from __future__ import annotations

import pandas as pd

from .base import ConvergenceError
from .betageo import BetaGeo, ModifiedBetaGeo
from .fitting import fit_btyd, fit_once, fit_purchase_model
from .formulas import btyd_clv, margin_rates, retention_clv, retention_rate, value_tiers
from .gammagamma import GammaGamma

__all__ = ["clv_table", "build_clv", "model_comparison", "clv_by_horizon"]


def clv_table(ws, horizon_months: int | None = None, model: str = "auto", summary: pd.DataFrame | None = None,
              return_models: bool = False, purchase_model: BetaGeo | None = None,
              spend_model: GammaGamma | None = None):
    """The ``clv`` table (docs/DATA_MODEL.md) with the chapter's knobs: the purchase model (``model``: "auto" = the
    better-fitting of BG/NBD and MBG/NBD, or "bgnbd" / "mbgnbd") and Gamma-Gamma fitted on the customer summary
    (days) as of the analysis date; horizon ``horizon_months`` (default: the config's ``analysis.clv_horizon_months``),
    discount ``economics.annual_discount_rate``, margin rate per customer from their own history shrunk to the
    base's (the config's ``gross_margin`` when costs are unknown).

    Columns: customer_id, p_alive, expected_purchases, expected_spend, clv_revenue (expected revenue over the
    horizon, undiscounted, before returns), clv (discounted expected margin over the horizon, after returns),
    historical_clv (margin to date), value_tier (clv.VALUE_TIERS: platinum top 2 % by clv, gold next 8 %, silver
    next 20 %, bronze the rest). With ``return_models`` the result is (table, purchase model, spend model).

    ``purchase_model`` / ``spend_model``: models already fitted on this summary (e.g. in the chapter, by
    :func:`fit_purchase_model` and ``GammaGamma().fit`` on the repeat buyers) are used as they are instead of being
    fitted again; ``model`` then only names the choice.
    """
    s = ws.table("customer_summary") if summary is None else summary
    cfg = ws.cfg
    for name, m in (("purchase_model", purchase_model), ("spend_model", spend_model)):
        if m is not None and not getattr(m, "params_", None):
            raise ValueError(f"clv_table({name}=...) needs a fitted model: call .fit(...) first, or leave it None "
                             "to fit one here")
    if purchase_model is None and spend_model is None:
        bg, gg = fit_btyd(s, model=model)
    else:
        bg = purchase_model if purchase_model is not None else \
            fit_purchase_model(s["frequency"], s["recency"], s["T"], model)
        if spend_model is None:
            rep = s[(s["frequency"] > 0) & (s["monetary_mean_repeat"] > 0)]
            spend_model = GammaGamma().fit(rep["frequency"], rep["monetary_mean_repeat"])
        gg = spend_model
    rates = margin_rates(s, cfg.economics.gross_margin)
    out = btyd_clv(s, bg, gg, horizon_months=horizon_months or cfg.analysis.clv_horizon_months, margin=rates,
                   annual_discount_rate=cfg.economics.annual_discount_rate, days_per_unit=1.0)
    out["historical_clv"] = s["margin_total"].fillna(0).to_numpy(float)
    out["value_tier"] = value_tiers(out["clv"].to_numpy())
    out = out[["customer_id", "p_alive", "expected_purchases", "expected_spend", "clv_revenue", "clv",
               "historical_clv", "value_tier"]]
    return (out, bg, gg) if return_models else out


def build_clv(ws) -> pd.DataFrame:
    """The ``clv`` table with the config's settings (see :func:`clv_table`); registered in
    ``client_workspace.DERIVED``."""
    return clv_table(ws)


def model_comparison(summary: pd.DataFrame, truth: dict | None = None) -> pd.DataFrame:
    """BG/NBD and MBG/NBD fitted on the same customers: parameters (with standard errors), log-likelihood, and the
    truth's parameters when known — which model describes the customers better?"""
    rows = {}
    for name, cls in (("BG/NBD", BetaGeo), ("MBG/NBD", ModifiedBetaGeo)):
        try:
            m = fit_once(cls, summary["frequency"], summary["recency"], summary["T"])
        except ConvergenceError:
            continue
        sm = m.summary().set_index("parameter")
        col = {p: sm.loc[p, "estimate"] for p in m.param_names}
        col.update({f"{p} (s.e.)": sm.loc[p, "std_error"] for p in m.param_names})
        col["log-likelihood"] = m.log_likelihood_
        rows[name] = col
    out = pd.DataFrame(rows)
    if truth:
        out["truth"] = pd.Series({p: truth[p] for p in ("r", "alpha", "a", "b") if p in truth})
    return out


def clv_by_horizon(ws, purchase_model: BetaGeo, spend_model: GammaGamma, long_months: int = 120,
                   summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Like with like: the retention-formula CLV and the BTYD model CLV per customer over the **same horizons** —
    12 months and ``long_months`` (10 years by default), plus the formula's own "forever" (no horizon) — all
    discounted at the config's ``economics.annual_discount_rate``, for the same customers: those who bought in the
    last 12 months (the customers the retention formula values; its r and margin come from :func:`retention_rate`).

    The formula discounts each year's margin at the year's end, the model month by month; the formula gives every
    customer the same value, the model each their own (the mean is shown). Returns one row per method and horizon:
    method, horizon, horizon_months (None = no horizon), discounting, customers, clv_per_customer.

    Example (``ws`` a workspace, ``bg``/``gg`` the chapter's fitted models)::

        clv_by_horizon(ws, bg, gg)       # formula 12 m / 10 y / forever vs model 12 m / 10 y, per customer
    """
    if long_months < 13:
        raise ValueError("long_months is the long horizon to compare with the 12-month CLV: give 13 months or more")
    s = ws.table("customer_summary") if summary is None else summary
    rate = ws.cfg.economics.annual_discount_rate
    is_recent = (s["days_since_last"] <= 365).to_numpy()
    recent = s[is_recent]
    ret = retention_rate(ws).iloc[0]
    r, m = float(ret["retention_rate"]), float(ret["margin_per_retained"])
    years = long_months / 12
    rows = []
    for label, months in (("12 months", 12), (f"{years:g} years", long_months), ("none (forever)", None)):
        periods = None if months is None else max(int(round(months / 12)), 1)
        rows.append(("retention formula", label, months, "yearly, at each year's end",
                     retention_clv(m, r, rate, periods=periods) if pd.notna(r) and pd.notna(m) else float("nan")))
    rates = margin_rates(s, ws.cfg.economics.gross_margin)[is_recent]     # as in clv_table: shrunk to the base
    for label, months in (("12 months", 12), (f"{years:g} years", long_months)):
        value = float("nan")
        if len(recent):
            out = btyd_clv(recent, purchase_model, spend_model, horizon_months=months, margin=rates,
                           annual_discount_rate=rate)
            value = float(out["clv"].mean())
        rows.append(("BTYD model (BG/NBD + Gamma-Gamma)", label, months, "monthly", value))
    out = pd.DataFrame(rows, columns=["method", "horizon", "horizon_months", "discounting", "clv_per_customer"])
    out.insert(4, "customers", len(recent))
    return out
