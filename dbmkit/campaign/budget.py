"""Budget (预算), break-even and the mailing depth.

* ``breakeven_response_rate(cost_per_contact, margin_per_response)`` — the response rate at which a contact pays
  for itself: cost per contact ÷ margin per response.
* ``decile_economics`` — by score decile (1 = best): expected responses, revenue, margin, contact cost, profit,
  ROI (profit ÷ cost) and ROME (return on marketing expenditure: revenue ÷ marketing cost), with cumulative
  columns after the campaign's fixed cost.
* ``mailing_depth`` — how many deciles to contact: the depth that maximises expected profit, and the best depth
  whose cost stays within a budget cap.
* ``sensitivity_table`` — expected profit when cost, margin or response move by ± 20 %.
* ``rate_bounds`` — how sure the plan's response rates are, from the past campaigns they come from: per channel the
  95 % interval of the observed rate (Wilson for the treated rate, Newcombe for the lift over the control group) as
  factors on the plan's expected response;
* ``profit_bounds`` — the plan's expected profit, ROI and mailing depth with every rate at the lower and at the
  upper bound of its interval.

>>> round(breakeven_response_rate(0.85, 34.0), 4)
0.025
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..uncertainty import newcombe_interval, wilson_interval

__all__ = ["breakeven_response_rate", "decile_economics", "rescale_deciles", "mailing_depth", "within_budget",
           "sensitivity_table", "rate_bounds", "profit_bounds"]


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


def rate_bounds(rates: pd.DataFrame, basis: str = "incremental", alpha: float = 0.05) -> pd.DataFrame:
    """How sure the plan's response rates are: per channel, the ``1 − alpha`` interval of the rate observed in past
    campaigns, as factors ``k_low`` / ``k_point`` / ``k_high`` on the person's expected response if contacted.

    ``rates`` is ``personalise.channel_response_rates`` (treated and control people and rates per channel). The
    planning response of a person is expected_response × k:

    * basis ``incremental``: k is the share of the channel's responders who bought because of the contact. Its
      bounds are the Newcombe interval of the past lift (treated rate − control rate) ÷ the past treated rate, kept
      within 0–1; ``k_point`` is the plan's (shrunk) ``incremental_share``;
    * basis ``response``: k = 1 and its bounds are the Wilson interval of the past treated rate ÷ that rate.

    The interval never excludes the plan's own estimate (``k_low`` ≤ ``k_point`` ≤ ``k_high``). A channel without
    its own evidence (no past contacts, or no control group for the lift) takes the pooled evidence of all channels
    (``evidence`` = ``pooled``); with no past campaign at all (or no control group anywhere, for the incremental
    basis) the bounds are NaN (``evidence`` = ``none``): the plan's rates are then an assumption, not a measurement.
    Columns: channel, evidence, treated, control, observed, observed_low, observed_high, k_low, k_point, k_high.

    >>> r = pd.DataFrame({"channel": ["email"], "treated": [1000], "treated_rate": [0.2], "control": [100],
    ...                   "control_rate": [0.15], "incremental_share": [0.25]})
    >>> b = rate_bounds(r).round(4)
    >>> b[["evidence", "observed_low", "observed_high", "k_low", "k_high"]].values.tolist()
    [['own', -0.0361, 0.1126, 0.0, 0.5628]]
    >>> round(float(rate_bounds(r, "response").iloc[0]["k_high"]), 4)      # Wilson: 200 of 1000 → [17.6 %, 22.6 %]
    1.1296
    """
    if basis not in ("incremental", "response"):
        raise ValueError(f"basis must be 'incremental' or 'response' (got {basis!r})")
    r = rates.copy()
    n1 = r["treated"].fillna(0).astype(float)
    n0 = r["control"].fillna(0).astype(float) if "control" in r else pd.Series(0.0, index=r.index)
    s1 = (r["treated_rate"].fillna(0) * n1).round()
    s0 = (r.get("control_rate", pd.Series(np.nan, index=r.index)).fillna(0) * n0).round()
    own = (n1 > 0) & (s1 > 0) & ((n0 > 0) if basis == "incremental" else True)
    N1, S1 = float(n1[own].sum()), float(s1[own].sum())
    N0, S0 = float(n0[own].sum()), float(s0[own].sum())

    def bounds(a1, m1, a0, m0):
        if m1 <= 0 or a1 <= 0 or (basis == "incremental" and m0 <= 0):
            return np.nan, np.nan, np.nan
        if basis == "response":
            lo, hi = wilson_interval(a1, m1, alpha)
            return a1 / m1, lo, hi
        lo, hi = newcombe_interval(a1, m1, a0, m0, alpha)
        return a1 / m1 - a0 / m0, lo, hi

    rows = []
    for i in r.index:
        ev = "own" if own[i] else ("pooled" if own.any() else "none")
        a1, m1, a0, m0 = (s1[i], n1[i], s0[i], n0[i]) if own[i] else (S1, N1, S0, N0)
        obs, lo, hi = bounds(a1, m1, a0, m0)
        if basis == "incremental":
            kp = float(r.at[i, "incremental_share"]) if "incremental_share" in r else np.nan
            tr = a1 / m1 if m1 > 0 else np.nan
            kl, kh = float(np.clip(lo / tr, 0, 1)), float(np.clip(hi / tr, 0, 1))
        else:
            kp = 1.0
            kl, kh = lo / obs, hi / obs
        if ev != "none":
            kl, kh = min(kl, kp), max(kh, kp)
        else:
            kl = kh = np.nan
        rows.append(dict(channel=r.at[i, "channel"], evidence=ev, treated=int(m1), control=int(m0),
                         observed=float(obs), observed_low=float(lo), observed_high=float(hi), k_low=float(kl),
                         k_point=float(kp), k_high=float(kh)))
    return pd.DataFrame(rows)


def profit_bounds(people: pd.DataFrame, bounds: pd.DataFrame, fixed_cost: float = 0.0, budget: float | None = None,
                  planned: pd.Series | None = None, score_col: str = "response_score",
                  treated_col: str = "treated") -> pd.DataFrame:
    """The plan's expected profit, ROI and mailing depth at the lower bound, the point estimate and the upper bound
    of the response rates (every channel's rate at the same end of its interval from ``rate_bounds`` — on the
    safe side when several channels are mailed, as if their errors went together).

    ``people``: the net list after the rules (one row per person, best score first as the plan orders it) with
    ``channel``, ``expected_response`` (if contacted), ``planning_response``, ``revenue_per_response``,
    ``margin_per_response``, ``contact_cost`` and ``treated``; ``planned`` marks the planned selection (all when
    None). One row per ``case`` (``low``, ``point``, ``high``): ``response_rate`` (planning basis, planned
    treatment group), ``expected_responses``, ``expected_profit`` and ``roi`` of the plan as planned (same people,
    same cost), and ``best_depth`` / ``best_depth_profit`` / ``pays_back`` — the depth (deciles) that maximises the
    expected profit at that end, within the budget (as ``mailing_depth``: when no depth pays back the fixed cost, the
    one that loses least). NaN throughout (but the point row) when the bounds are NaN.

    >>> p = pd.DataFrame({"channel": ["mail"] * 4, "response_score": [0.4, 0.3, 0.2, 0.1],
    ...                   "expected_response": [0.4, 0.3, 0.2, 0.1], "planning_response": [0.4, 0.3, 0.2, 0.1],
    ...                   "revenue_per_response": 20.0, "margin_per_response": 10.0, "contact_cost": 1.5,
    ...                   "treated": True})
    >>> b = pd.DataFrame({"channel": ["mail"], "k_low": [0.5], "k_point": [1.0], "k_high": [1.6]})
    >>> profit_bounds(p, b).round(2)[["case", "expected_profit", "best_depth"]].values.tolist()
    [['low', -1.0, 1], ['point', 4.0, 3], ['high', 10.0, 4]]
    """
    planned = pd.Series(True, index=people.index) if planned is None else planned.astype(bool)
    k = bounds.set_index("channel")
    ch = people["channel"]
    rows = []
    for case in ("low", "point", "high"):
        if case == "point":
            resp = people["planning_response"].astype(float)
        else:
            f = (ch.map(k[f"k_{case}"]) / ch.map(k["k_point"])).astype(float)
            resp = people["planning_response"].astype(float) * f.where(ch.map(k["k_point"]) > 0)
            zero = (ch.map(k["k_point"]) == 0)      # a share of 0 at the point: the bound applies to the response
            resp = resp.where(~zero, people["expected_response"].astype(float) * ch.map(k[f"k_{case}"]))
        if case != "point" and resp.isna().any():
            rows.append(dict(case=case, response_rate=np.nan, expected_responses=np.nan, expected_profit=np.nan,
                             roi=np.nan, best_depth=np.nan, best_depth_profit=np.nan, pays_back=False))
            continue
        d = people.assign(planning_response=resp, expected_revenue=resp * people["revenue_per_response"],
                          expected_margin=resp * people["margin_per_response"])
        t = d[planned.to_numpy() & d[treated_col].astype(bool).to_numpy()]
        cost = float(t["contact_cost"].sum()) + fixed_cost
        profit = float(t["expected_margin"].sum() - t["contact_cost"].sum()) - fixed_cost
        dec = decile_economics(d, score_col, 10, fixed_cost, treated_col=treated_col, response_col="planning_response")
        best = mailing_depth(dec, budget).set_index("rule").loc["within_budget"]
        rows.append(dict(case=case, response_rate=float(t["planning_response"].mean()) if len(t) else np.nan,
                         expected_responses=float(t["planning_response"].sum()), expected_profit=profit,
                         roi=profit / cost if cost > 0 else np.nan, best_depth=int(best["deciles"]),
                         best_depth_profit=float(best["expected_profit"]), pays_back=bool(best["pays_back"])))
    return pd.DataFrame(rows)
