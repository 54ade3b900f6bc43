"""Exercises of chapter 30 (plan a campaign: target, offer, channel, timing).

30.2, 30.4 and 30.5 are built (reorder the cells, plan again with a stricter rule, re-plan with another budget and
control share); 30.6 is a decision on suppressions that follows from how the plan treats an opt-out. ``META`` gives
each exercise's kind and the diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

import warnings

from . import exercise
from .mistakes import choice_mistake, mistake_of


def reference_plan(ws, plan=None, **overrides):
    """The plan an exercise checks against: the student's own ``plan`` when given (and no knob is changed),
    else the config's plan with these overrides (the checker computes it, it is never stored)."""
    if plan is not None and not overrides:
        return plan
    from ..campaign import plan_campaign
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_campaign(ws, recommend=False, **overrides)


# ------------------------------------------------------------------------------------------------ 30.1 lost share
def _waterfall(ws, plan=None, **_):
    return reference_plan(ws, plan).waterfall.set_index("step")


@exercise("30.1", "Share of the gross selection lost to suppressions",
          hint="In plan.waterfall, read the 'remaining' of the rows with step 'gross' and step 'net'; the share "
               "lost is 1 − net ÷ gross.",
          rel_tol=1e-3, abs_tol=1e-4)
def _lost_share(ws, plan=None):
    wf = _waterfall(ws, plan)
    return 1 - wf.loc["net", "remaining"] / wf.loc["gross", "remaining"]


def _kept_share(ws, plan=None, **_):
    wf = _waterfall(ws, plan)
    return wf.loc["net", "remaining"] / wf.loc["gross", "remaining"]


# ------------------------------------------------------------------------------------------------ 30.2 priority
def _vip_count(ws, plan=None, vip_first=True):
    from ..campaign import assign_cells, default_cells
    p = reference_plan(ws, plan)
    cells = default_cells(p.settings)
    if vip_first:
        cells = [c for c in cells if c["cell"] == "VIP"] + [c for c in cells if c["cell"] != "VIP"]
    return int((assign_cells(p.selection, cells)["cell"] == "VIP").sum())


@exercise("30.2", "Priority decides: VIPs first", rel_tol=0, abs_tol=0,
          hint="Take dbm.campaign.default_cells(plan.settings), move the VIP cell in front of the BDAY cell, run "
               "dbm.campaign.assign_cells(plan.selection, cells) and count the rows whose cell is 'VIP'.")
def _vip_first(ws, plan=None):
    return _vip_count(ws, plan, vip_first=True)


# ------------------------------------------------------------------------------------------------ 30.3 SMS break-even
@exercise("30.3", "Break-even response rate of an SMS",
          hint="Break-even = cost per contact ÷ margin per response: the SMS cost is plan.settings.costs['sms'], "
               "the plan's margin per response is plan.totals()['margin_per_response'].",
          rel_tol=1e-3, abs_tol=1e-6)
def _sms_breakeven(ws, plan=None):
    from ..campaign import breakeven_response_rate
    p = reference_plan(ws, plan)
    return breakeven_response_rate(p.settings.costs["sms"], p.totals()["margin_per_response"])


def _sms_inverted(ws, plan=None, **_):
    p = reference_plan(ws, plan)
    return p.totals()["margin_per_response"] / p.settings.costs["sms"]


def _plan_breakeven(ws, plan=None, **_):
    return reference_plan(ws, plan).totals()["breakeven_response_rate"]


# ------------------------------------------------------------------------------------------------ 30.4 recent rule
def _recent_removed(ws, days):
    wf = reference_plan(ws, None, recent_contact_days=days).waterfall.set_index("step")
    return int(wf.loc["recent", "removed"]) if "recent" in wf.index else 0


@exercise("30.4", "A stricter contact rule", rel_tol=0, abs_tol=0,
          hint="Plan again with dbm.campaign.plan_campaign(ws, recent_contact_days=60, recommend=False) and read the "
               "'removed' of the step 'recent' in its waterfall (0 if the step is missing).")
def _recent_60(ws, plan=None):
    return _recent_removed(ws, 60)


