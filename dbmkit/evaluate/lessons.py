"""What we learned / what to change (营销策略优化): a summary written from the numbers, not from hopes.

``lessons`` reads the campaign's economics, its breakdown by slice, the channel KPIs and the split check, and
returns one row per finding with the evidence and the action — roll out what worked, stop what lost money, fix
what the KPIs point at, test what is still unclear. Thresholds are the usual rules of thumb and are parameters.

Example
-------
>>> econ = pd.DataFrame({"group": ["treatment"], "n": [9000.0], "control_n": [1000.0], "response_rate": [0.12],
...                      "control_response_rate": [0.10], "lift": [0.02], "lift_ci_low": [0.001],
...                      "lift_ci_high": [0.039], "p_value": [0.04], "incremental_profit": [5000.0],
...                      "incremental_profit_ci_low": [-200.0], "incremental_profit_ci_high": [9800.0],
...                      "cost": [2000.0], "roi": [2.5], "incremental_responses": [180.0]})
>>> lessons(econ)["topic"].tolist()[:3]
['result', 'result', 'money']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import money

__all__ = ["lessons", "THRESHOLDS"]

THRESHOLDS = {
    "open_rate_low": 0.15, "ctor_low": 0.10, "unsubscribe_high": 0.005, "bounce_high": 0.02,
    "complaint_high": 0.001, "sms_delivery_low": 0.95,
}


def _pct(x, digits=1) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.{digits}f} %"


def _pts(x, digits=2) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:+.{digits}f} points"


def _money(x, currency="") -> str:
    if x is None or pd.isna(x):
        return "n/a"
    return money(x, currency, compact=False, decimals=0)


def lessons(economics: pd.DataFrame, breakdown: pd.DataFrame | None = None, email: pd.Series | None = None,
            sms: pd.Series | None = None, srm: pd.DataFrame | None = None, true_lift: float | None = None,
            planned_profit: float | None = None, alpha: float = 0.05, currency: str = "",
            thresholds: dict | None = None) -> pd.DataFrame:
    """The findings and what to change.

    Parameters
    ----------
    economics : ``campaign_economics`` of the campaign (one row per treatment group).
    breakdown : ``campaign_economics(..., by=...)`` — slices by channel/segment/offer (with a ``note`` column).
    email, sms : pooled KPI rates (``overall_rates``) of the campaign's messages.
    srm : the ``srm_check`` table.
    true_lift : the true lift (synthetic client) — checks that the interval covers it.
    planned_profit : the profit expected when planning (chapter 31) — compared with the result.

    Returns one row per finding: topic, finding, evidence, action.
    """
    th = {**THRESHOLDS, **(thresholds or {})}
    ci = f"{100 * (1 - alpha):.0f} %"            # the confidence level of the intervals
    rows = []

    def add(topic, finding, evidence, action):
        rows.append(dict(topic=topic, finding=finding, evidence=evidence, action=action))

    if srm is not None and len(srm) and bool(srm["srm"].any()):
        add("test design", "the group sizes do not match the planned split (sample-ratio mismatch)",
            f"chi-square p = {srm['p_value'].iloc[0]:.2g}",
            "find where the split broke (a filter after the split, a truncated list) before trusting the lift")
    for _, e in economics.iterrows():
        g = e.get("group", "treatment")
        label = "the campaign" if g == "treatment" else f"group {g}"
        sig = e["p_value"] < alpha
        ev = (f"response {_pct(e['response_rate'], 2)} vs control {_pct(e['control_response_rate'], 2)}; "
              f"lift {_pts(e['lift'])} ({ci} CI {_pts(e['lift_ci_low'])} to {_pts(e['lift_ci_high'])}), "
              f"p = {e['p_value']:.3g}")
        if sig and e["lift"] > 0:
            add("result", f"{label} raised the response rate beyond doubt", ev,
                "keep the control group in every roll-out so the effect stays measured")
        elif sig and e["lift"] < 0:
            add("result", f"{label} LOWERED the response rate", ev,
                "stop it: the contact drives people away (do-not-disturbs); find who reacted badly (chapter 41)")
        else:
            add("result", f"{label}: no significant difference from the control group", ev,
                "do not claim a success; the test may be too small — see the minimum detectable lift (chapter 41)")
        if e["incremental_responses"] > 0 and e["response_rate"] > 0:
            anyway = e["control_response_rate"] / e["response_rate"]
            add("result", f"{_pct(min(anyway, 1), 0)} of the treated responders would have bought anyway",
                "control response rate / treated response rate",
                "report incremental responses, not all responses; aim the offer at persuadables (uplift, ch. 41)")
        roi_ci = (f" ({ci} CI {_pct(e['roi_ci_low'], 0)} to {_pct(e['roi_ci_high'], 0)})"
                  if "roi_ci_low" in e and pd.notna(e["roi_ci_low"]) else "")
        prof_ev = (f"incremental profit {_money(e['incremental_profit'], currency)} "
                   f"({ci} CI {_money(e['incremental_profit_ci_low'], currency)} to "
                   f"{_money(e['incremental_profit_ci_high'], currency)}), cost {_money(e['cost'], currency)}, "
                   f"ROI {_pct(e['roi'], 0)}{roi_ci}")
        if e["incremental_profit_ci_low"] > 0:
            add("money", f"{label} paid for itself", prof_ev, "roll it out to the same kind of customers")
        elif e["incremental_profit_ci_high"] < 0:
            add("money", f"{label} lost money", prof_ev,
                "cut the cost (cheaper channel, smaller discount) or target only the top uplift deciles")
        elif pd.isna(e["incremental_profit_ci_low"]) or pd.isna(e["incremental_profit_ci_high"]):
            add("money", f"{label}: the profit has no interval (too few contacts in a group)", prof_ev,
                "do not act on the point estimate; run a test with a control group of a planned size (chapter 31)")
        else:
            add("money", f"we cannot tell whether {label} made money: the {ci} interval spans a loss of "
                f"{_money(-e['incremental_profit_ci_low'], currency)} to a profit of "
                f"{_money(e['incremental_profit_ci_high'], currency)}", prof_ev,
                "do not roll out on this evidence; repeat with a larger control group (chapter 31 sizes it) — "
                "the point estimate "
                f"{_money(e['incremental_profit'], currency)} is one draw from that range, not a result")
    if planned_profit is not None and len(economics):
        got = float(economics["incremental_profit"].sum())
        lo = float(economics["incremental_profit_ci_low"].sum()) if len(economics) == 1 else np.nan
        hi = float(economics["incremental_profit_ci_high"].sum()) if len(economics) == 1 else np.nan
        inside = bool(lo <= planned_profit <= hi) if np.isfinite(lo) and np.isfinite(hi) else False
        add("planning", "planned vs realised profit" + (": the result can neither confirm nor refute the plan"
                                                         if inside else ""),
            f"planned {_money(planned_profit, currency)}, realised (incremental) {_money(got, currency)}"
            + (f" ({ci} CI {_money(lo, currency)} to {_money(hi, currency)})" if np.isfinite(lo) else ""),
            "the plan lies inside the realised profit's interval: keep its assumptions, and size the next control "
            "group so that the test can tell (chapter 31)" if inside else
            "check the plan's assumptions (response rates, share of incremental responses, order value) against what "
            "the control group shows, and recalibrate them" if got < planned_profit else
            "the plan was conservative; keep its assumptions under review")
    if true_lift is not None and len(economics):
        e = economics.iloc[0]
        covered = e["lift_ci_low"] <= true_lift <= e["lift_ci_high"]
        add("truth check", "the interval " + ("covers" if covered else "MISSES") + " the true lift",
            f"true lift {_pts(true_lift)}; estimate {_pts(e['lift'])}",
            f"none — this is how a {ci} interval behaves (it misses about 1 time in {round(1 / alpha)})" if covered
            else f"a {ci} interval misses about 1 time in {round(1 / alpha)}; check the split and the response window")
    if breakdown is not None and len(breakdown):
        b = breakdown.copy()
        slice_cols = [c for c in b.columns if c not in ("group",) and b.columns.get_loc(c) < b.columns.get_loc("group")]
        name = lambda r: ", ".join(f"{c} {r[c]}" for c in slice_cols)  # noqa: E731
        ok = b[(b["control_n"] > 0)]
        if "note" in ok:
            ok = ok[~ok["note"].fillna("").str.startswith("no control")]
        if len(ok):
            ok = ok.assign(profit_per_contact=ok["incremental_profit"] / ok["n"])
            best, worst = ok.loc[ok["profit_per_contact"].idxmax()], ok.loc[ok["profit_per_contact"].idxmin()]
            caveat = (f" (compared {len(ok)} slices: expect about {max(1, round(len(ok) * alpha))} "
                      f"false alarm(s) at p < {alpha})")
            p_adj = best["p_adjusted"] if "p_adjusted" in best else best["p_value"] * len(ok)
            add("slices", f"best slice: {name(best)}",
                f"incremental profit {_money(best['profit_per_contact'], currency)} per contact, lift "
                f"{_pts(best['lift'])}, p = {best['p_value']:.3g}" + caveat,
                "give it more budget next time" if p_adj < alpha and best["lift"] > 0 else
                "a hint, not a finding (not significant after the adjustment for many slices): test it again before "
                "moving budget")
            if worst["profit_per_contact"] < 0:
                add("slices", f"worst slice: {name(worst)}",
                    f"incremental profit {_money(worst['profit_per_contact'], currency)} per contact, lift "
                    f"{_pts(worst['lift'])}, p = {worst['p_value']:.3g}",
                    "drop it or change its channel/offer; check whether it is small noise first")
    if email is not None and email.get("delivered", 0) > 0:
        if email.get("open_rate", np.nan) < th["open_rate_low"]:
            add("e-mail", "few recipients open the e-mail", f"open rate {_pct(email['open_rate'])}",
                "test subject lines and send times (A/B test, chapter 41)")
        if email.get("click_to_open_rate", np.nan) < th["ctor_low"]:
            add("e-mail", "those who open rarely click", f"click-to-open rate {_pct(email['click_to_open_rate'])}",
                "improve the content and the call to action; personalise the offer")
        if email.get("unsubscribe_rate", 0) > th["unsubscribe_high"]:
            add("e-mail", "many unsubscribe", f"unsubscribe rate {_pct(email['unsubscribe_rate'], 2)}",
                "lower the contact frequency; leave out people with negative uplift")
        if email.get("bounce_rate", 0) > th["bounce_high"]:
            add("e-mail", "many addresses bounce", f"bounce rate {_pct(email['bounce_rate'], 2)}",
                "clean the list: remove bounced addresses (they are in campaign_feedback)")
        if email.get("complaint_rate", 0) > th["complaint_high"]:
            add("e-mail", "spam complaints above the usual limit", f"complaint rate {_pct(email['complaint_rate'], 2)}",
                "check consent and frequency; complainers are opted out automatically")
        if not any(r["topic"] == "e-mail" for r in rows):
            add("e-mail", "e-mail KPIs are within the usual ranges",
                f"open {_pct(email.get('open_rate'))}, click-to-open {_pct(email.get('click_to_open_rate'))}, "
                f"unsubscribe {_pct(email.get('unsubscribe_rate'), 2)}", "keep testing one element at a time")
    if sms is not None and sms.get("sent", 0) > 0:
        add("sms", "SMS delivery and engagement",
            f"delivery {_pct(sms.get('delivery_rate'))}, click {_pct(sms.get('click_rate'))}, reply "
            f"{_pct(sms.get('reply_rate'))}",
            "remove failed numbers" if sms.get("delivery_rate", 1) < th["sms_delivery_low"] else
            "SMS is delivered reliably; judge it by incremental profit, not clicks")
    add("feedback", "results, opt-outs and bounces go back into the database",
        "tables campaign_results and campaign_feedback",
        "the next selection suppresses the opt-outs; the uplift model learns from this campaign's control group")
    return pd.DataFrame(rows, columns=["topic", "finding", "evidence", "action"])
