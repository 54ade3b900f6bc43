"""Exercises of chapter 24 (segments, lifecycle and penetration).

24.1 builds a penetration index by hand before the chapter's helper; 24.2 counts a lifecycle stage; 24.3 decides
which stages get a win-back offer; 24.4 builds the ABC class A revenue share. ``META`` (read by the exercise
engine) gives each exercise its kind, the choices and the diagnoses of the usual mistakes.
"""
from __future__ import annotations

import pandas as pd

from . import exercise
from .mistakes import close, letter, safe_meta, same_int, share_is_percent

WIN_BACK_STAGES = ("at_risk", "lapsed", "lost")








PERCENT = share_is_percent()


# ------------------------------------------------------------------------------------------ 24.2 lifecycle
def _stages(ws, new_days=90, at_risk_after=1.5, lapsed_after=3.0, lost_days=None) -> pd.DataFrame:
    from ..segments import lifecycle_stage
    lost = int(lost_days if lost_days is not None else ws.cfg.analysis.active_days)
    return lifecycle_stage(ws.table("customer_summary"), new_days=new_days, at_risk_after=at_risk_after,
                           lapsed_after=lapsed_after, lost_days=lost)


def _stage_count(ws, *stages, **params) -> int:
    return int(_stages(ws, **params)["lifecycle_stage"].isin(stages).sum())


@exercise("24.2", "Customers at risk",
          hint="Run dbm.segments.lifecycle_stage(ws.table('customer_summary'), ...) with the chapter's parameters "
               "and count the rows whose lifecycle_stage is 'at_risk'.",
          rel_tol=0, abs_tol=0)
def _at_risk(ws, new_days=90, at_risk_after=1.5, lapsed_after=3.0, lost_days=None):
    return _stage_count(ws, "at_risk", new_days=new_days, at_risk_after=at_risk_after, lapsed_after=lapsed_after,
                        lost_days=lost_days)


# ---------------------------------------------------------------------------------------- 24.1 penetration
def _largest_area(ws, months=12) -> pd.Series:
    from ..segments import penetration
    p = penetration(ws, by="postal_code", months=months)
    return p.sort_values(["customers", "postal_code"], ascending=[False, True]).iloc[0]


def _index_variant(ws, variant: str, months=12) -> float:
    """Wrong ways to compute the largest area's index: against the mean of the areas' rates, on the period's buyers,
    or on sales (the sales index)."""
    from ..segments import penetration
    p = penetration(ws, by="postal_code", months=months)
    top = _largest_area(ws, months)
    if variant == "mean_of_rates":
        return float(100 * top["customers_per_household"] / p["customers_per_household"].mean())
    if variant == "buyers":
        return float(100 * top["buyers_per_household"] / (p["buyers"].sum() / p["households"].sum()))
    return float(top["sales_index"])


@exercise("24.1", "A penetration index, by hand",
          hint="For each postal area: customers (test accounts excluded) ÷ households. The index of an area is its "
               "rate ÷ (all customers in the areas ÷ all households) × 100.",
          rel_tol=0.002)
def _index_by_hand(ws, months=12):
    return float(_largest_area(ws, months)["index"])


# ------------------------------------------------------------------------------------------- 24.3 win-back
OFFER_COST = 2.0            # 24.3: cost of one win-back contact
OFFER_UPLIFT = 0.10         # 24.3: the offer raises a contacted customer's 12-month CLV by this share

WIN_BACK_CHOICES = {"a": "both lapsed and lost", "b": "lapsed only", "c": "lost only", "d": "neither"}


def _stage_clv(ws, how: str = "mean", **params) -> pd.Series:
    d = _stages(ws, **params).merge(ws.table("clv")[["customer_id", "clv"]], on="customer_id", how="left")
    d = d[d["lifecycle_stage"].isin(WIN_BACK_STAGES)].assign(stage=lambda x: x["lifecycle_stage"].astype(str))
    return d.groupby("stage")["clv"].agg(how).reindex(list(WIN_BACK_STAGES)).fillna(0.0)


