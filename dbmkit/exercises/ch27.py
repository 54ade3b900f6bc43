"""Exercises of chapter 27 (customer description, the revenue time series, the spend regression): an index vs
the base by hand, a seasonal index by hand, the MAPE of the seasonal naive forecast by hand, and the choice of a
forecast method for a budget.

``META`` holds the kinds, the choices and the diagnoses of the usual mistakes (read by the exercise engine)."""
from __future__ import annotations

import numpy as np

from . import exercise
from .mistakes import choice_letter, near


def _profile_frame(ws, attribute: str):
    from ..profiles import customer_attributes, profile_groups
    g = profile_groups(ws.table("customer_summary"), lost_days=ws.cfg.analysis.active_days)
    return g[["customer_id", "group"]].merge(customer_attributes(ws)[["customer_id", attribute]], on="customer_id")


def index_parts(ws, attribute: str = "first_order_band", value: str = "Q1", group: str = "defector") -> dict:
    """The shares behind one index vs base: the group's share with the value, the base share, the share of the
    rest of the customers, and the share of the value's holders who are in the group."""
    d = _profile_frame(ws, attribute)
    has = d[attribute].astype(str) == str(value)
    in_g = d["group"].astype(str) == group
    return {"share": float(has[in_g].mean()), "base_share": float(has.mean()), "rest_share": float(has[~in_g].mean()),
            "group_given_value": float(in_g[has].mean()), "group_share": float(in_g.mean())}


@exercise("27.1", "An index vs the base, by hand",
          hint="Merge the groups with the attributes on customer_id; index = share of defectors with the value ÷ "
               "share of ALL customers with the value × 100 (100 = as common as in the base).")
def _index(ws, attribute="first_order_band", value="Q1", **ctx):
    p = index_parts(ws, attribute, value)
    return 100 * p["share"] / p["base_share"]


def centred_trend(y):
    """The centred 2×12 moving average of a monthly series (missing for the first and last six months)."""
    return y.rolling(12).mean().rolling(2).mean().shift(-6)


def _month_ratios(y):
    r = (y / centred_trend(y)).dropna()
    return r.groupby([p.month for p in r.index]).mean()


@exercise("27.2", "A seasonal index by hand",
          hint="Ratio = revenue ÷ centred trend for every month with a trend; average the ratios of each calendar "
               "month; the month's index = 100 × its mean ratio ÷ the mean of the twelve mean ratios.")
def _seasonal_index(ws, month=12, **ctx):
    from ..forecast import monthly_series
    m = _month_ratios(monthly_series(ws))
    return float(100 * m[int(month)] / m.mean())


@exercise("27.3", "MAPE of the seasonal naive forecast, by hand",
          hint="Hold out the last `horizon` months; the forecast of each is the same month a year earlier; MAPE = "
               "the mean of |forecast − actual| ÷ actual (a share, e.g. 0.12).")
def _naive_mape(ws, horizon=6, **ctx):
    from ..forecast import backtest, backtest_summary, monthly_series
    s = backtest_summary(backtest(monthly_series(ws), horizon))
    return float(s.loc[s["method"] == "seasonal_naive", "mape"].iloc[0])


CHOICES_27_4 = {"a": "seasonal naive (same month last year)", "b": "seasonal naive × growth",
                "c": "Holt-Winters"}
_LETTER = {"seasonal_naive": "a", "seasonal_naive_growth": "b", "holt_winters": "c"}


def _backtest_summary(ws, horizon):
    from ..forecast import backtest, backtest_summary, monthly_series
    return backtest_summary(backtest(monthly_series(ws), int(horizon)))


@exercise("27.4", "Which forecast for next quarter's budget?",
          hint="Judge the methods on the months they did not see (the backtest), not on how elaborate they are or "
               "how much they promise; then plan with that method's interval, not its line.")
def _method(ws, horizon=6, **ctx):
    s = _backtest_summary(ws, horizon)
    return _LETTER[str(s.sort_values("mape")["method"].iloc[0])]


# ------------------------------------------------------------------------------------------------ diagnoses
def _parts(ws, ctx):
    return index_parts(ws, ctx.get("attribute", "first_order_band"), ctx.get("value", "Q1"))


