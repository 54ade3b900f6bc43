"""Budget (预算), break-even and the mailing depth.

* ``breakeven_response_rate(cost_per_contact, margin_per_response)`` — the response rate at which a contact pays
  for itself: cost per contact ÷ margin per response.
* ``decile_economics`` — by score decile (1 = best): expected responses, revenue, margin, contact cost, profit,
  ROI (profit ÷ cost) and ROME (return on marketing expenditure: revenue ÷ marketing cost), with cumulative
  columns after the campaign's fixed cost.
* ``mailing_depth`` — how many deciles to contact: the depth that maximises expected profit, and the best depth
  whose cost stays within a budget cap.
* ``sensitivity_table`` — expected profit when cost, margin or response move by ± 20 %.

>>> round(breakeven_response_rate(0.85, 34.0), 4)
0.025
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["breakeven_response_rate", "decile_economics", "rescale_deciles", "mailing_depth", "within_budget",
           "sensitivity_table"]


def breakeven_response_rate(cost_per_contact, margin_per_response):
    """Break-even response rate (盈亏平衡响应率) = cost per contact ÷ margin per response.

    Works on numbers, arrays and Series. A campaign whose expected response rate is below it loses money on
    every contact.

    >>> breakeven_response_rate(0.5, 25.0)
    0.02
    >>> breakeven_response_rate(pd.Series([0.02, 4.5]), 30.0).round(4).tolist()
    [0.0007, 0.15]
    """
    cost = cost_per_contact
    margin = margin_per_response
    c = np.asarray(cost, dtype=float)
    m = np.asarray(margin, dtype=float)
    if np.any(np.isnan(c)) or np.any(np.isnan(m)):
        raise ValueError("cost_per_contact and margin_per_response must be numbers (got a missing value)")
    if np.any(c < 0):
        raise ValueError(f"cost_per_contact cannot be negative (got {cost_per_contact!r})")
    if np.any(m <= 0):
        raise ValueError(f"margin_per_response must be positive (got {margin_per_response!r}): with no margin on a "
                         "response no response rate breaks even — check the offer cost and the gross margin")
    out = c / m
    if isinstance(cost, pd.Series):
        return pd.Series(out, index=cost.index, name="breakeven_response_rate")
    if isinstance(margin, pd.Series):
        return pd.Series(out, index=margin.index, name="breakeven_response_rate")
    return float(out) if np.ndim(out) == 0 else out


def decile_economics(df: pd.DataFrame, score_col: str = "response_score", n_bins: int = 10, fixed_cost: float = 0.0,
                     treated_col: str | None = None, response_col: str = "expected_response") -> pd.DataFrame:
    """Expected campaign economics by score decile (1 = highest score), deciles cut by rank within ``df``.

    ``df`` has one row per person with the expected response (``response_col``, a probability),
    ``expected_revenue``, ``expected_margin`` (response × margin per response) and ``contact_cost``; with
    ``treated_col`` only the rows where it is True are contacted (a control group costs nothing and earns nothing
    here).

    Columns: decile, people, contacts, mean_score, expected_responses, response_rate, expected_revenue,
    expected_margin, contact_cost, expected_profit, roi, rome, breakeven_rate, and cum_contacts, cum_cost
    (with the fixed cost), cum_profit (after the fixed cost), cum_roi.

    >>> df = pd.DataFrame({"response_score": [0.3, 0.1], "expected_response": [0.3, 0.1],
    ...                    "expected_revenue": [30.0, 10.0], "expected_margin": [12.0, 4.0],
    ...                    "contact_cost": [1.0, 1.0]})
    >>> decile_economics(df, n_bins=2)["expected_profit"].tolist()
    [11.0, 3.0]
    """
    need = [response_col, "expected_revenue", "expected_margin", "contact_cost", score_col]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise KeyError(f"decile_economics needs the columns {missing}; the frame has {list(df.columns)}")
    if len(df) == 0:
        raise ValueError("decile_economics got an empty selection: nobody to contact")
    d = df.copy()
    treated = d[treated_col].astype(bool) if treated_col else pd.Series(True, index=d.index)
    key = d[score_col].astype(float).fillna(-np.inf)
    tie = (d["customer_id"].astype(str) if "customer_id" in d.columns
           else pd.Series(np.arange(len(d)).astype(str), index=d.index))
    order = pd.DataFrame({"s": -key, "t": tie}).sort_values(["s", "t"], kind="stable").index
    pos = pd.Series(np.arange(len(d)), index=order).reindex(d.index)
    bins = min(n_bins, len(d))
    d["decile"] = (pos * bins // len(d) + 1).astype(int)
    w = treated.astype(float)
    g = pd.DataFrame({"decile": d["decile"], "people": 1, "contacts": w, "score": d[score_col].astype(float),
                      "expected_responses": d[response_col] * w, "expected_revenue": d["expected_revenue"] * w,
                      "expected_margin": d["expected_margin"] * w, "contact_cost": d["contact_cost"] * w})
    t = g.groupby("decile").agg(people=("people", "sum"), contacts=("contacts", "sum"), mean_score=("score", "mean"),
                                expected_responses=("expected_responses", "sum"),
                                expected_revenue=("expected_revenue", "sum"),
                                expected_margin=("expected_margin", "sum"),
                                contact_cost=("contact_cost", "sum")).reset_index()
    t["contacts"] = t["contacts"].astype(int)
    t["response_rate"] = t["expected_responses"] / t["contacts"].where(t["contacts"] > 0)
    t["expected_profit"] = t["expected_margin"] - t["contact_cost"]
    t["roi"] = t["expected_profit"] / t["contact_cost"].where(t["contact_cost"] > 0)
    t["rome"] = t["expected_revenue"] / t["contact_cost"].where(t["contact_cost"] > 0)
    mpr = t["expected_margin"] / t["expected_responses"].where(t["expected_responses"] > 0)
    cpc = t["contact_cost"] / t["contacts"].where(t["contacts"] > 0)
    t["breakeven_rate"] = cpc / mpr.where(mpr > 0)
    t["cum_contacts"] = t["contacts"].cumsum()
    t["cum_cost"] = t["contact_cost"].cumsum() + fixed_cost
    t["cum_profit"] = t["expected_profit"].cumsum() - fixed_cost
    t["cum_roi"] = t["cum_profit"] / t["cum_cost"].where(t["cum_cost"] > 0)
    return t[["decile", "people", "contacts", "mean_score", "expected_responses", "response_rate", "expected_revenue",
              "expected_margin", "contact_cost", "expected_profit", "roi", "rome", "breakeven_rate", "cum_contacts",
              "cum_cost", "cum_profit", "cum_roi"]]


def rescale_deciles(deciles: pd.DataFrame, response: float = 1.0, margin: float = 1.0, cost: float = 1.0,
                    fixed_cost: float | None = None) -> pd.DataFrame:
    """What-if on a ``decile_economics`` table: responses × ``response``, margin per response × ``margin``, cost per
    contact × ``cost`` and a new fixed cost (kept when None); every derived column is recomputed.

    >>> t = pd.DataFrame({"decile": [1], "people": [10], "contacts": [10], "mean_score": [0.1],
    ...                   "expected_responses": [1.0], "expected_revenue": [100.0], "expected_margin": [40.0],
    ...                   "contact_cost": [10.0], "cum_cost": [110.0], "cum_profit": [-70.0]})
    >>> float(rescale_deciles(t, response=2.0)["cum_profit"].iloc[0])
    -30.0
    """
    t = deciles[["decile", "people", "contacts", "mean_score", "expected_responses", "expected_revenue",
                 "expected_margin", "contact_cost"]].copy()
    if fixed_cost is None:
        fixed_cost = float(deciles["cum_cost"].iloc[0] - deciles["contact_cost"].iloc[0])
    t["expected_responses"] *= response
    t["expected_revenue"] *= response
    t["expected_margin"] *= response * margin
    t["contact_cost"] *= cost
    t["response_rate"] = t["expected_responses"] / t["contacts"].where(t["contacts"] > 0)
    t["expected_profit"] = t["expected_margin"] - t["contact_cost"]
    t["roi"] = t["expected_profit"] / t["contact_cost"].where(t["contact_cost"] > 0)
    t["rome"] = t["expected_revenue"] / t["contact_cost"].where(t["contact_cost"] > 0)
    mpr = t["expected_margin"] / t["expected_responses"].where(t["expected_responses"] > 0)
    t["breakeven_rate"] = (t["contact_cost"] / t["contacts"].where(t["contacts"] > 0)) / mpr.where(mpr > 0)
    t["cum_contacts"] = t["contacts"].cumsum()
    t["cum_cost"] = t["contact_cost"].cumsum() + fixed_cost
    t["cum_profit"] = t["expected_profit"].cumsum() - fixed_cost
    t["cum_roi"] = t["cum_profit"] / t["cum_cost"].where(t["cum_cost"] > 0)
    return t


def mailing_depth(deciles: pd.DataFrame, budget: float | None = None) -> pd.DataFrame:
    """How deep to mail: the number of deciles (1..k) that maximises expected profit, and the most profitable depth
    whose total cost (``cum_cost``, fixed cost included) stays within ``budget``.

    Returns one row per rule (``max_profit``, ``within_budget``) with deciles, contacts, cost, expected_profit, roi
    and ``pays_back`` (expected profit after the fixed cost > 0). When even the best depth does not pay back the
    fixed cost, it is still the depth that loses least — whether to run the campaign at all is a separate decision.
    ``within_budget`` is 0 deciles when the budget does not cover the first decile.

    >>> t = pd.DataFrame({"decile": [1, 2, 3], "cum_contacts": [10, 20, 30], "cum_cost": [10.0, 20.0, 30.0],
    ...                   "cum_profit": [50.0, 60.0, 55.0]})
    >>> mailing_depth(t, budget=15)[["rule", "deciles"]].values.tolist()
    [['max_profit', 2], ['within_budget', 1]]
    """
    def row(rule, k):
        if k == 0:
            return dict(rule=rule, deciles=0, contacts=0, cost=0.0, expected_profit=0.0, roi=np.nan, pays_back=False)
        r = deciles.iloc[k - 1]
        return dict(rule=rule, deciles=int(r["decile"]), contacts=int(r["cum_contacts"]), cost=float(r["cum_cost"]),
                    expected_profit=float(r["cum_profit"]),
                    roi=float(r["cum_profit"] / r["cum_cost"]) if r["cum_cost"] > 0 else np.nan,
                    pays_back=bool(r["cum_profit"] > 0))
    prof = deciles["cum_profit"].to_numpy(dtype=float)
    best = int(np.argmax(prof)) + 1 if len(prof) else 0
    rows = [row("max_profit", best)]
    if budget is not None:
        ok = deciles["cum_cost"].to_numpy(dtype=float) <= budget
        kb = int(np.argmax(np.where(ok, prof, -np.inf))) + 1 if ok.any() else 0
        rows.append(row("within_budget", kb))
    else:
        rows.append(dict(row("within_budget", best), rule="within_budget"))
    return pd.DataFrame(rows)


def within_budget(cost: pd.Series, budget: float | None, fixed_cost: float = 0.0) -> pd.Series:
    """True for the people (in the given order, best first) whose cumulative contact cost plus the fixed cost
    stays within ``budget`` (everyone when there is no budget).

    >>> within_budget(pd.Series([1.0, 0.0, 1.0, 1.0]), budget=3.5, fixed_cost=1.0).tolist()
    [True, True, True, False]
    """
    if budget is None:
        return pd.Series(True, index=cost.index)
    return (cost.astype(float).cumsum() + fixed_cost) <= budget + 1e-9


def sensitivity_table(contacts: int, response_rate: float, margin_per_response: float, cost_per_contact: float,
                      fixed_cost: float = 0.0, change: float = 0.20) -> pd.DataFrame:
    """Expected profit and ROI when the cost per contact, the margin per response or the response rate is
    ``change`` (20 %) lower or higher — one at a time — plus the worst and best case of all three.

    >>> t = sensitivity_table(1000, 0.05, 40.0, 0.85, 0)
    >>> float(t.set_index("scenario").loc["base", "expected_profit"])
    1150.0
    """
    def scen(name, variable, ch, c, m, r):
        profit = contacts * (r * m - c) - fixed_cost
        spend = contacts * c + fixed_cost
        return dict(scenario=name, variable=variable, change=ch, cost_per_contact=c, margin_per_response=m,
                    response_rate=r, breakeven_rate=c / m if m > 0 else np.nan, expected_responses=contacts * r,
                    expected_profit=profit, roi=profit / spend if spend > 0 else np.nan)
    c0, m0, r0 = float(cost_per_contact), float(margin_per_response), float(response_rate)
    rows = [scen("base", "", 0.0, c0, m0, r0)]
    for var in ("cost_per_contact", "margin_per_response", "response_rate"):
        for sign in (-1, 1):
            f = 1 + sign * change
            c, m, r = c0 * (f if var == "cost_per_contact" else 1), m0 * (f if var == "margin_per_response" else 1), \
                r0 * (f if var == "response_rate" else 1)
            rows.append(scen(f"{var} {'+' if sign > 0 else '−'}{change:.0%}", var, sign * change, c, m, r))
    lo, hi = 1 - change, 1 + change
    rows.append(scen("worst case", "all", -change, c0 * hi, m0 * lo, r0 * lo))
    rows.append(scen("best case", "all", change, c0 * lo, m0 * hi, r0 * hi))
    t = pd.DataFrame(rows)
    t["profit_change"] = t["expected_profit"] - t.loc[0, "expected_profit"]
    return t
