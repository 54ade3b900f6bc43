"""Exercises of chapter 41 (learn: A/B tests, uplift, dashboard, feedback). Expected answers come from the workspace.

41.1 builds the A/B sample size by hand (the pooled formula of ``dbm.evaluate.ab_sample_size`` and the textbook
unpooled formula are both accepted); 41.5 decides the mailing depth from the uplift deciles' lower bounds. ``META``
gives each exercise's kind and the diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

import math

from . import exercise
from .mistakes import mistake_of

P1, LIFT = 0.20, 0.03          # 41.1: a 20 % open rate, a lift of 3 points to detect (α = 5 %, power 80 %)


# ------------------------------------------------------------------------------------------------ 41.1 sample size
def _z(alpha=0.05, power=0.80, two_sided=True):
    from scipy import stats
    return float(stats.norm.ppf(1 - alpha / (2 if two_sided else 1))), float(stats.norm.ppf(power))


def _n_exact(pooled=True, two_sided=True):
    p1, p2 = P1, P1 + LIFT
    za, zb = _z(two_sided=two_sided)
    spread = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    null = math.sqrt(2 * ((p1 + p2) / 2) * (1 - (p1 + p2) / 2)) if pooled else spread
    return (za * null + zb * spread) ** 2 / LIFT ** 2


@exercise("41.1", "Sample size per version of an A/B test, by hand",
          hint="n = (z₀.₉₇₅·sqrt(2·p̄(1−p̄)) + z₀.₈·sqrt(p₁(1−p₁) + p₂(1−p₂)))² / (p₂ − p₁)², p₁ = 0.20, p₂ = 0.23, "
               "p̄ = their mean; round up (the unpooled textbook form (z₀.₉₇₅ + z₀.₈)²·(p₁(1−p₁) + p₂(1−p₂)) / "
               "(p₂ − p₁)² is accepted too) — then compare with dbm.evaluate.ab_sample_size(0.20, 0.03)",
          rel_tol=0, abs_tol=0)
def _n(ws=None, **_):
    from ..evaluate import ab_sample_size
    return ab_sample_size(P1, LIFT)


def _n_unpooled(ws=None, **_):
    return int(math.ceil(_n_exact(pooled=False) - 1e-9))


def _not_rounded_up(answer, expected, ws=None, **_):
    try:
        a = float(answer)
        return not a.is_integer() and any(abs(a - _n_exact(p)) < 0.5 or int(a) == math.floor(_n_exact(p))
                                          for p in (True, False))
    except Exception:  # noqa: BLE001 - feedback must never break a notebook
        return False


def _both_versions(ws=None, **_):
    return 2 * _n()


def _one_sided(ws=None, **_):
    return int(math.ceil(_n_exact(two_sided=False) - 1e-9))


def _in_points(answer, expected, ws=None, **_):
    """The lift written as 3 (points) instead of 0.03: the sample size comes out 10,000 times too small."""
    try:
        a = float(answer)
        return 0 < a < 1 and not isinstance(answer, bool)
    except Exception:  # noqa: BLE001
        return False


# ------------------------------------------------------------------------------------------------ 41.2 winner
@exercise("41.2", "Winner of the subject-line test on opens",
          hint="ab = dbm.evaluate.ab_test_data(ws, dbm.evaluate.find_ab_test(ws)); "
               "dbm.evaluate.ab_test(ab, 'cell', 'opened', 'A', 'B')['winner']")
def _winner(ws, **_):
    return _ab_row(ws, "opened")["winner"]


def _ab_row(ws, outcome):
    from ..evaluate import ab_test, ab_test_data, find_ab_test
    cid = find_ab_test(ws)
    if cid is None:
        raise ValueError("this client has no A/B test in its campaign history")
    ab = ab_test_data(ws, cid)
    cells = sorted(ab["cell"].unique())[:2]
    return ab_test(ab, "cell", outcome, cells[0], cells[1]).iloc[0]


def _higher_but_not_significant(answer, expected, ws=None, **_):
    try:
        return (str(expected) == "no clear winner" and str(answer).strip().upper() in ("A", "B"))
    except Exception:  # noqa: BLE001
        return False


def _winner_on_purchases(answer, expected, ws=None, **_):
    try:
        a = str(answer).strip().lower()
        return a != str(expected).strip().lower() and a == str(_ab_row(ws, "responded")["winner"]).lower()
    except Exception:  # noqa: BLE001
        return False


# ------------------------------------------------------------------------------------------------ 41.3 churn
@exercise("41.3", "Churn rate of the latest year",
          hint="r = dbm.evaluate.retention_rates(ws, 365); r['churn_rate'].iloc[-1] — or by hand: buyers of the year "
               "before who did not buy in the latest year ÷ buyers of the year before",
          rel_tol=1e-3, abs_tol=1e-4)
def _churn(ws, **_):
    from ..evaluate import retention_rates
    return float(retention_rates(ws, 365)["churn_rate"].iloc[-1])


def _retention(ws, **_):
    from ..evaluate import retention_rates
    return float(retention_rates(ws, 365)["retention_rate"].iloc[-1])


def _quarterly_churn(ws, **_):
    from ..evaluate import retention_rates
    return float(retention_rates(ws, 91)["churn_rate"].iloc[-1])


# ------------------------------------------------------------------------------------------------ 41.4 reminders
def _follow_ups(ws):
    from ..evaluate import collect_results, follow_up_list
    return follow_up_list(collect_results(ws, fallback_to_past=True), wait_days=3)


@exercise("41.4", "Contacts who get the 'clicked, no purchase' reminder",
          hint="f = dbm.evaluate.follow_up_list(bundle, wait_days=3); (f['trigger'] == 'clicked, no purchase').sum()",
          rel_tol=0, abs_tol=0)
def _reminders(ws, **_):
    return int((_follow_ups(ws)["trigger"] == "clicked, no purchase").sum())


def _all_follow_ups(ws, **_):
    return len(_follow_ups(ws))


# ------------------------------------------------------------------------------------------------ 41.5 depth
def _profit_count(deciles, margin_per_response, cost, column):
    p = (deciles[column].astype(float) * float(margin_per_response) - float(cost)).round(6)
    return int((p > 0).sum())


@exercise("41.5", "How many uplift deciles pay at the lower bound?", rel_tol=0, abs_tol=0,
          hint="A decile pays when uplift × margin per response − cost per contact > 0. Decide on the pessimistic end: "
               "use the lower bound of each decile's observed uplift (ci_low in planned_deciles), with the chapter's "
               "margin_per_response and cost, and count the deciles that still pay.")
def _lower_bound_deciles(ws=None, deciles=None, margin_per_response=None, cost=None):
    if deciles is None:
        raise ValueError("pass deciles=planned_deciles, margin_per_response= and cost= (the chapter's variables)")
    return _profit_count(deciles, margin_per_response, cost, "ci_low")


def _depth_diagnosis(column):
    def fn(answer, expected, ws=None, deciles=None, margin_per_response=None, cost=None, **_):
        try:
            if isinstance(answer, bool) or float(answer) == float(expected):
                return False
            return float(answer) == _profit_count(deciles, margin_per_response, cost, column)
        except Exception:  # noqa: BLE001 - feedback must never break a notebook
            return False
    return fn


def _no_cost(answer, expected, ws=None, deciles=None, **_):
    try:
        if isinstance(answer, bool) or float(answer) == float(expected):
            return False
        return float(answer) == int((deciles["ci_low"].astype(float) > 0).sum())
    except Exception:  # noqa: BLE001
        return False


META = {
    "41.1": {"kind": "count", "accept": [_n_unpooled], "diagnoses": [
        (_not_rounded_up, "round up: a fraction of a contact is not possible and rounding down falls short of the "
                          "power"),
        (mistake_of(_both_versions), "that is both versions together; the question asks for the contacts per "
                                     "version"),
        (mistake_of(_one_sided), "you used a one-sided z (1.645); the test is two-sided, z₀.₉₇₅ = 1.96"),
        (_in_points, "this looks like the lift was written in points (3) instead of a share (0.03)")]},
    "41.2": {"kind": "label", "labels": {"no clear winner": "无明显胜者"}, "diagnoses": [
        (_higher_but_not_significant, "a higher open rate is not yet a win: the difference is not significant at 5 %, "
                                      "so the answer is 'no clear winner'"),
        (_winner_on_purchases, "that is the result on purchases (responded); the question asks about opens")]},
    "41.3": {"kind": "share", "diagnoses": [
        (mistake_of(_retention, rel=1e-3), "that is the retention rate; churn = 1 − retention"),
        (mistake_of(_quarterly_churn, rel=1e-3), "that is a quarterly churn rate (91-day periods); the question asks "
                                                 "for the yearly one (365 days)")]},
    "41.4": {"kind": "count", "diagnoses": [
        (mistake_of(_all_follow_ups), "that is every follow-up of the list; count only the trigger 'clicked, no "
                                      "purchase'")]},
    "41.5": {"kind": "count", "diagnoses": [
        (_depth_diagnosis("predicted_uplift"), "you counted the deciles the model would target (predicted uplift); "
                                               "decide on the observed uplift's lower bound, ci_low"),
        (_depth_diagnosis("observed_uplift"), "you used the observed uplift's point estimate; the decision uses the "
                                              "pessimistic end of its interval, ci_low"),
        (_no_cost, "you counted the deciles whose lower bound is above zero; a decile pays only when "
                   "ci_low × margin per response exceeds the cost per contact")]},
}

ZH = {
    "41.1": {"title": "手工计算A/B测试每个版本所需的样本量",
             "hint": "n = (z₀.₉₇₅·sqrt(2·p̄(1−p̄)) + z₀.₈·sqrt(p₁(1−p₁) + p₂(1−p₂)))² / (p₂ − p₁)²，p₁ = 0.20，"
                     "p₂ = 0.23，p̄ 为两者的平均值；向上取整（教科书上的非合并形式 (z₀.₉₇₅ + z₀.₈)²·(p₁(1−p₁) + "
                     "p₂(1−p₂)) / (p₂ − p₁)² 也算正确）——然后与 dbm.evaluate.ab_sample_size(0.20, 0.03) 比较",
             "diagnoses": ["请向上取整：接触人数不可能是小数，向下取整会达不到要求的检验功效",
                           "这是两个版本加在一起的人数；题目问的是每个版本的接触人数",
                           "你用了单侧的 z（1.645）；这是双侧检验，z₀.₉₇₅ = 1.96",
                           "看起来提升被写成了百分点（3），而不是小数（0.03）"]},
    "41.2": {"title": "邮件标题测试在打开率上的胜者",
             "hint": "取出A/B测试的数据，比较两个版本的打开率，并看差异是否显著："
                     "ab = dbm.evaluate.ab_test_data(ws, dbm.evaluate.find_ab_test(ws)); "
                     "dbm.evaluate.ab_test(ab, 'cell', 'opened', 'A', 'B')['winner']",
             "diagnoses": ["打开率更高还不等于胜出：在5%的显著性水平下差异不显著，所以答案是“无明显胜者”",
                           "这是购买（responded）上的结果；题目问的是打开"]},
    "41.3": {"title": "最近一年的流失率",
             "hint": "r = dbm.evaluate.retention_rates(ws, 365); r['churn_rate'].iloc[-1]——或者手工计算：上一年购买过、"
                     "最近一年没有购买的客户数 ÷ 上一年购买过的客户数",
             "diagnoses": ["这是留存率；流失率 = 1 − 留存率",
                           "这是按季度（91天为一期）计算的流失率；题目要的是按年（365天）计算的流失率"]},
    "41.4": {"title": "收到“点击未购买”提醒的接触客户数",
             "hint": "先生成跟进名单，再数触发条件为“点击未购买”的行："
                     "f = dbm.evaluate.follow_up_list(bundle, wait_days=3); "
                     "(f['trigger'] == 'clicked, no purchase').sum()",
             "diagnoses": ["这是名单上全部的跟进接触；只统计触发条件为 'clicked, no purchase' 的"]},
    "41.5": {"title": "按置信区间下限，有几个增量十分位值得接触？",
             "hint": "一个十分位值得接触的条件是：增量 × 每次响应的毛利 − 单次接触成本 > 0。"
                     "按悲观的一端来决定：用每个十分位观测增量的下限（planned_deciles 中的 ci_low），"
                     "配合本章的 margin_per_response 和 cost，数一数仍然有利可图的十分位。",
             "diagnoses": ["你数的是模型会选中的十分位（预测增量）；应按观测增量的下限 ci_low 来决定",
                           "你用的是观测增量的点估计；决策用的是其置信区间悲观的一端，即 ci_low",
                           "你数的是下限大于零的十分位；只有当 ci_low × 每次响应的毛利超过单次接触成本时，"
                           "这个十分位才有利可图"]},
}
