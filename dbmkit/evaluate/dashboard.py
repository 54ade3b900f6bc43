"""The KPI dashboard (关键绩效指标): the overall health of the marketing, beside the campaign's own numbers.

* **CAC** (customer acquisition cost, 获客成本) by acquisition channel, and **CLV:CAC** — how many times a
  customer's lifetime value (客户终身价值) pays back what it cost to win them (≥ 3 is the usual rule of thumb);
* **retention and churn rate** (客户流失率) per period: of last period's buyers, the share who bought again;
* **campaign ROI and response rates over time**: every past campaign measured against its own control group.

Example
-------
>>> lift_summary = pd.DataFrame({"acquisition_channel": ["web", "store"], "customers": [10, 30],
...                              "cac": [30.0, 10.0], "lifetime_value": [120.0, 20.0]})
>>> clv_to_cac(lift_summary)["clv_to_cac"].tolist()
[4.0, 2.0]
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import sql as _sql
from ..i18n import pick
from ..power import z_critical
from ..uncertainty import wilson_interval
from .attribution import campaign_outcomes, campaign_windows
from .economics import campaign_economics

__all__ = ["cac_by_channel", "clv_to_cac", "retention_rates", "campaign_history", "kpi_dashboard", "Dashboard"]


def _clv_table(ws) -> tuple[pd.DataFrame | None, str]:
    """The ``clv`` analysis table (chapter 23) if it can be built; otherwise None and the reason."""
    try:
        clv = ws.table("clv")
    except (ImportError, AttributeError, KeyError, ValueError, RuntimeError) as e:
        return None, pick((f"clv table unavailable ({type(e).__name__}); lifetime value = margin to date only",
                           f"无法生成 clv 表（{type(e).__name__}）；客户价值只计迄今为止的毛利"))
    if "customer_id" not in clv.columns or "clv" not in clv.columns:
        return None, pick(("clv table has no clv column; lifetime value = margin to date only",
                           "clv 表没有 clv 列；客户价值只计迄今为止的毛利"))
    months = ws.cfg.analysis.clv_horizon_months
    return clv, pick((f"margin to date + expected margin of the next {months} months, discounted ({months}-month CLV, "
                      "clv table, chapter 23) — not a whole-relationship value",
                      f"迄今为止的毛利 + 未来{months}个月的预期毛利（折现；即第23章 clv 表中的"
                      f"{months}个月客户终身价值）——不是整个客户关系期间的价值"))


def clv_to_cac(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``clv_to_cac`` = lifetime_value / cac to a table with those two columns."""
    out = df.copy()
    out["clv_to_cac"] = out["lifetime_value"] / out["cac"].where(out["cac"] > 0)
    return out


def cac_by_channel(ws) -> pd.DataFrame:
    """Per acquisition channel: customers, buyers, mean CAC, mean margin to date, mean lifetime value and
    CLV:CAC (test and staff accounts excluded). ``attrs["value_basis"]`` says how lifetime value was computed and
    ``attrs["horizon_months"]`` over how many future months (the config's ``analysis.clv_horizon_months``; 0 when
    only the margin to date is known) — a CLV : CAC ratio always names its horizon."""
    base = ws.sql("""SELECT customer_id, coalesce(acquisition_channel, 'unknown') AS acquisition_channel,
                            acquisition_cost, orders, margin
                     FROM customer_view WHERE NOT coalesce(is_test, false) AND NOT coalesce(is_staff, false)""")
    clv, basis = _clv_table(ws)
    base["future_value"] = 0.0
    if clv is not None:
        base["future_value"] = clv.set_index("customer_id")["clv"].reindex(base["customer_id"]).fillna(0).to_numpy()
    base["lifetime_value"] = base["margin"].fillna(0) + base["future_value"]
    g = base.groupby("acquisition_channel")
    out = pd.DataFrame({"customers": g.size(), "buyers": g["orders"].apply(lambda s: int((s > 0).sum())),
                        "cac": g["acquisition_cost"].mean(), "total_cac": g["acquisition_cost"].sum(),
                        "margin_to_date": g["margin"].mean(), "lifetime_value": g["lifetime_value"].mean()})
    out = clv_to_cac(out.reset_index()).sort_values("clv_to_cac", ascending=False).reset_index(drop=True)
    out.attrs["value_basis"] = basis
    out.attrs["horizon_months"] = ws.cfg.analysis.clv_horizon_months if clv is not None else 0
    return out


def retention_rates(ws, period_days: int = 365, alpha: float = 0.05) -> pd.DataFrame:
    """Retention and churn per period counted back from the analysis date (``period_days`` long, default a year):
    active buyers, buyers of the previous period, retained, new customers, retention_rate, churn_rate, and the
    Wilson intervals retention_ci_low/high and churn_ci_low/high."""
    if period_days < 7:
        raise ValueError("period_days must be at least 7")
    r = _sql.run(ws, "retention_by_period", {"as_of": ws.as_of.to_pydatetime(), "days": int(period_days)})
    first = ws.sql("SELECT min(order_ts) AS t FROM orders WHERE status = 'completed'")["t"].iloc[0]
    prev_start = pd.to_datetime(r["period_start"]) - pd.Timedelta(days=int(period_days))
    # the previous period must lie inside the history, or its "active" count is only a sliver of a period
    complete = prev_start >= pd.Timestamp(first).normalize() - pd.Timedelta(days=1) if first is not None else True
    r = r[(r["active_previous"] > 0) & complete].copy()
    r["retention_rate"] = r["retained"] / r["active_previous"]
    r["churn_rate"] = 1 - r["retention_rate"]
    lo, hi = wilson_interval(r["retained"].to_numpy(float), r["active_previous"].to_numpy(float), alpha)
    r["retention_ci_low"], r["retention_ci_high"] = lo, hi
    r["churn_ci_low"], r["churn_ci_high"] = 1 - hi, 1 - lo
    return r.reset_index(drop=True)


