"""Exercises of chapter 91 (case study: CDNOW and the BG/NBD paper). Expected answers come from the bundled data.

91.1–91.3 build one customer's calibration-period inputs by hand from the raw log, with the Fader–Hardie
definitions (frequency x = repeat purchases, recency t_x = time of the last purchase since the first, T = age at the
end of the calibration period, in weeks; purchases on the same day count as one) before ``dbm.rfm.customer_summary``
computes them for everyone; 91.4 decides what BG/NBD says of a one-time buyer. ``META`` gives each exercise's kind and
the diagnoses of the usual mistakes (tried before the hint).
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from . import exercise
from .mistakes import choice_mistake as _choice
from .mistakes import mistake_of

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"
COHORT_START = "1997-01-01"


def _diag(mistake, rel=1e-3, abs_=1e-9):
    """A diagnosis firing when the answer is ``mistake(**context)`` (these exercises need no workspace)."""
    return mistake_of(mistake, rel, abs_, with_ws=False)


@lru_cache(maxsize=1)
def _fitted():
    from ..clv import BetaGeo
    from ..datasets import cdnow_summary
    s = cdnow_summary()
    return s, BetaGeo().fit(s["frequency"], s["recency"], s["T"])


@lru_cache(maxsize=1)
def _log():
    from ..datasets import cdnow
    return cdnow("sample")


def _records(customer, end=CALIBRATION_END):
    t = _log()
    return t[(t["customer_id"].astype(str) == str(customer)) & (t["date"] <= pd.Timestamp(end))]


def _days(customer, end=CALIBRATION_END):
    """The customer's purchase days up to ``end`` (several records on one day are one purchase)."""
    return pd.Series(sorted(_records(customer, end)["date"].dt.normalize().unique()))


def _weeks(a, b) -> float:
    return (pd.Timestamp(b) - pd.Timestamp(a)).days / 7


# ------------------------------------------------------------------------------------------------ 91.1–91.3
@exercise("91.1", "Frequency x of one customer in the calibration period, by hand",
          hint="Keep the customer's records up to calibration_end, count the distinct purchase days and subtract "
               "the first purchase: x counts repeat purchases.",
          rel_tol=0, abs_tol=0)
def _frequency(ws=None, customer="1640", calibration_end=CALIBRATION_END):
    return int(len(_days(customer, calibration_end)) - 1)


def _all_purchases(customer="1640", calibration_end=CALIBRATION_END):
    return len(_days(customer, calibration_end))


def _repeat_records(customer="1640", calibration_end=CALIBRATION_END):
    return len(_records(customer, calibration_end)) - 1


def _with_holdout(customer="1640", calibration_end=CALIBRATION_END):
    return len(_days(customer, HOLDOUT_END)) - 1


@exercise("91.2", "Recency t_x of the customer in weeks, by hand",
          hint="t_x = (last purchase day in the calibration period − first purchase day) in days ÷ 7.",
          rel_tol=0, abs_tol=6e-3)
def _recency(ws=None, customer="1640", calibration_end=CALIBRATION_END):
    d = _days(customer, calibration_end)
    return _weeks(d.iloc[0], d.iloc[-1])


def _recency_days(customer="1640", calibration_end=CALIBRATION_END):
    d = _days(customer, calibration_end)
    return (d.iloc[-1] - d.iloc[0]).days


def _time_since_last(customer="1640", calibration_end=CALIBRATION_END):
    return _weeks(_days(customer, calibration_end).iloc[-1], calibration_end)


def _recency_with_holdout(customer="1640", calibration_end=CALIBRATION_END):
    d = _days(customer, HOLDOUT_END)
    return _weeks(d.iloc[0], d.iloc[-1])


@exercise("91.3", "Age T of the customer at the end of the calibration period, in weeks, by hand",
          hint="T = (calibration_end − first purchase day) in days ÷ 7.",
          rel_tol=0, abs_tol=6e-3)
def _age(ws=None, customer="1640", calibration_end=CALIBRATION_END):
    return _weeks(_days(customer, calibration_end).iloc[0], calibration_end)


def _age_days(customer="1640", calibration_end=CALIBRATION_END):
    return (pd.Timestamp(calibration_end) - _days(customer, calibration_end).iloc[0]).days


def _age_from_cohort_start(customer="1640", calibration_end=CALIBRATION_END):
    return _weeks(COHORT_START, calibration_end)


def _age_to_end_of_data(customer="1640", calibration_end=CALIBRATION_END):
    return _weeks(_days(customer, calibration_end).iloc[0], HOLDOUT_END)


