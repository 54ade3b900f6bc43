"""Exercises of chapter 31 (budget, break-even and the control group)."""
from __future__ import annotations

from . import exercise
from .ch30 import reference_plan


@exercise("31.1", "Break-even response rate of a catalogue (direct mail)",
          hint="Cost per contact of mail (ws.cfg.economics.cost_per_contact['mail']) ÷ the plan's margin per "
               "response (plan.totals()['margin_per_response']).",
          solution="answer = ws.cfg.economics.cost_per_contact['mail'] / plan.totals()['margin_per_response']")
def _mail_breakeven(ws, plan=None):
    p = reference_plan(ws, plan)
    return float(ws.cfg.economics.cost_per_contact["mail"]) / p.totals()["margin_per_response"]


@exercise("31.2", "How big a control group?", rel_tol=0, abs_tol=0.5,
          hint="dbm.campaign.sample_size(baseline_rate=0.05, min_detectable_lift=0.02, significance=0.05, power=0.8, "
               "control_share=0.1) returns n_control, n_treatment and n_total.",
          solution="answer = int(dbm.campaign.sample_size(0.05, 0.02, 0.05, 0.8, control_share=0.1)['n_control'])")
def _control_size(ws=None, **context):
    from ..campaign import sample_size
    return int(sample_size(0.05, 0.02, 0.05, 0.8, control_share=0.1)["n_control"])


@exercise("31.3", "Mailing depth with half the contact budget", rel_tol=0, abs_tol=0.5,
          hint="dbm.campaign.mailing_depth(plan.deciles, budget=...) with the fixed cost plus half of the planned "
               "contact cost (plan.settings.fixed_cost + plan.totals()['contact_cost'] / 2); read 'deciles' of the "
               "row whose rule is 'within_budget'.",
          solution="cap = plan.settings.fixed_cost + plan.totals()['contact_cost'] / 2\n"
                   "d = dbm.campaign.mailing_depth(plan.deciles, budget=cap)\n"
                   "answer = int(d.set_index('rule').loc['within_budget', 'deciles'])")
def _half_budget(ws, plan=None):
    from ..campaign import mailing_depth
    p = reference_plan(ws, plan)
    d = mailing_depth(p.deciles, budget=p.settings.fixed_cost + p.totals()["contact_cost"] / 2)
    return int(d.set_index("rule").loc["within_budget", "deciles"])


@exercise("31.4", "Same person, same group", rel_tol=0, abs_tol=0.5,
          hint="Assign the planned people again with dbm.campaign.assign_groups(ids, plan.settings.control_share, "
               "plan.settings.campaign_id, plan.settings.seed) in reversed order, and count the people whose group "
               "differs from plan.contacts (treatment/control only).",
          solution="c = plan.contacts[plan.contacts['group'] != 'holdout']\n"
                   "g = dbm.campaign.assign_groups(c['customer_id'][::-1], plan.settings.control_share, "
                   "plan.settings.campaign_id, plan.settings.seed).set_index('customer_id')['group']\n"
                   "answer = int((g.loc[c['customer_id']].to_numpy() != c['group'].to_numpy()).sum())")
def _same_group(ws=None, plan=None):
    return 0