def campaign_history(ws, alpha: float = 0.05, outcomes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every past campaign against its own control group: response rates (with Wilson intervals), lift (points)
    with its interval and p-value, incremental revenue and profit (with its interval), cost and ROI (with its
    interval) — in date order."""
    camp = campaign_windows(ws)
    out = campaign_outcomes(ws, rule="all") if outcomes is None else outcomes
    rows = []
    for _, c in camp.iterrows():
        part = out[out["campaign_id"] == c["campaign_id"]]
        if part.empty or (part["group"] == "control").sum() == 0 or (part["group"] == "treatment").sum() == 0:
            continue
        e = campaign_economics(part, cost_per_contact=float(c["cost_per_contact"] or 0),
                               fixed_cost=float(c["fixed_cost"] or 0), alpha=alpha)
        e = e[e["group"] == "treatment"].iloc[0]
        r_lo, r_hi = wilson_interval(e["response_rate"] * e["n"], e["n"], alpha)
        c_lo, c_hi = wilson_interval(e["control_response_rate"] * e["control_n"], e["control_n"], alpha)
        rows.append(dict(campaign_id=c["campaign_id"], name=c["name"], channel=c["channel"],
                         start_date=pd.Timestamp(c["start_date"]), window_days=c["window_days"],
                         n=int(e["n"]), control_n=int(e["control_n"]), response_rate=e["response_rate"],
                         control_response_rate=e["control_response_rate"], response_rate_ci_low=r_lo,
                         response_rate_ci_high=r_hi, control_response_rate_ci_low=c_lo,
                         control_response_rate_ci_high=c_hi, lift=e["lift"],
                         lift_ci_low=e["lift_ci_low"], lift_ci_high=e["lift_ci_high"], p_value=e["p_value"],
                         incremental_responses=e["incremental_responses"],
                         incremental_revenue=e["incremental_revenue"], incremental_margin=e["incremental_margin"],
                         cost=e["cost"], incremental_profit=e["incremental_profit"],
                         incremental_profit_ci_low=e["incremental_profit_ci_low"],
                         incremental_profit_ci_high=e["incremental_profit_ci_high"], roi=e["roi"],
                         roi_ci_low=e["roi_ci_low"], roi_ci_high=e["roi_ci_high"]))
    return pd.DataFrame(rows)


@dataclasses.dataclass
class Dashboard:
    """The KPI dashboard's tables and its headline numbers."""

    cac: pd.DataFrame
    retention: pd.DataFrame
    campaigns: pd.DataFrame
    headline: pd.Series


def kpi_dashboard(ws, period_days: int = 365, alpha: float = 0.05) -> Dashboard:
    """CAC by channel and CLV:CAC, retention/churn per period, campaign ROI and response rates over time, and
    the headline numbers: overall CAC, overall CLV:CAC, the latest churn rate (with its Wilson interval), the
    number of campaigns, how many of them lifted the response rate significantly and how many paid beyond doubt
    (profit interval above 0), the mean campaign ROI and the total incremental profit with its interval (the
    campaigns are independent: their standard errors add in squares)."""
    cac = cac_by_channel(ws)
    ret = retention_rates(ws, period_days, alpha)
    camps = campaign_history(ws, alpha)
    tot_c = cac["customers"].sum()
    overall_cac = float((cac["cac"] * cac["customers"]).sum() / tot_c) if tot_c else np.nan
    overall_ltv = float((cac["lifetime_value"] * cac["customers"]).sum() / tot_c) if tot_c else np.nan
    z = z_critical(alpha)

    def last(col):
        return float(ret[col].iloc[-1]) if len(ret) else np.nan

    total = float(camps["incremental_profit"].sum()) if len(camps) else np.nan
    half = (camps["incremental_profit_ci_high"] - camps["incremental_profit_ci_low"]) / 2 if len(camps) else None
    se = float(np.sqrt(((half / z) ** 2).sum())) if len(camps) else np.nan
    head = pd.Series({
        "period_days": float(period_days),
        "cac": overall_cac,
        "clv_to_cac": overall_ltv / overall_cac if overall_cac else np.nan,
        "clv_horizon_months": float(cac.attrs.get("horizon_months", 0)),
        "churn_rate": last("churn_rate"),
        "churn_ci_low": last("churn_ci_low"),
        "churn_ci_high": last("churn_ci_high"),
        "retention_rate": last("retention_rate"),
        "campaigns": float(len(camps)),
        "campaigns_lift_significant": float((camps["p_value"] < alpha).sum()) if len(camps) else np.nan,
        "campaigns_paid_beyond_doubt": float((camps["incremental_profit_ci_low"] > 0).sum()) if len(camps) else np.nan,
        "mean_campaign_roi": float(camps["roi"].mean()) if len(camps) else np.nan,
        "campaign_incremental_profit_total": total,
        "campaign_incremental_profit_total_ci_low": total - z * se if len(camps) else np.nan,
        "campaign_incremental_profit_total_ci_high": total + z * se if len(camps) else np.nan,
    })
    return Dashboard(cac, ret, camps, head)