def _win_back_letter(ws, how: str = "mean", offer_cost=OFFER_COST, uplift=OFFER_UPLIFT, **params) -> str:
    """Which of lapsed and lost pay: uplift × CLV per contact (``how="mean"``) against the cost of one contact."""
    clv = _stage_clv(ws, how, **params)
    pays = {s: bool(uplift * clv[s] >= offer_cost) for s in ("lapsed", "lost")}
    return {(True, True): "a", (True, False): "b", (False, True): "c", (False, False): "d"}[
        (pays["lapsed"], pays["lost"])]


@exercise("24.3", "Which stages get the win-back offer?",
          hint="Join the stages to ws.table('clv'); per stage, the offer earns uplift × the mean 12-month CLV per "
               "contacted customer. A stage pays when that is at least the cost of one contact.")
def _win_back(ws, new_days=90, at_risk_after=1.5, lapsed_after=3.0, lost_days=None, offer_cost=OFFER_COST,
              uplift=OFFER_UPLIFT):
    return _win_back_letter(ws, "mean", offer_cost=offer_cost, uplift=uplift, new_days=new_days,
                            at_risk_after=at_risk_after, lapsed_after=lapsed_after, lost_days=lost_days)




# ---------------------------------------------------------------------------------------------- 24.4 ABC A
def _a_share(ws, value: str = "monetary_total", of_customers: bool = False) -> float:
    d = ws.table("segments")[["customer_id", "abc_class"]].merge(ws.table("customer_summary"), on="customer_id")
    a = d["abc_class"] == "A"
    return float(a.mean()) if of_customers else float(d.loc[a, value].sum() / d[value].sum())


@exercise("24.4", "Revenue share of the ABC class A customers",
          hint="Join ws.table('segments') (abc_class) with ws.table('customer_summary') (monetary_total) and divide "
               "the revenue of class A by the total.",
          rel_tol=0.005)
def _a_share_ex(ws):
    return _a_share(ws)


def _context(k: dict) -> dict:
    return {n: k[n] for n in ("new_days", "at_risk_after", "lapsed_after", "lost_days") if n in k}


def _offer(k: dict) -> dict:
    return {n: k[n] for n in ("new_days", "at_risk_after", "lapsed_after", "lost_days", "offer_cost", "uplift")
            if n in k}


META = {
    "24.2": {
        "kind": "count",
        "diagnoses": [
            (lambda a, e, ws, **k: same_int(a, _stage_count(ws, "at_risk", "lapsed", **_context(k)))
             and not same_int(a, e),
             "you counted the lapsed too; at risk is more than at_risk_after and at most lapsed_after cycles"),
            (lambda a, e, ws, **k: same_int(a, _stage_count(ws, "lapsed", **_context(k))) and not same_int(a, e),
             "that is the lapsed stage; count lifecycle_stage == 'at_risk'"),
            (lambda a, e, ws, **k: same_int(a, _stage_count(ws, "at_risk")) and not same_int(a, e),
             "you used the default settings; pass the chapter's parameters (new_days, at_risk_after …)"),
        ],
    },
    "24.1": {
        "kind": "number",
        "diagnoses": [
            (lambda a, e, ws, **k: close(a, e / 100, rel=0.002),
             "an index is the ratio × 100 (100 = average)"),
            (lambda a, e, ws, **k: close(a, _index_variant(ws, "sales", **k), rel=0.002) and not close(a, e, 0.002),
             "that is the sales index (sales per household); the penetration index counts customers per household"),
            (lambda a, e, ws, **k: close(a, _index_variant(ws, "mean_of_rates", **k), rel=0.002)
             and not close(a, e, 0.002),
             "the average is all customers ÷ all households, not the mean of the areas' rates (small areas would "
             "weigh as much as big ones)"),
            (lambda a, e, ws, **k: close(a, _index_variant(ws, "buyers", **k), rel=0.002)
             and not close(a, e, 0.002),
             "you counted only the buyers of the period; the index counts every customer living in the area"),
        ],
    },
    "24.3": {
        "kind": "choice",
        "choices": WIN_BACK_CHOICES,
        "diagnoses": [
            (lambda a, e, ws, **k: letter(a) == _win_back_letter(ws, "sum", **_offer(k)) and letter(a) != e,
             "you compared a stage's total CLV with the cost of one contact; every contact costs the same, so "
             "compare the mean CLV per customer"),
            (lambda a, e, ws, **k: letter(a) in ("a", "c") and e in ("b", "d"),
             "the lost stage's customers are worth too little per contact: uplift × their mean CLV is below the cost"),
            (lambda a, e, ws, **k: letter(a) in ("c", "d") and e in ("a", "b"),
             "the lapsed pay: uplift × their mean CLV per customer covers the cost of a contact"),
        ],
    },
    "24.4": {
        "kind": "share",
        "diagnoses": [
            PERCENT,
            (lambda a, e, ws, **k: close(a, _a_share(ws, of_customers=True)) and not close(a, e),
             "that is class A's share of customers; the question asks its share of revenue"),
            (lambda a, e, ws, **k: close(a, _a_share(ws, "margin_total")) and not close(a, e),
             "you used margin (the ABC classes are cut on margin, about 50 %); the question asks for revenue"),
        ],
    },
}
safe_meta(META)

