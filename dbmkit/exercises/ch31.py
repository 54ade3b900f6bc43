"""Exercises of chapter 31 (budget, break-even and the control group).

31.1 builds the break-even response rate by hand (cost per contact ÷ margin per response); 31.5 decides the mailing
depth at that cost from the deciles' response rates; 31.3 and 31.4 are built with the chapter's helpers. ``META``
gives each exercise's kind and the diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

from . import exercise
from .ch30 import reference_plan
from .mistakes import mistake_of


# ------------------------------------------------------------------------------------------------ 31.1 break-even
def _mail_cost(ws):
    return float(ws.cfg.economics.cost_per_contact["mail"])


@exercise("31.1", "Break-even response rate of a catalogue (direct mail), by hand",
          hint="Cost per contact of mail (ws.cfg.economics.cost_per_contact['mail']) ÷ the plan's margin per "
               "response (plan.totals()['margin_per_response']).",
          rel_tol=1e-3, abs_tol=1e-6)
def _mail_breakeven(ws, plan=None):
    p = reference_plan(ws, plan)
    return _mail_cost(ws) / p.totals()["margin_per_response"]


def _inverted(ws, plan=None, **_):
    return reference_plan(ws, plan).totals()["margin_per_response"] / _mail_cost(ws)


def _average_cost(ws, plan=None, **_):
    t = reference_plan(ws, plan).totals()
    return t["cost_per_contact"] / t["margin_per_response"]


def _per_revenue(ws, plan=None, **_):
    t = reference_plan(ws, plan).totals()
    return _mail_cost(ws) / (t["expected_revenue"] / t["expected_responses"])


# ------------------------------------------------------------------------------------------------ 31.2 sample size
@exercise("31.2", "How big a control group?", rel_tol=0, abs_tol=0,
          hint="dbm.campaign.sample_size(baseline_rate=0.05, min_detectable_lift=0.02, significance=0.05, power=0.8, "
               "control_share=0.1) returns n_control, n_treatment and n_total.")
def _control_size(ws=None, **context):
    from ..campaign import sample_size
    return int(sample_size(0.05, 0.02, 0.05, 0.8, control_share=0.1)["n_control"])


def _size_field(field):
    def fn(ws=None, **_):
        from ..campaign import sample_size
        return int(sample_size(0.05, 0.02, 0.05, 0.8, control_share=0.1)[field])
    return fn


# ------------------------------------------------------------------------------------------------ 31.3 half budget
def _depth_at(ws, plan, cap):
    from ..campaign import mailing_depth
    d = mailing_depth(reference_plan(ws, plan).deciles, budget=cap)
    return int(d.set_index("rule").loc["within_budget", "deciles"])


@exercise("31.3", "Mailing depth with half the contact budget", rel_tol=0, abs_tol=0,
          hint="dbm.campaign.mailing_depth(plan.deciles, budget=...) with the fixed cost plus half of the planned "
               "contact cost (plan.settings.fixed_cost + plan.totals()['contact_cost'] / 2); read 'deciles' of the "
               "row whose rule is 'within_budget'.")
def _half_budget(ws, plan=None):
    p = reference_plan(ws, plan)
    return _depth_at(ws, p, p.settings.fixed_cost + p.totals()["contact_cost"] / 2)


def _half_without_fixed(ws, plan=None, **_):
    p = reference_plan(ws, plan)
    return _depth_at(ws, p, p.totals()["contact_cost"] / 2)


# ------------------------------------------------------------------------------------------------ 31.4 same group
@exercise("31.4", "Same person, same group", rel_tol=0, abs_tol=0,
          hint="Assign the planned people again with dbm.campaign.assign_groups(ids, plan.settings.control_share, "
               "plan.settings.campaign_id, plan.settings.seed) in reversed order, and count the people whose group "
               "differs from plan.contacts (treatment/control only).")
def _same_group(ws=None, plan=None):
    from ..campaign import assign_groups
    p = reference_plan(ws, plan)
    c = p.contacts[p.contacts["group"] != "holdout"]
    s = p.settings
    g = assign_groups(c["customer_id"][::-1], s.control_share, s.campaign_id, s.seed).set_index("customer_id")
    return int((g["group"].loc[c["customer_id"]].to_numpy() != c["group"].to_numpy()).sum())


def _group_size(group):
    def fn(ws, plan=None, **_):
        return int((reference_plan(ws, plan).contacts["group"] == group).sum())
    return fn


# ------------------------------------------------------------------------------------------------ 31.5 depth
def _depth_by_rate(ws, plan, breakeven, contiguous=True):
    d = reference_plan(ws, plan).deciles.sort_values("decile")
    pays = (d["response_rate"] >= breakeven).tolist()
    if not contiguous:
        return int(sum(pays))
    k = 0
    for ok in pays:
        if not ok:
            break
        k += 1
    return k


@exercise("31.5", "Down to which decile do you mail a catalogue?", rel_tol=0, abs_tol=0,
          hint="Compare each decile's response_rate in plan.deciles (on the planning basis) with your break-even rate "
               "of 31.1, from decile 1 down: mail while the decile's rate is at or above break-even, stop at the "
               "first decile below it. Answer the last decile you mail (0 if not even decile 1 pays).")
def _mail_depth(ws, plan=None):
    return _depth_by_rate(ws, plan, _mail_breakeven(ws, plan))


def _depth_any(ws, plan=None, **_):
    return _depth_by_rate(ws, plan, _mail_breakeven(ws, plan), contiguous=False)


def _depth_average_cost(ws, plan=None, **_):
    return _depth_by_rate(ws, plan, _average_cost(ws, plan))


def _depth_plan(ws, plan=None, **_):
    return int(reference_plan(ws, plan).kpis()["mailing_depth_deciles"])


META = {
    "31.1": {"kind": "share", "diagnoses": [
        (mistake_of(_inverted, rel=1e-3), "you divided margin by cost: break-even = cost per contact ÷ margin per "
                                          "response (a small share)"),
        (mistake_of(_average_cost, rel=1e-3), "that uses the plan's average cost per contact (mostly e-mail); use the "
                                              "cost of a catalogue, cost_per_contact['mail']"),
        (mistake_of(_per_revenue, rel=1e-3), "you divided by the revenue per response; a response pays for the "
                                             "contact with its margin, not its revenue")]},
    "31.2": {"kind": "count", "diagnoses": [
        (mistake_of(_size_field("n_treatment")), "that is the treatment group; the question asks for the control "
                                                 "members (n_control)"),
        (mistake_of(_size_field("n_total")), "that is both groups together; the question asks for the control "
                                             "members (n_control)")]},
    "31.3": {"kind": "count", "diagnoses": [
        (mistake_of(_half_without_fixed), "the budget pays the fixed cost too: cap = fixed cost + half the contact "
                                          "cost"),
        (mistake_of(_depth_plan), "that is the plan's own depth with the full budget; pass the smaller cap to "
                                  "mailing_depth")]},
    "31.4": {"kind": "count", "diagnoses": [
        (mistake_of(_group_size("control")), "that is the size of the control group; count the people whose group "
                                             "changed (the assignment hashes each id, so the order does not matter)"),
        (mistake_of(_group_size("treatment")), "that is the size of the treatment group; count the people whose "
                                               "group changed")]},
    "31.5": {"kind": "count", "diagnoses": [
        (mistake_of(_depth_average_cost), "you used the plan's average cost per contact; at the cost of a catalogue "
                                          "the break-even rate is higher and fewer deciles pay"),
        (mistake_of(_depth_any), "you counted every decile above break-even, also those after the first decile that "
                                 "does not pay; mail from decile 1 down and stop at the first that does not pay"),
        (mistake_of(_depth_plan), "that is the plan's depth for its own channels' costs; redo it at the cost of a "
                                  "catalogue")]},
}

ZH = {
    "31.1": {"title": "目录（直邮）的盈亏平衡响应率，手工计算",
             "hint": "直邮的每次接触成本（ws.cfg.economics.cost_per_contact['mail']）÷ 计划的每次响应毛利"
                     "（plan.totals()['margin_per_response']）。",
             "diagnoses": ["你用毛利除以了成本：盈亏平衡响应率 = 每次接触成本 ÷ 每次响应毛利（一个很小的比例）",
                           "这里用的是计划的平均每次接触成本（大部分是电子邮件）；"
                           "请使用目录的成本 cost_per_contact['mail']",
                           "你除以的是每次响应收入；一次响应靠的是它的毛利、而不是收入来支付接触成本"]},
    "31.2": {"title": "对照组需要多大？",
             "hint": "dbm.campaign.sample_size(baseline_rate=0.05, min_detectable_lift=0.02, significance=0.05, "
                     "power=0.8, control_share=0.1) 返回 n_control、n_treatment 和 n_total。",
             "diagnoses": ["这是目标组的人数；题目问的是对照组人数（n_control）",
                           "这是两组合计；题目问的是对照组人数（n_control）"]},
    "31.3": {"title": "接触预算减半时的投放深度",
             "hint": "dbm.campaign.mailing_depth(plan.deciles, budget=...)，预算 = 固定成本 + 计划接触成本的一半"
                     "（plan.settings.fixed_cost + plan.totals()['contact_cost'] / 2）；读出 rule 为 'within_budget' "
                     "那一行的 'deciles'。",
             "diagnoses": ["预算也要支付固定成本：上限 = 固定成本 + 一半的接触成本",
                           "这是计划在全额预算下自己的投放深度；请把更小的预算上限传给 mailing_depth"]},
    "31.4": {"title": "同一个人，同一个组",
             "hint": "用 dbm.campaign.assign_groups(ids, plan.settings.control_share, plan.settings.campaign_id, "
                     "plan.settings.seed) 按相反顺序重新分组，数一数分组与 plan.contacts 不同的人"
                     "（只看目标组和对照组）。",
             "diagnoses": ["这是对照组的人数；请数分组发生变化的人（分组对每个编号做哈希，与顺序无关）",
                           "这是目标组的人数；请数分组发生变化的人"]},
    "31.5": {"title": "目录投放到第几个十分位？",
             "hint": "从第1个十分位往下，把 plan.deciles 中每个十分位的 response_rate（计划口径）与你在31.1算出的"
                     "盈亏平衡响应率比较：不低于盈亏平衡就投放，遇到第一个低于它的十分位就停下。回答你投放的最后一个"
                     "十分位（如果连第1个都不划算，回答0）。",
             "diagnoses": ["你用的是计划的平均每次接触成本；按目录的成本，盈亏平衡响应率更高，划算的十分位更少",
                           "你把所有高于盈亏平衡的十分位都算上了，包括第一个不划算的十分位之后的那些；应从第1个往下，"
                           "遇到第一个不划算的就停",
                           "这是计划按其各渠道成本得出的投放深度；请按目录的成本重新计算"]},
}