def _share_not_index(answer, expected, ws=None, **ctx) -> bool:
    try:
        p = _parts(ws, ctx)
        return near(answer, p["share"]) or near(answer, 100 * p["share"])
    except Exception:  # noqa: BLE001 - a diagnosis never raises
        return False


def _ratio_not_index(answer, expected, ws=None, **ctx) -> bool:
    return near(answer, float(expected) / 100) if isinstance(expected, (int, float)) else False


def _vs_rest(answer, expected, ws=None, **ctx) -> bool:
    try:
        p = _parts(ws, ctx)
        return near(answer, 100 * p["share"] / p["rest_share"])
    except Exception:  # noqa: BLE001
        return False


def _group_given_value(answer, expected, ws=None, **ctx) -> bool:
    try:
        p = _parts(ws, ctx)
        return near(answer, 100 * p["group_given_value"]) or near(answer, p["group_given_value"])
    except Exception:  # noqa: BLE001
        return False


def _series(ws):
    from ..forecast import monthly_series
    return monthly_series(ws)


def _factor_not_index(answer, expected, ws=None, **ctx) -> bool:
    return near(answer, float(expected) / 100) if isinstance(expected, (int, float)) else False


def _not_normalised(answer, expected, ws=None, month=12, **ctx) -> bool:
    try:
        m = _month_ratios(_series(ws))
        return not near(m.mean(), 1.0) and (near(answer, 100 * m[int(month)]) or near(answer, m[int(month)]))
    except Exception:  # noqa: BLE001
        return False


def _vs_average_month(answer, expected, ws=None, month=12, **ctx) -> bool:
    try:
        y = _series(ws)
        by = y.groupby([p.month for p in y.index]).mean()
        return near(answer, 100 * by[int(month)] / by.mean(), rel=2e-3)
    except Exception:  # noqa: BLE001
        return False


def _mape_parts(ws, horizon):
    y = _series(ws)
    a = y.iloc[-int(horizon):].to_numpy()
    f = y.shift(12).iloc[-int(horizon):].to_numpy()
    return y, a, f


def _over_forecast(answer, expected, ws=None, horizon=6, **ctx) -> bool:
    try:
        _, a, f = _mape_parts(ws, horizon)
        return near(answer, np.mean(np.abs(f - a) / f))
    except Exception:  # noqa: BLE001
        return False


def _signed(answer, expected, ws=None, horizon=6, **ctx) -> bool:
    try:
        _, a, f = _mape_parts(ws, horizon)
        signed = float(np.mean((f - a) / a))
        if near(answer, float(expected)):
            return False
        return near(answer, signed) or (near(answer, abs(signed)) and not near(abs(signed), float(expected)))
    except Exception:  # noqa: BLE001
        return False


def _last_month(answer, expected, ws=None, horizon=6, **ctx) -> bool:
    try:
        y = _series(ws)
        a = y.iloc[-int(horizon):].to_numpy()
        f = y.shift(1).iloc[-int(horizon):].to_numpy()
        return near(answer, np.mean(np.abs(f - a) / a))
    except Exception:  # noqa: BLE001
        return False


def _letter(answer) -> str | None:
    return choice_letter(answer, CHOICES_27_4)


def _most_optimistic(answer, expected, ws=None, horizon=6, **ctx) -> bool:
    try:
        from ..forecast import forecast, monthly_series
        y = monthly_series(ws)
        totals = {m: float(forecast(y, int(horizon), m)["forecast"].sum()) for m in _LETTER}
        top = _LETTER[max(totals, key=totals.get)]
        return top != expected and _letter(answer) == top
    except Exception:  # noqa: BLE001
        return False


def _most_elaborate(answer, expected, ws=None, **ctx) -> bool:
    return expected != "c" and _letter(answer) == "c"


def _simplest(answer, expected, ws=None, **ctx) -> bool:
    return expected != "a" and _letter(answer) == "a"


