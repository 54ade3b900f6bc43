"""Loyalty-programme economics (忠诚计划): what tiers by spend cost in benefits, and how much *extra* spend the members
must bring for the programme to pay for itself.

A tier's benefits (a rebate or points worth ``benefit_rate`` of spend, plus a fixed cost per member for the card,
service or events) are paid on *all* the members' spend — also on the spend they would have made anyway. With
gross margin m, current spend S, n members, fixed cost F per member and rebate r, the programme breaks even when
the incremental spend ΔS gives as much margin as the benefits cost:

    m · ΔS = r · (S + ΔS) + F · n   →   ΔS = (r · S + F · n) / (m − r)

and the required lift is ΔS / S. Whether members really spend that much more can only be measured against a
control group of comparable customers left out of the programme (or of a tier's benefits) — members' spend compared
with non-members' measures who joins, not what the programme does.

* :func:`customer_spend` — each customer's net spend in the last ``months`` months (``sql/customer_period_value.sql``).
* :func:`assign_tiers` — tier by spend thresholds; :func:`tier_table` — members, spend and a bootstrap interval of
  spend per member; :func:`programme_economics` — benefit cost and break-even incremental spend per tier;
  :func:`sensitivity` — the programme's required lift over a grid of rebates and margins.

Example
-------
>>> round(breakeven_incremental_spend(spend=100_000, members=100, benefit_rate=0.05, fixed_per_member=10,
...                                   gross_margin=0.4), 2)
17142.86
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import sql as _sql

__all__ = ["DEFAULT_TIERS", "customer_spend", "assign_tiers", "tier_table", "programme_economics", "sensitivity",
           "breakeven_incremental_spend"]

# tier → (minimum 12-month spend as a quantile of the buyers' spend, benefit rate, fixed cost per member and year)
DEFAULT_TIERS = {"silver": (0.50, 0.02, 2.0), "gold": (0.80, 0.04, 10.0), "platinum": (0.95, 0.06, 40.0)}


def breakeven_incremental_spend(spend: float, members: int, benefit_rate: float, fixed_per_member: float,
                                gross_margin: float) -> float:
    """The extra spend ΔS whose margin pays for the benefits: (r·S + F·n) / (m − r); infinite when the rebate is at
    least the margin (no amount of extra spend pays for it)."""
    if benefit_rate >= gross_margin:
        return float("inf")
    return (benefit_rate * spend + fixed_per_member * members) / (gross_margin - benefit_rate)


def customer_spend(ws, months: int = 12) -> pd.DataFrame:
    """customer_id and spend (net of returns) in the ``months`` months up to the analysis date, buyers only."""
    start = (ws.as_of - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    v = _sql.run(ws, "customer_period_value", {"start": start, "as_of": ws.as_of.date()})
    v = v[v["is_buyer"].astype(bool)]
    return pd.DataFrame({"customer_id": v["customer_id"].astype(str).to_numpy(),
                         "spend": v["revenue"].astype(float).clip(lower=0).to_numpy()})


def assign_tiers(spend: pd.DataFrame, tiers: dict = DEFAULT_TIERS) -> tuple[pd.DataFrame, dict]:
    """The tier of each customer (``spend``: customer_id, spend): the highest tier whose threshold (the quantile of
    ``tiers`` of the buyers' spend) the customer reaches; below the lowest: "none". Returns (customers with tier,
    thresholds in money)."""
    thr = {k: float(spend["spend"].quantile(q)) for k, (q, _, _) in tiers.items()}
    tier = np.full(len(spend), "none", dtype=object)
    for k in sorted(thr, key=thr.get):
        tier[spend["spend"].to_numpy() >= thr[k]] = k
    return spend.assign(tier=tier), thr


def tier_table(tiered: pd.DataFrame, tiers: dict = DEFAULT_TIERS, n_boot: int = 500, seed: int = 0) -> pd.DataFrame:
    """Per tier (highest first, then "none"): members, spend, spend_share, spend_per_member and its 95 % bootstrap
    interval (next year's spend per member is an estimate; last year's is the best guess)."""
    rng = np.random.default_rng(seed)
    rows = []
    total = float(tiered["spend"].sum())
    for k in list(tiers)[::-1] + ["none"]:
        v = tiered.loc[tiered["tier"] == k, "spend"].to_numpy(float)
        if len(v) == 0:
            continue
        boots = np.array([rng.choice(v, len(v)).mean() for _ in range(n_boot)])
        rows.append({"tier": k, "members": len(v), "spend": float(v.sum()), "spend_share": float(v.sum()) / total,
                     "spend_per_member": float(v.mean()), "per_member_low": float(np.quantile(boots, 0.025)),
                     "per_member_high": float(np.quantile(boots, 0.975))})
    return pd.DataFrame(rows)


def programme_economics(table: pd.DataFrame, gross_margin: float, tiers: dict = DEFAULT_TIERS) -> pd.DataFrame:
    """Per tier of :func:`tier_table`: benefit_rate, fixed cost per member, benefit_cost (on current spend),
    breakeven_extra_spend (ΔS), required_lift (ΔS / spend) and its range from the interval of spend per member,
    and breakeven_extra_per_member; a final row "programme" sums the tiers."""
    rows = []
    for _, r in table[table["tier"].isin(list(tiers))].iterrows():
        _, rate, fixed = tiers[r["tier"]]
        de = breakeven_incremental_spend(r["spend"], r["members"], rate, fixed, gross_margin)
        lo_s, hi_s = r["per_member_low"] * r["members"], r["per_member_high"] * r["members"]
        rows.append({"tier": r["tier"], "members": int(r["members"]), "spend": r["spend"], "benefit_rate": rate,
                     "fixed_per_member": fixed, "benefit_cost": rate * r["spend"] + fixed * r["members"],
                     "breakeven_extra_spend": de, "breakeven_extra_per_member": de / r["members"],
                     "required_lift": de / r["spend"],
                     "required_lift_low": breakeven_incremental_spend(hi_s, r["members"], rate, fixed,
                                                                      gross_margin) / hi_s,
                     "required_lift_high": breakeven_incremental_spend(lo_s, r["members"], rate, fixed,
                                                                       gross_margin) / lo_s})
    out = pd.DataFrame(rows)
    if not out.empty:
        tot = {"tier": "programme", "members": int(out["members"].sum()), "spend": out["spend"].sum(),
               "benefit_cost": out["benefit_cost"].sum(), "breakeven_extra_spend": out["breakeven_extra_spend"].sum()}
        tot["breakeven_extra_per_member"] = tot["breakeven_extra_spend"] / tot["members"]
        tot["required_lift"] = tot["breakeven_extra_spend"] / tot["spend"]
        out = pd.concat([out, pd.DataFrame([tot])], ignore_index=True)
    return out


def sensitivity(table: pd.DataFrame, rates=(0.01, 0.02, 0.04, 0.06, 0.08), margins=(0.25, 0.35, 0.45),
                tiers: dict = DEFAULT_TIERS) -> pd.DataFrame:
    """The programme's required lift (all tiers' break-even extra spend ÷ their spend) when every tier's rebate is
    one of ``rates`` (fixed costs as in ``tiers``) and the gross margin one of ``margins``: rows = rebate, columns =
    margin."""
    members = table[table["tier"].isin(list(tiers))]
    out = pd.DataFrame(index=pd.Index(rates, name="benefit_rate"), columns=pd.Index(margins, name="gross_margin"),
                       dtype=float)
    for r in rates:
        for m in margins:
            de = sum(breakeven_incremental_spend(x["spend"], x["members"], r, tiers[x["tier"]][2], m)
                     for _, x in members.iterrows())
            out.loc[r, m] = de / members["spend"].sum() if members["spend"].sum() > 0 else np.nan
    return out
