"""Exercises of chapter 40 (evaluate: lift over control, ROI and KPIs). Expected answers come from the workspace.

40.1 and 40.2 build the lift and its 95 % interval by hand before ``dbm.evaluate.compare_groups`` shows the same
numbers (the Wald interval by hand and the chapter's Newcombe interval are both accepted); 40.3 decides whether
the lift is worth rolling out, which only follows from the interval. ``META`` gives each exercise's kind and the
diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

import math

from . import exercise
from .mistakes import choice_mistake, mistake_of


def _results(ws, results=None):
    """The contacts with their outcomes: the chapter's ``results`` when given (the exercises before the write-back),
    else the table ``campaign_results`` written back to the database."""
    return results if results is not None else ws.table("campaign_results")


def _rates(ws, results=None):
    r = _results(ws, results)
    g = r[r["group"].isin(["treatment", "control"])].groupby("group")["responded"].agg(["mean", "size"])
    return float(g.loc["treatment", "mean"]), int(g.loc["treatment", "size"]), float(g.loc["control", "mean"]), \
        int(g.loc["control", "size"])


def _alpha(ws, alpha=None):
    return float(alpha if alpha is not None else ws.cfg.campaign.significance)


# ------------------------------------------------------------------------------------------------ 40.1 lift
@exercise("40.1", "Absolute lift in response rate, by hand",
          hint="rates = results.groupby('group')['responded'].mean(); rates['treatment'] - rates['control'] "
               "(a share: 0.012 is 1.2 points)",
          rel_tol=0, abs_tol=1e-6)
def _lift(ws, results=None, **_):
    pt, _, pc, _ = _rates(ws, results)
    return pt - pc


def _lift_points(ws, results=None, **_):
    return 100 * _lift(ws, results)


def _lift_reversed(ws, results=None, **_):
    return -_lift(ws, results)


def _relative_lift(ws, results=None, **_):
    pt, _, pc, _ = _rates(ws, results)
    return pt / pc - 1


def _treated_rate(ws, results=None, **_):
    return _rates(ws, results)[0]


# ------------------------------------------------------------------------------------------------ 40.2 interval
def _wald_low(ws, results=None, alpha=None, n_treated=None, n_control=None, z=None, **_):
    from ..power import z_critical
    pt, nt, pc, nc = _rates(ws, results)
    nt, nc = n_treated or nt, n_control or nc
    z = z or z_critical(_alpha(ws, alpha))
    return pt - pc - z * math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)


def _newcombe(ws, results=None, alpha=None, **_):
    from ..evaluate import compare_groups
    r = _results(ws, results)
    c = compare_groups(r[r["group"].isin(["treatment", "control"])], "group", ["responded"], "control",
                       alpha=_alpha(ws, alpha))
    row = c.iloc[0]
    return float(row["ci_low"]), float(row["ci_high"])


@exercise("40.2", "The lower end of the lift's 95 % interval, by hand", rel_tol=0, abs_tol=1e-3,
          hint="Wald: se = sqrt(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c), each rate with its OWN group's n; the interval "
               "is lift ± z·se with z = 1.96 for 95 %. Answer the lower end, as a share.")
def _interval_low(ws, results=None, alpha=None):
    return _wald_low(ws, results, alpha)


def _newcombe_low(ws, results=None, alpha=None, **_):
    return _newcombe(ws, results, alpha)[0]


def _control_n_both(ws, results=None, alpha=None, **_):
    nc = _rates(ws, results)[3]
    return _wald_low(ws, results, alpha, n_treated=nc, n_control=nc)


def _treated_n_both(ws, results=None, alpha=None, **_):
    nt = _rates(ws, results)[1]
    return _wald_low(ws, results, alpha, n_treated=nt, n_control=nt)


def _upper_end(ws, results=None, alpha=None, **_):
    return 2 * _lift(ws, results) - _wald_low(ws, results, alpha)


def _ninety(ws, results=None, alpha=None, **_):
    return _wald_low(ws, results, alpha, z=1.6448536269514722)


def _low_points(ws, results=None, alpha=None, **_):
    return 100 * _wald_low(ws, results, alpha)


# ------------------------------------------------------------------------------------------------ 40.3 roll out?
ROLL_OUT_CHOICES = {
    "a": "yes: the whole interval lies above zero, the campaign raised purchases",
    "b": "no: the interval includes zero, we cannot tell whether the campaign raised purchases at all",
    "c": "no: the whole interval lies below zero, the campaign lowered purchases",
}


@exercise("40.3", "Is this lift worth rolling out?",
          hint="Look at the interval of the lift (compare_groups: ci_low and ci_high), not at its point estimate: "
               "above zero, across zero or below zero?")
def _roll_out(ws, results=None, alpha=None):
    lo, hi = _newcombe(ws, results, alpha)
    return "a" if lo > 0 else ("c" if hi < 0 else "b")


# ------------------------------------------------------------------------------------------------ 40.4 incremental
@exercise("40.4", "Incremental responses",
          hint="(treated rate − control rate) × the number of rows with group == 'treatment'",
          rel_tol=1e-3, abs_tol=0.05)
def _incremental(ws, results=None, **_):
    pt, nt, pc, _ = _rates(ws, results)
    return (pt - pc) * nt


def _incremental_control_n(ws, results=None, **_):
    pt, _, pc, nc = _rates(ws, results)
    return (pt - pc) * nc


def _all_treated_responses(ws, results=None, **_):
    pt, nt, _, _ = _rates(ws, results)
    return pt * nt


# ------------------------------------------------------------------------------------------------ 40.5 open rate
@exercise("40.5", "Open rate of the first e-mail campaign",
          hint="Find the campaign: ws.sql(\"SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY "
               "start_date LIMIT 1\"); then count DISTINCT customer_id with event IN ('opened','clicked') and with "
               "event IN ('delivered','opened','clicked') in email_events for it, and divide.",
          rel_tol=1e-3, abs_tol=1e-4)
def _open_rate(ws, **_):
    from ..evaluate import email_kpis
    return float(email_kpis(ws).set_index("campaign_id").loc[_first_email(ws), "open_rate"])


def _first_email(ws):
    return ws.sql("SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY start_date, campaign_id "
                  "LIMIT 1")["campaign_id"].iloc[0]


def _open_per_sent(ws, **_):
    from ..evaluate import email_kpis
    k = email_kpis(ws).set_index("campaign_id").loc[_first_email(ws)]
    return float(k["open_rate"] * k["delivered"] / k["sent"])


# ------------------------------------------------------------------------------------------------ 40.6 ROI
def _roi_parts(ws, results=None):
    r = _results(ws, results)
    t = r[r["group"] == "treatment"]
    m = r.groupby("group")["margin"].mean()
    cost = float(t["channel"].map(dict(ws.cfg.economics.cost_per_contact)).fillna(0).sum()
                 + ws.cfg.economics.campaign_fixed_cost)
    return m, len(t), cost


@exercise("40.6", "ROI of the campaign",
          hint="margin per contact: r.groupby('group')['margin'].mean(); cost = treated contacts × cost per contact "
               "of their channel (ws.cfg.economics.cost_per_contact) + ws.cfg.economics.campaign_fixed_cost",
          rel_tol=1e-3, abs_tol=1e-4)
def _roi(ws, results=None, **_):
    m, n, cost = _roi_parts(ws, results)
    return float(((m["treatment"] - m["control"]) * n - cost) / cost)


def _roi_gross(ws, results=None, **_):
    m, n, cost = _roi_parts(ws, results)
    return float((m["treatment"] * n - cost) / cost)


def _roi_no_fixed(ws, results=None, **_):
    m, n, cost = _roi_parts(ws, results)
    cost -= float(ws.cfg.economics.campaign_fixed_cost)
    return float(((m["treatment"] - m["control"]) * n - cost) / cost)


META = {
    "40.1": {"kind": "number", "diagnoses": [
        (mistake_of(_lift_points, rel=1e-4), "this looks like percentage points; give the lift as a share "
                                             "(1.2 points is 0.012)"),
        (mistake_of(_lift_reversed, rel=1e-4), "you subtracted the wrong way round: treated rate − control rate"),
        (mistake_of(_relative_lift, rel=1e-4), "that is the relative lift (treated ÷ control − 1); the question asks "
                                               "for the absolute difference of the rates"),
        (mistake_of(_treated_rate, rel=1e-4), "that is the treated group's response rate alone; subtract the control "
                                              "group's rate, the purchases that would have happened anyway")]},
    "40.2": {"kind": "number", "accept": [_newcombe_low], "diagnoses": [
        (mistake_of(_control_n_both, abs_=5e-4), "you used the control group's n for both groups: each rate's "
                                                 "variance is divided by its own group's size"),
        (mistake_of(_treated_n_both, abs_=5e-4), "you used the treated group's n for both groups: the small control "
                                                 "group makes the interval wide, divide its variance by its own n"),
        (mistake_of(_upper_end, abs_=5e-4), "that is the upper end of the interval; the question asks for the lower"),
        (mistake_of(_ninety, abs_=5e-4), "that is a 90 % interval (z = 1.645); a 95 % interval uses z = 1.96"),
        (mistake_of(_low_points, rel=1e-3), "this looks like percentage points; give the lower end as a share")]},
    "40.3": {"kind": "choice", "choices": ROLL_OUT_CHOICES, "diagnoses": [
        (choice_mistake("a"), "the point estimate alone does not show it: the interval's lower end is not above "
                                 "zero"),
        (choice_mistake("b"), "read the interval again: it does not include zero"),
        (choice_mistake("c"), "the interval's upper end is not below zero: a harm is not shown either")]},
    "40.4": {"kind": "number", "diagnoses": [
        (mistake_of(_incremental_control_n, rel=1e-3), "you used the control group's n: the extra responses are "
                                                       "among the treated, multiply the lift by the treated contacts"),
        (mistake_of(_all_treated_responses, rel=1e-3), "that is every response of the treated group; subtract those "
                                                       "the control rate says would have happened anyway")]},
    "40.5": {"kind": "share", "diagnoses": [
        (mistake_of(_open_per_sent, rel=1e-3), "you divided by the e-mails sent; the open rate is per delivered "
                                               "recipient (bounces never reached an inbox)")]},
    "40.6": {"kind": "number", "diagnoses": [
        (mistake_of(_roi_gross, rel=1e-3), "you counted the treated group's whole margin; only the difference to the "
                                           "control group's margin per contact is caused by the campaign"),
        (mistake_of(_roi_no_fixed, rel=1e-3), "the cost includes the campaign's fixed cost "
                                              "(economics.campaign_fixed_cost) as well as the contacts")]},
}

ZH = {
    "40.1": {"title": "手工计算响应率的绝对提升",
             "hint": "rates = results.groupby('group')['responded'].mean(); rates['treatment'] - rates['control']"
                     "（用小数表示：0.012 即1.2个百分点）",
             "diagnoses": ["这看起来是百分点；请把提升写成小数（1.2个百分点即0.012）",
                           "减反了：应为目标组响应率 − 对照组响应率",
                           "这是相对提升（目标组 ÷ 对照组 − 1）；题目要的是两个比率的绝对差",
                           "这只是目标组的响应率；还要减去对照组的响应率，即不做活动也会发生的购买"]},
    "40.2": {"title": "手工计算提升的95%置信区间下限",
             "hint": "Wald 区间：se = sqrt(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c)，每个比率用它自己那一组的 n；区间为"
                     "提升 ± z·se，95%时 z = 1.96。请给出下限，用小数表示。",
             "diagnoses": ["两组都用了对照组的 n：每个比率的方差要除以它自己那一组的人数",
                           "两组都用了目标组的 n：对照组较小，区间因此较宽，它的方差要除以它自己的 n",
                           "这是区间的上限；题目要的是下限",
                           "这是90%区间（z = 1.645）；95%区间用 z = 1.96",
                           "这看起来是百分点；请把下限写成小数"]},
    "40.3": {"title": "这个提升值得推广吗？",
             "hint": "看提升的置信区间（compare_groups 的 ci_low 和 ci_high），而不是点估计：区间在零以上、跨过零，"
                     "还是在零以下？",
             "diagnoses": ["只看点估计说明不了这一点：区间的下限并不在零以上",
                           "再看一遍区间：它并不包含零",
                           "区间的上限并不在零以下：也没有证据表明活动有害"]},
    "40.4": {"title": "增量响应",
             "hint": "（目标组响应率 − 对照组响应率）× group == 'treatment' 的行数",
             "diagnoses": ["你用了对照组的人数：多出来的响应发生在目标组中，应该用提升乘以目标组接触人数",
                           "这是目标组的全部响应；还要减去按对照组响应率本来就会发生的那部分"]},
    "40.5": {"title": "第一次邮件活动的打开率",
             "hint": "先找到这次活动：ws.sql(\"SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY "
                     "start_date LIMIT 1\")；然后在 email_events 中分别统计该活动 event IN ('opened','clicked') 和 "
                     "event IN ('delivered','opened','clicked') 的 DISTINCT customer_id 数，再相除。",
             "diagnoses": ["你除以的是发送的邮件数；打开率按送达的收件人计算（退信的邮件根本没有进入收件箱）"]},
    "40.6": {"title": "活动的投资回报率",
             "hint": "每位接触客户的毛利：r.groupby('group')['margin'].mean()；"
                     "成本 = 目标组接触人数 × 其渠道的单次接触成本（ws.cfg.economics.cost_per_contact）"
                     "+ ws.cfg.economics.campaign_fixed_cost",
             "diagnoses": ["你算的是目标组的全部毛利；只有与对照组每位接触客户毛利之差才是活动带来的",
                           "成本除了接触成本，还包括活动的固定成本（economics.campaign_fixed_cost）"]},
}
