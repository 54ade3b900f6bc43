"""The campaign in money: incremental responses, revenue, profit and return on investment (投资回报率, ROI).

Only the *incremental* part — what the treated group did beyond the control group — was caused by the campaign.
Per treated contact the campaign added ``value − control_value`` of margin; times the treated contacts that is the
incremental margin; minus the cost of the contacts and the fixed cost it is the incremental profit; divided by the
cost it is the ROI — each with its interval (the cost is known, so the ROI's interval is the profit's divided by the
cost). Margins are net of discounts, so the cost of the offer (coupons redeemed by people who would
have bought anyway — the "sure things") is already inside.

Example
-------
>>> res = pd.DataFrame({"group": ["treatment"] * 4 + ["control"] * 2, "channel": "email",
...                     "responded": [1, 1, 0, 0, 1, 0], "revenue": [100.0, 60, 0, 0, 50, 0],
...                     "margin": [40.0, 24, 0, 0, 20, 0]})
>>> e = campaign_economics(res, cost_per_contact={"email": 0.5}, fixed_cost=2.0)
>>> e[["n", "incremental_responses", "incremental_margin", "cost", "incremental_profit"]].values.tolist()
[[4.0, 0.0, 24.0, 4.0, 20.0]]
>>> float(e["roi"].iloc[0])
5.0
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import compare_groups, holm_adjust

__all__ = ["campaign_economics", "contact_costs"]


def contact_costs(df: pd.DataFrame, cost_per_contact, channel_col: str = "channel") -> np.ndarray:
    """Cost of each row's contact: a single number, or a dict per channel (``cfg.economics.cost_per_contact``)."""
    if isinstance(cost_per_contact, dict):
        if channel_col not in df.columns:
            raise KeyError(f"cost per channel needs a {channel_col!r} column in the results")
        unknown = sorted(set(df[channel_col].dropna().astype(str)) - set(cost_per_contact))
        if unknown:
            raise ValueError(f"no cost per contact for channel(s) {unknown}; add them to economics.cost_per_contact")
        return df[channel_col].map(cost_per_contact).fillna(0.0).to_numpy(float)
    return np.full(len(df), float(cost_per_contact))


def campaign_economics(results: pd.DataFrame, cost_per_contact=0.0, fixed_cost: float = 0.0,
                       group_col: str = "group", control="control", by: str | list[str] | None = None,
                       alpha: float = 0.05, response_col: str = "responded", revenue_col: str = "revenue",
                       margin_col: str = "margin", channel_col: str = "channel", bootstrap: int = 0,
                       seed: int = 0) -> pd.DataFrame:
    """Incremental responses, revenue, margin, cost, profit and ROI of every treatment group (against the control).

    ``results`` holds one row per contact with the group, responded (0/1), revenue and margin (in the response
    window). The control group costs nothing (nobody was contacted); the fixed cost is shared out over the treated
    contacts of the groups/slices. With ``by`` the same numbers per slice (channel, cell, segment, offer).
    ``bootstrap=B`` gives the money intervals by a percentile bootstrap instead of Welch (``cfg.evaluate.bootstrap``).

    Returns one row per treatment group [per slice]: n, response_rate, control_response_rate, lift (points),
    lift_ci_low/high, p_value, incremental_responses, incremental_revenue, incremental_margin (+ CI), contact_cost,
    fixed_cost, cost, incremental_profit (+ CI), roi (incremental profit / cost) with roi_ci_low/high (the profit's
    interval divided by the cost, which is known), cost_per_incremental_response;
    with ``by`` also p_adjusted (Holm over the slices) and note (small cells).
    """
    need = [group_col, response_col, revenue_col, margin_col]
    missing = [c for c in need if c not in results.columns]
    if missing:
        raise KeyError(f"results has no column(s) {missing}; it has {list(results.columns)}")
    bys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    cmp_ = compare_groups(results, group_col, [response_col, revenue_col, margin_col], control, alpha=alpha,
                          by=bys or None, kinds={response_col: "proportion", revenue_col: "mean", margin_col: "mean"},
                          bootstrap=bootstrap, seed=seed)
    keys = [*bys, "group"]
    wide = {o: cmp_[cmp_["outcome"] == o].set_index(keys) for o in (response_col, revenue_col, margin_col)}
    r, rev, mar = wide[response_col], wide[revenue_col], wide[margin_col]
    df = results.assign(_cost=contact_costs(results, cost_per_contact, channel_col))
    treated = df[df[group_col] != control]
    cost = treated.groupby([*bys, group_col])["_cost"].sum()
    cost.index = cost.index.set_names(keys)
    n_tr = treated.groupby([*bys, group_col]).size()
    n_tr.index = n_tr.index.set_names(keys)
    out = pd.DataFrame(index=r.index)
    out["n"] = r["n"].astype(float)
    out["control_n"] = r["control_n"].astype(float)
    out["response_rate"] = r["value"]
    out["control_response_rate"] = r["control_value"]
    out["lift"] = r["abs_lift"]
    out["lift_ci_low"] = r["ci_low"]
    out["lift_ci_high"] = r["ci_high"]
    out["p_value"] = r["p_value"]
    out["incremental_responses"] = r["abs_lift"] * r["n"]
    out["revenue_per_contact"] = rev["value"]
    out["control_revenue_per_contact"] = rev["control_value"]
    out["incremental_revenue"] = rev["abs_lift"] * rev["n"]
    out["incremental_margin"] = mar["abs_lift"] * mar["n"]
    out["incremental_margin_ci_low"] = mar["ci_low"] * mar["n"]
    out["incremental_margin_ci_high"] = mar["ci_high"] * mar["n"]
    out["contact_cost"] = cost.reindex(out.index).fillna(0.0)
    share = n_tr.reindex(out.index).fillna(0) / max(float(n_tr.sum()), 1.0)
    out["fixed_cost"] = float(fixed_cost) * share
    out["cost"] = out["contact_cost"] + out["fixed_cost"]
    out["incremental_profit"] = out["incremental_margin"] - out["cost"]
    out["incremental_profit_ci_low"] = out["incremental_margin_ci_low"] - out["cost"]
    out["incremental_profit_ci_high"] = out["incremental_margin_ci_high"] - out["cost"]
    out["roi"] = out["incremental_profit"] / out["cost"].where(out["cost"] > 0)
    out["roi_ci_low"] = out["incremental_profit_ci_low"] / out["cost"].where(out["cost"] > 0)     # the cost is known
    out["roi_ci_high"] = out["incremental_profit_ci_high"] / out["cost"].where(out["cost"] > 0)
    out["cost_per_incremental_response"] = out["cost"] / out["incremental_responses"].where(
        out["incremental_responses"] > 0)
    out = out.reset_index()
    if bys:
        out["p_adjusted"] = holm_adjust(out["p_value"].to_numpy())    # the lift's p-value, over the slices
    if bys and "note" in cmp_.columns:
        notes = cmp_[cmp_["outcome"] == response_col].set_index(keys)["note"]
        out["note"] = notes.reindex(pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else out[keys[0]]).to_numpy()
    return out