META = {
    "27.1": {"kind": "number", "diagnoses": [
        (_share_not_index, "this is the defectors' share with the value; the index divides it by the share in all "
                           "customers and multiplies by 100"),
        (_ratio_not_index, "an index is the ratio × 100 (100 = as common as in the base)"),
        (_vs_rest, "you compared the defectors with the other customers; the index compares them with all "
                   "customers (the base)"),
        (_group_given_value, "that is the share of the value's holders who defected; the index starts from the "
                             "defectors: their share with the value ÷ the base share"),
    ]},
    "27.2": {"kind": "number", "diagnoses": [
        (_factor_not_index, "this is the seasonal factor; the index is × 100 (100 = an average month)"),
        (_not_normalised, "close: divide the month's mean ratio by the mean of the twelve mean ratios, so that the "
                          "indices average 100"),
        (_vs_average_month, "you compared the month with the average month, not with the trend: for a growing "
                            "business that mixes growth into the season"),
    ]},
    "27.3": {"kind": "share", "diagnoses": [
        (_over_forecast, "you divided by the forecast; the percentage error divides by the actual value"),
        (_signed, "the errors kept their signs and cancel out: MAPE averages the absolute errors"),
        (_last_month, "you forecast each month with the month before; the seasonal naive forecast uses the same "
                      "month a year earlier"),
    ]},
    "27.4": {"kind": "choice", "choices": CHOICES_27_4, "diagnoses": [
        (_most_optimistic, "you picked the method that promises the most; a budget needs the one that erred least "
                           "on months it had not seen"),
        (_most_elaborate, "the most elaborate method is not automatically the most accurate: compare the backtest "
                          "MAPEs"),
        (_simplest, "simplicity is a tie-breaker, not the criterion: another method had a clearly lower backtest "
                    "MAPE"),
    ]},
}

ZH = {
    "27.1": {"title": "手工计算一个相对全体的指数",
             "hint": "按 customer_id 把群体与属性合并；指数 = 流失客户中具有该属性值的占比 ÷ 全体客户中具有该属性值的"
                     "占比 × 100（100 = 与全体一样常见）。",
             "diagnoses": ["这是流失客户中具有该属性值的占比；指数还要除以全体客户中的占比，再乘以100",
                           "指数是比值 × 100（100 = 与全体一样常见）",
                           "你拿流失客户和其他客户比较；指数是拿他们和全体客户比较",
                           "这是具有该属性值的客户中流失了的比例；指数要从流失客户出发：他们中具有该属性值的占比 ÷ "
                           "全体中的占比"]},
    "27.2": {"title": "手工计算一个季节指数",
             "hint": "对每个有趋势值的月份，比值 = 收入 ÷ 中心化趋势；把每个日历月的比值取平均；该月的指数 = 100 × "
                     "它的平均比值 ÷ 十二个平均比值的平均数。",
             "diagnoses": ["这是季节因子；指数还要 × 100（100 = 平均水平的月份）",
                           "很接近了：把该月的平均比值除以十二个平均比值的平均数，使各指数的平均值为100",
                           "你拿该月和平均月份比较，而不是和趋势比较：对一家在增长的企业，这会把增长混进季节里"]},
    "27.3": {"title": "手工计算季节朴素预测的 MAPE",
             "hint": "留出最后 `horizon` 个月；每个月的预测值是一年前的同月；MAPE = |预测 − 实际| ÷ 实际 的平均值"
                     "（一个比例，例如0.12）。",
             "diagnoses": ["你除以的是预测值；百分比误差要除以实际值",
                           "误差保留了正负号，互相抵消了：MAPE 取的是绝对误差的平均",
                           "你用上一个月来预测每个月；季节朴素预测用的是一年前的同月"]},
    "27.4": {"title": "下个季度的预算用哪种预测？",
             "hint": "要看各方法在它没有见过的月份上的表现（回测），而不是看它有多复杂、承诺多少；然后按该方法的区间"
                     "做计划，而不是只看那条线。",
             "diagnoses": ["你选了承诺最多的方法；做预算需要的是在没见过的月份上误差最小的方法",
                           "最复杂的方法不一定最准确：比较回测的 MAPE",
                           "简单只是打平时的取舍标准，不是评判标准：另一种方法的回测 MAPE 明显更低"]},
}
