"""Life-event triggers (客户成长周期 · 触发式营销): moments in a customer's life the database can see, each with how it
is detected, the offer, the timing and how many customers would fire in the next month.

* :func:`anniversaries` — the first-purchase anniversary falls in the next ``days`` days.
* :func:`birthdays` — the birthday falls in the next ``days`` days (needs birth dates).
* :func:`moves` — a source record with a new postal code (搬家, a move): counted per month from the records' dates.
* :func:`lapse_crossings` — the customer will pass ``at_risk_after`` of their *own* purchase cycles without buying
  in the next ``days`` days (the cycle of :func:`dbmkit.segments.lifecycle_stage`).
* :func:`big_first_orders` — a first order in the top ``1 − quantile`` of first-order values (a welcome for a
  promising newcomer): counted per month.
* :func:`expected_count` — next month's expected count of an event that is counted per month, with a Poisson
  interval; :func:`trigger_table` assembles the table.

Example
-------
>>> s = pd.DataFrame({"customer_id": ["a", "b"], "first_purchase": pd.to_datetime(["2025-07-10", "2024-12-01"])})
>>> anniversaries(s, "2026-06-30", days=30)["customer_id"].tolist()
['a']
>>> [round(x, 2) for x in expected_count([2, 4, 3])]
[3.0, 1.37, 5.69]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import sql as _sql
from .segments import lifecycle_stage

__all__ = ["anniversaries", "birthdays", "moves", "lapse_crossings", "big_first_orders", "expected_count",
           "monthly_counts", "trigger_table", "TRIGGERS", "first_orders"]

# event → (English, 中文) of: the event, how it is detected, the offer, the timing
TRIGGERS: dict[str, dict[str, tuple[str, str]]] = {
    "anniversary": {
        "event": ("First-purchase anniversary", "首购周年"),
        "detected": ("first completed order + n years", "首笔完成订单日期 + n 年"),
        "offer": ("thank-you note and a small gift or points", "感谢信与小礼品或积分"),
        "timing": ("a week before the date", "周年日前一周")},
    "birthday": {
        "event": ("Birthday", "生日"),
        "detected": ("birth date in the customer file (month and day)", "客户档案中的出生日期（月、日）"),
        "offer": ("birthday greeting and a birthday-month offer (客户关怀)", "生日祝福与生日月专享优惠（客户关怀）"),
        "timing": ("in the birthday week", "生日当周")},
    "move": {
        "event": ("Moving house", "搬家"),
        "detected": ("a source record with a new postal code", "来源记录中出现新的邮编"),
        "offer": ("home and furnishing offer; check the new address before mailing", "家居类优惠；寄送前核实新地址"),
        "timing": ("within a month of the new record", "新记录出现后一个月内")},
    "lapse": {
        "event": ("Lapsing at the customer's own rhythm", "按个人购买节奏即将沉睡"),
        "detected": ("days since the last purchase pass 1.5 of the customer's own purchase cycles",
                     "距上次购买天数超过个人购买周期的1.5倍"),
        "offer": ("reminder with the customer's favourite category; an incentive only if tested",
                  "推荐常购品类的提醒；优惠需经测试"),
        "timing": ("the day the threshold is crossed", "越过阈值当天")},
    "big_first_order": {
        "event": ("Big first order", "大额首单"),
        "detected": ("first order value in the top 10 % of first orders", "首单金额位于前10%"),
        "offer": ("personal welcome, service call or VIP preview", "专属欢迎、客服回访或VIP预览"),
        "timing": ("within a week of the order", "下单后一周内")},
}


def _upcoming_dates(month_day: pd.Series, as_of: pd.Timestamp, days: int) -> np.ndarray:
    """True where the next occurrence of the (month, day) in ``month_day`` (dates) falls in (as_of, as_of + days]."""
    d = pd.to_datetime(month_day)
    out = np.zeros(len(d), dtype=bool)
    feb29 = ((d.dt.month == 2) & (d.dt.day == 29)).to_numpy()
    for year in (as_of.year, as_of.year + 1):
        day = np.where(feb29 & (not pd.Timestamp(year, 1, 1).is_leap_year), 28, d.dt.day)   # 29 Feb → 28 Feb
        md = pd.to_datetime(pd.DataFrame({"year": year, "month": d.dt.month.to_numpy(), "day": day}))
        delta = (md - as_of).dt.days.to_numpy()
        out |= (delta > 0) & (delta <= days)
    return out


def anniversaries(summary: pd.DataFrame, as_of, days: int = 30) -> pd.DataFrame:
    """Customers (of ``summary``: customer_id, first_purchase) whose first-purchase anniversary — one year or more
    after it — falls in the next ``days`` days."""
    as_of = pd.Timestamp(as_of)
    s = summary[summary["first_purchase"].notna()]
    fp = pd.to_datetime(s["first_purchase"])
    hit = _upcoming_dates(fp, as_of, days) & (fp <= as_of - pd.DateOffset(years=1) + pd.Timedelta(days=days)).to_numpy()
    return s.loc[hit, ["customer_id"]].assign(first_purchase=fp[hit]).reset_index(drop=True)


def birthdays(customers: pd.DataFrame, as_of, days: int = 30) -> pd.DataFrame:
    """Customers (customer_id, birth_date) whose birthday falls in the next ``days`` days."""
    c = customers[customers["birth_date"].notna()]
    hit = _upcoming_dates(c["birth_date"], pd.Timestamp(as_of), days)
    return c.loc[hit, ["customer_id", "birth_date"]].reset_index(drop=True)


def moves(ws) -> pd.DataFrame:
    """Customers whose source records carry more than one postal code (``sql/address_changes.sql``): customer_id,
    postal_codes, latest_postal_code, latest_record_date."""
    out = _sql.run(ws, "address_changes")
    out["latest_record_date"] = pd.to_datetime(out["latest_record_date"])
    return out


def lapse_crossings(summary: pd.DataFrame, days: int = 30, at_risk_after: float = 1.5, **stage_kw) -> pd.DataFrame:
    """Customers who are not yet past ``at_risk_after`` of their own purchase cycles but will be within ``days``
    days without a purchase: customer_id, cycle_days, days_to_trigger. The cycle is the one of
    :func:`dbmkit.segments.lifecycle_stage`."""
    life = lifecycle_stage(summary, at_risk_after=at_risk_after, **stage_kw)
    dsl = summary["days_since_last"].astype(float).to_numpy()
    cross = at_risk_after * life["cycle_days"].to_numpy()
    to_go = cross - dsl
    hit = (to_go > 0) & (to_go <= days)
    return pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()[hit],
                         "cycle_days": life["cycle_days"].to_numpy()[hit], "days_to_trigger": to_go[hit]})


def monthly_counts(dates, as_of, months: int = 12) -> np.ndarray:
    """How many of ``dates`` fall in each of the ``months`` complete 30-day windows before ``as_of`` (oldest first)."""
    as_of = pd.Timestamp(as_of)
    d = pd.to_datetime(pd.Series(dates)).dropna()
    age = (as_of - d).dt.days.to_numpy()
    return np.array([int(((age >= 30 * k) & (age < 30 * (k + 1))).sum()) for k in range(months)][::-1])


def first_orders(ws) -> pd.DataFrame:
    """customer_id, first_purchase (date) and first_order_value of every customer who bought (from
    ``sql/profile_attributes.sql``)."""
    a = _sql.run(ws, "profile_attributes", {"as_of": pd.Timestamp(ws.as_of).date()})
    return pd.DataFrame({"customer_id": a["customer_id"].astype(str),
                         "first_purchase": pd.to_datetime(a["first_purchase"]),
                         "first_order_value": a["first_order_value"].astype(float)})


def big_first_orders(first_orders: pd.DataFrame, quantile: float = 0.9) -> tuple[pd.DataFrame, float]:
    """The customers whose first order (``first_orders``: customer_id, first_purchase, first_order_value) is at or
    above the ``quantile`` of all first-order values; returns (those customers, the threshold)."""
    v = first_orders["first_order_value"].astype(float)
    thr = float(v.quantile(quantile)) if v.notna().any() else float("nan")
    return first_orders[v >= thr].reset_index(drop=True), thr


def expected_count(counts, alpha: float = 0.05) -> tuple[float, float, float]:
    """Next month's expected count of an event counted per month (the mean of ``counts``) and the exact Poisson
    interval of that mean (Garwood, from the total over the months)."""
    from scipy.stats import chi2
    c = np.asarray(counts, float)
    if len(c) == 0:
        return float("nan"), float("nan"), float("nan")
    k, n = float(c.sum()), len(c)
    lo = 0.0 if k == 0 else chi2.ppf(alpha / 2, 2 * k) / 2
    hi = chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    return k / n, float(lo) / n, float(hi) / n


def _pick(text, k: int) -> str:
    return text[k] if isinstance(text, (tuple, list)) else str(text)


def trigger_table(rows: dict[str, dict], language: str = "en") -> pd.DataFrame:
    """The trigger table: one row per event of ``rows`` (key of :data:`TRIGGERS` → {"next_month": count or
    expected count, optional "low", "high", "note" — a text or a pair (English, 中文)}), with how it is detected,
    the offer and the timing in ``language``."""
    k = 1 if language == "zh" else 0
    out = []
    for key, r in rows.items():
        t = TRIGGERS[key]
        out.append({"event": t["event"][k], "detected": t["detected"][k], "offer": t["offer"][k],
                    "timing": t["timing"][k], "next_month": r.get("next_month"), "low": r.get("low"),
                    "high": r.get("high"), "note": _pick(r.get("note", ""), k)})
    return pd.DataFrame(out)