# ------------------------------------------------------------------------------------------------ 91.4 decide
CHOICES_91_4 = {
    "a": "1: BG/NBD lets a customer drop out only just after a repeat purchase, so one who never bought again "
         "cannot have left",
    "b": "It falls as the time since the first purchase grows, like for any other customer",
    "c": "0.5: the model knows nothing about a customer with a single purchase",
    "d": "0: a customer who did not come back has left",
}


@exercise("91.4", "P(alive) of a one-time buyer under BG/NBD",
          hint="Compute bg.p_alive(0, 0, T) for a few ages T and read the model's assumption about when customers "
               "drop out. Answer a letter.")
def _one_time_alive(ws=None):
    import numpy as np
    _, bg = _fitted()
    p = np.asarray(bg.p_alive(np.zeros(3), np.zeros(3), np.array([1.0, 20.0, 38.86]))).ravel()
    if np.allclose(p, 1.0):
        return "a"
    if np.all(np.diff(p) < 0):
        return "b"
    raise ValueError(f"P(alive) of a one-time buyer is {p.round(3).tolist()}: none of the choices")


# ------------------------------------------------------------------------------------------------ 91.5, 91.6
@exercise("91.5", "Expected purchases of customer 1 in the next 39 weeks",
          hint="Customer 1 has x = 2, t_x = 30.43, T = 38.86 (weeks). Use bg.expected_purchases(39, x, t_x, T) of "
               "the BG/NBD model fitted on the calibration summary.",
          rel_tol=2e-3)
def _conditional(ws=None):
    import numpy as np
    _, bg = _fitted()
    return float(np.asarray(bg.expected_purchases(39, 2, 30.43, 38.86)).ravel()[0])


def _unconditional():
    import numpy as np
    _, bg = _fitted()
    return float(np.asarray(bg.expected_purchases_new(39)).ravel()[0])


def _p_alive_1():
    import numpy as np
    _, bg = _fitted()
    return float(np.asarray(bg.p_alive(2, 30.43, 38.86)).ravel()[0])


@exercise("91.6", "Repeat transactions in the holdout period (weeks 40–78)",
          hint="dbm.cases.weekly_repeat_transactions(tx) counts repeat transactions per week; add up weeks 40 to 78.",
          rel_tol=0, abs_tol=0)
def _holdout_actual(ws=None):
    from ..cases import weekly_repeat_transactions
    w = weekly_repeat_transactions(_log())
    return int(w.loc[w["week"] > 39, "repeat_transactions"].sum())


def _holdout_records():
    t = _log()
    return int((t["date"] > pd.Timestamp(CALIBRATION_END)).sum())


def _all_78_weeks():
    from ..cases import weekly_repeat_transactions
    return int(weekly_repeat_transactions(_log())["repeat_transactions"].sum())


META = {
    "91.1": {
        "kind": "count",
        "diagnoses": [
            (_diag(_all_purchases, 0, 0), "frequency counts repeat purchases: you counted all purchases — "
                                                "leave out the first"),
            (_diag(_repeat_records, 0, 0), "you counted purchase records: several records on the same day are "
                                                 "one purchase — count distinct days"),
            (_diag(_with_holdout, 0, 0), "you counted purchases after the end of the calibration period too — "
                                               "keep dates up to calibration_end"),
        ],
    },
    "91.2": {
        "kind": "number",
        "diagnoses": [
            (_diag(_recency_days, 0, 0.5), "weeks, not days: divide the days by 7"),
            (_diag(_time_since_last, 0, 6e-3), "this is the time since the last purchase (RFM recency); BTYD "
                                                     "recency is the time of the last purchase since the first"),
            (_diag(_recency_with_holdout, 0, 6e-3), "you used a purchase after the calibration period — keep "
                                                          "dates up to calibration_end"),
        ],
    },
    "91.3": {
        "kind": "number",
        "diagnoses": [
            (_diag(_age_days, 0, 0.5), "weeks, not days: divide the days by 7"),
            (_diag(_age_from_cohort_start, 0, 6e-3), "you measured from the start of the cohort (1 January "
                                                           "1997); T starts at the customer's own first purchase"),
            (_diag(_age_to_end_of_data, 0, 6e-3), "you measured to the end of the data; T ends with the "
                                                        "calibration period"),
        ],
    },
    "91.4": {
        "kind": "choice",
        "choices": CHOICES_91_4,
        "diagnoses": [
            (_choice("b"), "that is what MBG/NBD or Pareto/NBD say; BG/NBD lets customers drop out only right after "
                           "a repeat purchase — try bg.p_alive(0, 0, T) for several T"),
            (_choice("d"), "most of a new cohort never buys again, but BG/NBD does not let them drop out: compute "
                           "bg.p_alive(0, 0, 38.86)"),
            (_choice("c"), "compute bg.p_alive(0, 0, 38.86): the model's assumption fixes it"),
        ],
    },
    "91.5": {
        "kind": "number",
        "diagnoses": [
            (_diag(_unconditional, 2e-3), "this is E[X(39)] of a new customer; customer 1's history (x, t_x, "
                                               "T) gives the conditional expectation bg.expected_purchases(39, x, "
                                               "t_x, T)"),
            (_diag(_p_alive_1, 2e-3), "this is customer 1's P(alive), not the expected number of purchases"),
        ],
    },
    "91.6": {
        "kind": "count",
        "diagnoses": [
            (_diag(_holdout_records, 0, 0), "you counted purchase records; records on the same day are one "
                                                  "transaction — use weekly_repeat_transactions"),
            (_diag(_all_78_weeks, 0, 0), "you added all 78 weeks; the holdout is weeks 40 to 78"),
        ],
    },
}