def _recent_remaining(ws, plan=None, **_):
    wf = reference_plan(ws, None, recent_contact_days=60).waterfall.set_index("step")
    return int(wf.loc["recent", "remaining"]) if "recent" in wf.index else -1


def _recent_current(ws, plan=None, **_):
    wf = _waterfall(ws, plan)
    return int(wf.loc["recent", "removed"]) if "recent" in wf.index else 0


# ------------------------------------------------------------------------------------------------ 30.5 re-plan
def _replanned(ws, budget=None, control_share=0.2, **_):
    return reference_plan(ws, None, budget=float(budget), control_share=float(control_share))


@exercise("30.5", "Re-plan with other knobs: a smaller budget and a larger control group", rel_tol=0, abs_tol=0,
          hint="Open a workspace with overrides={'campaign.budget': new_budget, 'campaign.control_share': 0.2}, "
               "plan again with dbm.campaign.plan_campaign(ws2, recommend=False) and read kpis()['planned_contacts'] "
               "(the treated people the plan will contact).")
def _replan(ws, plan=None, budget=None, control_share=0.2):
    return int(_replanned(ws, budget, control_share).kpis()["planned_contacts"])


def _old_planned(ws, plan=None, **_):
    return int(reference_plan(ws, plan).kpis()["planned_contacts"])


def _with_control(ws, plan=None, budget=None, control_share=0.2):
    c = _replanned(ws, budget, control_share).contacts
    return int(c["group"].isin(["treatment", "control"]).sum())


def _net(ws, plan=None, budget=None, control_share=0.2):
    return int(_replanned(ws, budget, control_share).kpis()["campaign_net"])


# ------------------------------------------------------------------------------------------------ 30.6 opt-out
OPT_OUT_CHOICES = {
    "a": "mail her: a gold customer is worth more than the rule",
    "b": "hold her back on that channel: an opt-out is a must-not suppression, whatever her value",
    "c": "put her in the control group, so she is measured without being contacted",
}


@exercise("30.6", "An opted-out customer in the gold tier",
          hint="Suppressions come in two kinds: must-not (erasure, deceased, no consent or opt-out on the channel) and "
               "should-not (recent contact, pressure). Which kind can a high value override? Look for the opted-out "
               "people of plan.suppressions in plan.contacts on the channel they refused.")
def _opt_out(ws, plan=None):
    p = reference_plan(ws, plan)
    sup = p.suppressions
    refused = sup[sup["step"].isin(["not_opted_in", "unsubscribed"])]
    treated = p.contacts[p.contacts["group"] == "treatment"]
    leaked = treated.merge(refused[["customer_id", "channel"]], on=["customer_id", "channel"], how="inner")
    if len(leaked):
        raise ValueError(f"{len(leaked)} opted-out contact(s) are planned on the channel they refused")
    return "b"


META = {
    "30.1": {"kind": "share", "diagnoses": [
        (mistake_of(_kept_share), "that is the share kept (net ÷ gross); the share lost is 1 − net ÷ gross")]},
    "30.2": {"kind": "count", "diagnoses": [
        (mistake_of(lambda ws, plan=None, **_: _vip_count(ws, plan, vip_first=False)),
         "that is the VIP cell in the plan's own order (birthday first); move the VIP cell to the front of the list "
         "before assign_cells")]},
    "30.3": {"kind": "share", "diagnoses": [
        (mistake_of(_sms_inverted, rel=1e-3), "you divided margin by cost: the break-even rate is cost per contact ÷ "
                                              "margin per response (a small share)"),
        (mistake_of(_plan_breakeven, rel=1e-3), "that is the plan's average break-even over all channels; use the "
                                                "SMS cost (plan.settings.costs['sms'])")]},
    "30.4": {"kind": "count", "diagnoses": [
        (mistake_of(_recent_current), "that is the step with the config's contact rule; plan again with "
                                      "recent_contact_days=60"),
        (mistake_of(_recent_remaining), "that is the 'remaining' after the step; the question asks how many it "
                                        "removes")]},
    "30.5": {"kind": "count", "diagnoses": [
        (mistake_of(_old_planned), "that is the current plan's count: plan again on the workspace with the new "
                                   "budget and control share"),
        (mistake_of(_with_control), "you counted the control group too: planned contacts are the treated people "
                                    "(kpis()['planned_contacts'])"),
        (mistake_of(_net), "that is the net list after suppressions; the budget and the depth cut it further")]},
    "30.6": {"kind": "choice", "choices": OPT_OUT_CHOICES, "diagnoses": [
        (choice_mistake("a"), "an opt-out is a must-not rule (the law and her trust): no value, score or tier "
                                 "overrides it"),
        (choice_mistake("c"), "the control group is drawn at random from the people we may contact; an opted-out "
                                 "person is not in that pool, and putting her there would bias the comparison")]},
}

