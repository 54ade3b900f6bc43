"""Exercises of chapter 30 (plan a campaign: target, offer, channel, timing)."""
from __future__ import annotations

import warnings

from . import exercise


def reference_plan(ws, plan=None, **overrides):
    """The plan an exercise checks against: the student's own ``plan`` when given (and no knob is changed),
    else the config's plan with these overrides (the checker computes it, it is never stored)."""
    if plan is not None and not overrides:
        return plan
    from ..campaign import plan_campaign
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_campaign(ws, recommend=False, **overrides)


@exercise("30.1", "Share of the gross selection lost to suppressions",
          hint="In plan.waterfall, read the 'remaining' of the rows with step 'gross' and step 'net'; the share "
               "lost is 1 − net ÷ gross.",
          solution="wf = plan.waterfall.set_index('step')\n"
                   "answer = 1 - wf.loc['net', 'remaining'] / wf.loc['gross', 'remaining']")
def _lost_share(ws, plan=None):
    wf = reference_plan(ws, plan).waterfall.set_index("step")
    return 1 - wf.loc["net", "remaining"] / wf.loc["gross", "remaining"]


@exercise("30.2", "Priority decides: VIPs first", rel_tol=0, abs_tol=0.5,
          hint="Take dbm.campaign.default_cells(plan.settings), move the VIP cell in front of the BDAY cell, run "
               "dbm.campaign.assign_cells(plan.selection, cells) and count the rows whose cell is 'VIP'.",
          solution="cells = dbm.campaign.default_cells(plan.settings)\n"
                   "cells = [c for c in cells if c['cell'] == 'VIP'] + [c for c in cells if c['cell'] != 'VIP']\n"
                   "answer = int((dbm.campaign.assign_cells(plan.selection, cells)['cell'] == 'VIP').sum())")
def _vip_first(ws, plan=None):
    from ..campaign import assign_cells, default_cells
    p = reference_plan(ws, plan)
    cells = default_cells(p.settings)
    cells = [c for c in cells if c["cell"] == "VIP"] + [c for c in cells if c["cell"] != "VIP"]
    return int((assign_cells(p.selection, cells)["cell"] == "VIP").sum())


@exercise("30.3", "Break-even response rate of an SMS",
          hint="Break-even = cost per contact ÷ margin per response: the SMS cost is plan.settings.costs['sms'], "
               "the plan's margin per response is plan.totals()['margin_per_response'].",
          solution="answer = dbm.campaign.breakeven_response_rate(plan.settings.costs['sms'], "
                   "plan.totals()['margin_per_response'])")
def _sms_breakeven(ws, plan=None):
    from ..campaign import breakeven_response_rate
    p = reference_plan(ws, plan)
    return breakeven_response_rate(p.settings.costs["sms"], p.totals()["margin_per_response"])


@exercise("30.4", "A stricter contact rule", rel_tol=0, abs_tol=0.5,
          hint="Plan again with dbm.campaign.plan_campaign(ws, recent_contact_days=60, recommend=False) and read the "
               "'removed' of the step 'recent' in its waterfall (0 if the step is missing).",
          solution="p60 = dbm.campaign.plan_campaign(ws, recent_contact_days=60, recommend=False)\n"
                   "wf = p60.waterfall.set_index('step')\n"
                   "answer = int(wf.loc['recent', 'removed']) if 'recent' in wf.index else 0")
def _recent_60(ws, plan=None):
    wf = reference_plan(ws, None, recent_contact_days=60).waterfall.set_index("step")
    return int(wf.loc["recent", "removed"]) if "recent" in wf.index else 0
