"""Exercises of chapter 26 (predictive models): a lift by hand on 20 customers, the top-decile lift of the
response model on the holdout by hand before ``gains_table``, the customers at risk and likely to stay quiet, and
the break-even mailing depth.

26.2 and 26.4 take the chapter's model result (``result``, a :class:`dbmkit.models.ModelResult`) and, for the
diagnosis of 26.2, the training contacts (``data``). ``META`` holds the kinds and the diagnoses of the usual
mistakes (read by the exercise engine)."""
from __future__ import annotations

import math

import numpy as np

from . import exercise
from .mistakes import near

# a small scored mailing for the hand computation of 26.1: 20 customers, 4 responders
EXAMPLE_Y = [1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
EXAMPLE_SCORE = [0.91, 0.85, 0.80, 0.77, 0.70, 0.66, 0.61, 0.55, 0.52, 0.48,
                 0.44, 0.40, 0.35, 0.31, 0.28, 0.22, 0.18, 0.12, 0.08, 0.03]


@exercise("26.1", "Top-quintile lift by hand",
          hint="Sort by score (already sorted here), take the top 20 % (4 customers), compute their response rate "
               "and divide it by the overall response rate (4 of 20).")
def _hand_lift(ws=None):
    top = EXAMPLE_Y[:4]
    return (sum(top) / 4) / (sum(EXAMPLE_Y) / len(EXAMPLE_Y))


def top_group_lift(y, score, share: float = 0.10, n_top: int | None = None, highest_first: bool = True) -> float:
    """Response rate of the ``n_top`` (default: the first ``share``, rounded up as in ``models.decile``) highest
    scores ÷ the overall rate."""
    y = np.asarray(y, float)
    s = np.asarray(score, float)
    order = np.argsort(-s if highest_first else s, kind="stable")
    k = int(n_top) if n_top is not None else int(math.ceil(share * len(y)))
    return float(y[order[:k]].mean() / y.mean())


def _holdout(result):
    return result.test["y"].to_numpy(), result.test["score"].to_numpy()


@exercise("26.2", "Top-decile lift of the response model on the holdout, by hand",
          hint="On result.test (the holdout contacts): sort by score, highest first; the top 10 % are the first "
               "ceil(n / 10) rows; lift = their response rate ÷ the response rate of all holdout contacts.")
def _holdout_lift(ws, result=None, data=None):
    y, s = _holdout(result)
    return top_group_lift(y, s)


def _lift_floor(ws, result=None, data=None):
    y, s = _holdout(result)
    return top_group_lift(y, s, n_top=max(1, len(y) // 10))


def _lift_round(ws, result=None, data=None):
    y, s = _holdout(result)
    return top_group_lift(y, s, n_top=max(1, int(round(len(y) / 10))))


@exercise("26.3", "Overdue by their own rhythm and likely to stay quiet",
          hint="Lifecycle stages come from dbm.segments.lifecycle_stage(ws.table('customer_summary'), "
               "lost_days=ws.cfg.analysis.active_days) (chapter 24's defaults); join them with ws.table('scores') on "
               "customer_id and count the customers whose lifecycle_stage is 'at_risk' and whose churn_score > 0.5 "
               "(more likely than not to make no purchase in the next churn_horizon_days days).",
          rel_tol=0, abs_tol=0)
def _at_risk_and_quiet(ws):
    d = _stages_scores(ws)
    return int(((d["lifecycle_stage"] == "at_risk") & (d["churn_score"] > 0.5)).sum())


def _stages_scores(ws):
    from ..segments import lifecycle_stage
    st = lifecycle_stage(ws.table("customer_summary"), lost_days=int(ws.cfg.analysis.active_days))
    return st.merge(ws.table("scores"), on="customer_id")


def breakeven_depth(response_rate, cost: float, margin: float) -> int:
    """Deciles to mail, from the top, before the first decile whose response rate is below cost ÷ margin."""
    below = np.asarray(response_rate, float) < float(cost) / float(margin)
    return int(np.argmax(below)) if below.any() else int(len(below))


@exercise("26.4", "Mailing depth at break-even",
          hint="Break-even response rate = cost per contact ÷ margin per response. Read the response rate of each "
               "decile of the holdout gains table, from decile 1 down, and stop before the first decile below it "
               "(answer with the number of deciles mailed; 0 if even decile 1 is below).",
          rel_tol=0, abs_tol=0)
def _depth(ws, result=None, cost=1.0, margin=20.0):
    from ..models import gains_table
    g = gains_table(result.test["y"], result.test["score"], n_bins=10)
    return breakeven_depth(g["response_rate"], cost, margin)


# ------------------------------------------------------------------------------------------------ diagnoses
def _rate_not_lift(answer, expected, ws=None, **ctx) -> bool:
    return near(answer, sum(EXAMPLE_Y[:4]) / 4)


def _lift_over_bottom_26_2(answer, expected, ws=None, result=None, **ctx) -> bool:
    try:
        from ..models import gains_table
        g = gains_table(result.test["y"], result.test["score"], n_bins=10)
        return near(answer, g["response_rate"].iloc[0] / g["response_rate"].iloc[-1])
    except Exception:  # noqa: BLE001 - a diagnosis never raises
        return False


def _top_rate_26_2(answer, expected, ws=None, result=None, **ctx) -> bool:
    try:
        y, s = _holdout(result)
        return near(answer, top_group_lift(y, s) * y.mean())
    except Exception:  # noqa: BLE001
        return False


def _training_data_26_2(answer, expected, ws=None, result=None, data=None, **ctx) -> bool:
    try:
        if data is None or result is None:
            return False
        test_ids = set(result.test["campaign_id"])
        tr = data[~data["campaign_id"].isin(test_ids)]
        if tr.empty:
            return False
        return near(answer, top_group_lift(tr["responded"], result.score(tr)), rel=0.01)
    except Exception:  # noqa: BLE001
        return False


def _lowest_first_26_2(answer, expected, ws=None, result=None, **ctx) -> bool:
    try:
        y, s = _holdout(result)
        return near(answer, top_group_lift(y, s, highest_first=False))
    except Exception:  # noqa: BLE001
        return False


def _cumulative_26_4(answer, expected, ws=None, result=None, cost=1.0, margin=20.0, **ctx) -> bool:
    try:
        from ..models import gains_table
        g = gains_table(result.test["y"], result.test["score"], n_bins=10)
        cum_rate = g["responders"].cumsum() / g["n"].cumsum()
        wrong = int((cum_rate >= cost / margin).sum())
        return wrong != int(expected) and int(float(answer)) == wrong
    except Exception:  # noqa: BLE001
        return False


def _lift_above_one_26_4(answer, expected, ws=None, result=None, **ctx) -> bool:
    try:
        from ..models import gains_table
        g = gains_table(result.test["y"], result.test["score"], n_bins=10)
        wrong = breakeven_depth(g["lift"], 1.0, 1.0)
        return wrong != int(expected) and int(float(answer)) == wrong
    except Exception:  # noqa: BLE001
        return False


def _active_not_at_risk_26_3(answer, expected, ws=None, **ctx) -> bool:
    try:
        s = ws.table("customer_summary").merge(ws.table("scores"), on="customer_id")
        wrong = int(((s["days_since_last"] <= ws.cfg.analysis.active_days) & (s["churn_score"] > 0.5)).sum())
        return wrong != int(expected) and int(float(answer)) == wrong
    except Exception:  # noqa: BLE001
        return False


def _no_score_filter_26_3(answer, expected, ws=None, **ctx) -> bool:
    try:
        wrong = int((_stages_scores(ws)["lifecycle_stage"] == "at_risk").sum())
        return wrong != int(expected) and int(float(answer)) == wrong
    except Exception:  # noqa: BLE001
        return False


META = {
    "26.1": {"kind": "number", "diagnoses": [
        (_rate_not_lift, "this is the top quintile's response rate; lift divides it by the overall rate (4 of 20)"),
    ]},
    "26.2": {"kind": "number", "accept": [_lift_floor, _lift_round], "diagnoses": [
        (_lift_over_bottom_26_2, "lift of a decile is its rate over the overall rate, not over the bottom decile"),
        (_top_rate_26_2, "this is the top decile's response rate; divide it by the rate of all holdout contacts"),
        (_lowest_first_26_2, "you took the lowest scores: sort highest first (ascending=False)"),
        (_training_data_26_2, "you used the training data, not the holdout (result.test): a model always looks "
                              "better on the contacts it learned from"),
    ]},
    "26.3": {"kind": "count", "diagnoses": [
        (_active_not_at_risk_26_3, "you took the active customers (days_since_last ≤ active_days); the exercise asks "
                                   "for the lifecycle stage 'at_risk', overdue against their own rhythm"),
        (_no_score_filter_26_3, "you counted every at-risk customer; keep only those with churn_score > 0.5"),
    ]},
    "26.4": {"kind": "count", "diagnoses": [
        (_cumulative_26_4, "you compared the cumulative response rate with break-even: the deciles above pay for "
                           "a decile that loses money — judge each decile on its own rate"),
        (_lift_above_one_26_4, "you mailed the deciles with a lift above 1; the threshold is the break-even rate "
                               "cost ÷ margin, not the average rate"),
    ]},
}

ZH = {
    "26.1": {"title": "手工计算前五分之一的提升度",
             "hint": "按得分排序（这里已经排好），取得分最高的20%（4位客户），算出他们的响应率，再除以总体响应率"
                     "（20人中4人响应）。",
             "diagnoses": ["这是前五分之一的响应率；提升度还要除以总体响应率（20人中4人）"]},
    "26.2": {"title": "手工计算响应模型在验证集上第一个十分位的提升度",
             "hint": "在 result.test（验证集的接触）上按得分从高到低排序；前10%是前 ceil(n / 10) 行；"
                     "提升度 = 这些接触的响应率 ÷ 全部验证集接触的响应率。",
             "diagnoses": ["一个十分位的提升度是它的响应率除以总体响应率，而不是除以最后一个十分位的响应率",
                           "这是第一个十分位的响应率；还要除以全部验证集接触的响应率",
                           "你取的是得分最低的一组：要按得分从高到低排序（ascending=False）",
                           "你用的是训练数据，而不是验证集（result.test）：模型在自己学过的接触上总是显得更好"]},
    "26.3": {"title": "相对自己的节奏已经逾期、且很可能继续沉寂的客户",
             "hint": "生命周期阶段由 dbm.segments.lifecycle_stage(ws.table('customer_summary'), "
                     "lost_days=ws.cfg.analysis.active_days) 得出（第24章的默认设置）；"
                     "按 customer_id 与 ws.table('scores') 合并，统计 lifecycle_stage 为 'at_risk' 且 "
                     "churn_score > 0.5（未来 churn_horizon_days 天内不购买的可能性超过一半）的客户数。",
             "diagnoses": ["你取的是活跃客户（days_since_last ≤ active_days）；练习要的是生命周期阶段 'at_risk'，"
                           "即相对自己的购买节奏已经逾期的客户",
                           "你统计了所有有流失风险的客户；只保留 churn_score > 0.5 的客户"]},
    "26.4": {"title": "盈亏平衡时的寄送深度",
             "hint": "盈亏平衡响应率 = 每次接触成本 ÷ 每次响应的毛利。从第1个十分位往下，读验证集增益表中每个十分位的"
                     "响应率，在第一个低于盈亏平衡响应率的十分位之前停下（答案是寄送的十分位个数；如果连第1个十分位"
                     "都低于它，填0）。",
             "diagnoses": ["你用累计响应率与盈亏平衡响应率比较：前面的十分位替一个亏钱的十分位买了单——要用每个十分位"
                           "自己的响应率来判断",
                           "你寄送了提升度大于1的十分位；门槛是盈亏平衡响应率 成本 ÷ 毛利，而不是平均响应率"]},
}