ZH = {
    "30.1": {"title": "初选中因排除而流失的比例",
             "hint": "在 plan.waterfall 中读出 step 为 'gross' 和 'net' 两行的 'remaining'；"
                     "流失比例 = 1 − 净名单 ÷ 初选。",
             "diagnoses": ["这是保留下来的比例（净名单 ÷ 初选）；流失比例是 1 − 净名单 ÷ 初选"]},
    "30.2": {"title": "优先级说了算：VIP分组优先",
             "hint": "取 dbm.campaign.default_cells(plan.settings)，把 VIP 分组移到 BDAY 分组之前，运行 "
                     "dbm.campaign.assign_cells(plan.selection, cells)，数一数 cell 为 'VIP' 的行。",
             "diagnoses": ["这是计划原有顺序（生日分组在前）下的VIP人数；"
                           "请先把VIP分组移到列表最前面，再调用 assign_cells"]},
    "30.3": {"title": "短信的盈亏平衡响应率",
             "hint": "盈亏平衡响应率 = 每次接触成本 ÷ 每次响应毛利：短信成本是 plan.settings.costs['sms']，"
                     "计划的每次响应毛利是 plan.totals()['margin_per_response']。",
             "diagnoses": ["你用毛利除以了成本：盈亏平衡响应率 = 每次接触成本 ÷ 每次响应毛利（一个很小的比例）",
                           "这是计划在所有渠道上的平均盈亏平衡响应率；请使用短信的成本（plan.settings.costs['sms']）"]},
    "30.4": {"title": "更严格的接触规则",
             "hint": "用 dbm.campaign.plan_campaign(ws, recent_contact_days=60, recommend=False) 重新计划，"
                     "读出其漏斗中 step 为 'recent' 的 'removed'（没有这一步则为0）。",
             "diagnoses": ["这是配置中原有接触规则下的这一步；请用 recent_contact_days=60 重新计划",
                           "这是该步骤之后剩下的人数（'remaining'）；题目问的是这一步排除了多少人"]},
    "30.5": {"title": "换一组参数重新计划：更少的预算、更大的对照组",
             "hint": "用 overrides={'campaign.budget': new_budget, 'campaign.control_share': 0.2} 打开一个工作区，"
                     "再用 dbm.campaign.plan_campaign(ws2, recommend=False) 重新计划，读出 kpis()['planned_contacts']"
                     "（计划将联系的目标组人数）。",
             "diagnoses": ["这是当前计划的人数：请在设置了新预算和新对照组比例的工作区上重新计划",
                           "你把对照组也算进去了：计划接触人数只算目标组（kpis()['planned_contacts']）",
                           "这是排除后的净名单；预算和投放深度还会进一步削减它"]},
    "30.6": {"title": "一位已退订的黄金等级客户",
             "hint": "排除分两类：“不得联系”（删除、已故、该渠道没有同意或已退订）和“不宜联系”（近期接触、接触频率）。"
                     "哪一类可以因为客户价值高而破例？在 plan.contacts 中查找 plan.suppressions 里已退订的人，"
                     "看看他们是否出现在自己拒绝的渠道上。",
             "diagnoses": ["退订属于“不得联系”的规则（法律和客户的信任）：任何价值、得分或等级都不能推翻它",
                           "对照组是从我们可以联系的人中随机抽取的；已退订的人不在这个范围内，把她放进去会使比较产生偏差"]},
}