ZH = {
    "91.1": {"title": "手工计算一位客户在校准期内的频率 x",
             "hint": "保留该客户截至 calibration_end 的记录，数出不重复的购买日，再减去首次购买：x 统计的是重复购买。",
             "diagnoses": ["频率统计的是重复购买：你数了全部购买——请去掉第一次",
                           "你数的是购买记录：同一天的几条记录算一次购买——请数不重复的日期",
                           "你把校准期结束之后的购买也算进去了——只保留截至 calibration_end 的日期"]},
    "91.2": {"title": "手工计算该客户的近期 t_x（周）",
             "hint": "t_x =（校准期内最后一个购买日 − 首次购买日）的天数 ÷ 7。",
             "diagnoses": ["单位是周，不是天：把天数除以 7",
                           "这是距最后一次购买的时间（RFM 的近期）；BTYD 的近期是最后一次购买距首次购买的时间",
                           "你用到了校准期之后的一次购买——只保留截至 calibration_end 的日期"]},
    "91.3": {"title": "手工计算该客户在校准期末的观察期长度 T（周）",
             "hint": "T =（calibration_end − 首次购买日）的天数 ÷ 7。",
             "diagnoses": ["单位是周，不是天：把天数除以 7",
                           "你是从同期群的起点（1997年1月1日）开始算的；T 从该客户自己的首次购买开始",
                           "你一直算到了数据的末尾；T 截止于校准期末"]},
    "91.4": {"title": "BG/NBD 模型下只购买过一次的客户的存活概率",
             "hint": "对几个不同的 T 计算 bg.p_alive(0, 0, T)，再想一想模型对客户何时流失的假设。请回答一个字母。",
             "diagnoses": ["这是 MBG/NBD 或 Pareto/NBD 的结论；BG/NBD 只允许客户在一次重复购买之后立即流失——"
                           "请对几个 T 试试 bg.p_alive(0, 0, T)",
                           "新同期群的大多数客户再也没有购买，但 BG/NBD 不让他们流失：请计算 bg.p_alive(0, 0, 38.86)",
                           "请计算 bg.p_alive(0, 0, 38.86)：模型的假设决定了它的值"]},
    "91.5": {"title": "客户 1 在未来 39 周的预期购买次数",
             "hint": "客户 1 的 x = 2，t_x = 30.43，T = 38.86（周）。用在校准期汇总上拟合的 BG/NBD 模型计算 "
                     "bg.expected_purchases(39, x, t_x, T)。",
             "diagnoses": ["这是一位新客户的 E[X(39)]；根据客户 1 的历史（x, t_x, T）应计算条件期望 "
                           "bg.expected_purchases(39, x, t_x, T)",
                           "这是客户 1 的存活概率，不是预期购买次数"]},
    "91.6": {"title": "验证期（第 40–78 周）的重复交易次数",
             "hint": "dbm.cases.weekly_repeat_transactions(tx) 按周统计重复交易；把第 40 周到第 78 周加起来。",
             "diagnoses": ["你数的是购买记录；同一天的记录算一次交易——请用 weekly_repeat_transactions",
                           "你把全部 78 周都加上了；验证期是第 40 到 78 周"]},
}