ZH = {
    "24.1": {
        "title": "手工计算渗透指数",
        "hint": "对每个邮政编码区域：客户数（不含测试账户）÷ 住户数。一个区域的指数 = 该区域的比率 ÷ "
                "（这些区域的全部客户 ÷ 全部住户）× 100。",
        "diagnoses": [
            "指数是比值 × 100（100 = 平均）",
            "这是销售指数（每户销售额）；渗透指数统计的是每户客户数",
            "平均值是全部客户 ÷ 全部住户，而不是各区域比率的平均数（否则小区域和大区域的权重一样）",
            "你只统计了这段时间内购买过的客户；指数统计的是居住在该区域的每一位客户",
        ],
    },
    "24.2": {
        "title": "有流失风险的客户数",
        "hint": "用本章的参数运行 dbm.segments.lifecycle_stage(ws.table('customer_summary'), ...)，"
                "统计 lifecycle_stage 为 'at_risk'（有流失风险）的行数。",
        "diagnoses": [
            "你把沉睡客户也算进去了；有流失风险是指超过 at_risk_after 个周期、且不超过 lapsed_after 个周期",
            "这是沉睡阶段；请统计 lifecycle_stage == 'at_risk'（有流失风险）",
            "你用的是默认设置；请传入本章的参数（new_days、at_risk_after ……）",
        ],
    },
    "24.3": {
        "title": "哪些阶段应该收到挽回优惠？",
        "hint": "把各阶段与 ws.table('clv') 合并；每个阶段中，优惠为每位被接触的客户带来 uplift × "
                "平均12个月CLV（折现后）。当它至少等于一次接触的成本时，这个阶段才划算。",
        "diagnoses": [
            "你拿一个阶段的CLV总额与一次接触的成本比较；每次接触的成本都一样，所以要比较每位客户的平均CLV",
            "流失阶段的客户每次接触的价值太低：uplift × 他们的平均CLV 低于成本",
            "沉睡客户是划算的：uplift × 每位客户的平均CLV 足以覆盖一次接触的成本",
        ],
    },
    "24.4": {
        "title": "ABC 分类中 A 类客户的收入占比",
        "hint": "把 ws.table('segments')（abc_class）与 ws.table('customer_summary')（monetary_total）合并，"
                "用 A 类的收入除以总收入。",
        "diagnoses": [
            "这看起来是百分数——请给出0到1之间的比例",
            "这是 A 类占客户人数的比例；题目问的是它占收入的比例",
            "你用的是毛利（ABC 分类按毛利划分，约为50%）；题目问的是收入",
        ],
    },
}
