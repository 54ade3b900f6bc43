"""The "Your turn" exercises of chapters 00, 22, 23 and 24 (issue 15) on the small client: each expected answer has
the right kind, an answer computed here independently (pandas or SQL, the way a student would) is accepted, the
usual wrong answers are rejected, and each diagnosis in ``META`` fires on the mistake it names and not on the right
answer. The chapter endings' review questions have their answers in ``instructor/chNN.yaml``."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from exercise_checks import fires, no_diagnosis_on

import dbmkit as dbm
from dbmkit.exercises import REGISTRY, ch00, ch22, ch23, ch24, check, load_all

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"00": ch00, "22": ch22, "23": ch23, "24": ch24}
NOTEBOOKS = {"00": "00_start_here", "22": "22_analyze_value", "23": "23_analyze_clv", "24": "24_analyze_segments"}
PARAMS_24 = dict(new_days=90, at_risk_after=1.5, lapsed_after=3.0, lost_days=None)


@pytest.fixture(scope="module")
def ws(small_ws):
    load_all()
    return small_ws


def test_every_chapter_has_four_exercises_with_a_kind_and_mostly_build_or_decide():
    load_all()
    kinds = {"count", "share", "percent", "money", "number", "label", "choice", "table", "set"}
    for ch, module in MODULES.items():
        ids = sorted(i for i in REGISTRY if i.startswith(ch + "."))
        assert len(ids) >= 4 and set(ids) == set(module.META), ch
        for i in ids:
            assert module.META[i]["kind"] in kinds and module.META[i]["diagnoses"], i
            if module.META[i]["kind"] == "count":      # the current engine compares exactly too
                assert REGISTRY[i].rel_tol == 0 and REGISTRY[i].abs_tol == 0, i


# ------------------------------------------------------------------------------------------------ chapter 00
def test_00_1_counts_customers_exactly(ws):
    people = ws.sql("SELECT customer_id, is_test FROM customers")
    right = len(people)
    assert REGISTRY["00.1"].expected(ws) == right and isinstance(REGISTRY["00.1"].expected(ws), int)
    assert check("00.1", right, ws).correct is True
    no_diagnosis_on("00.1", right, ws)
    for near in (right + 20, right - 1):                  # the 20,107 for 20,087: a count is exact
        assert check("00.1", near, ws).correct is False
        assert fires("00.1", "must be exact", near, ws)
    orders = len(ws.sql("SELECT order_id FROM orders"))
    assert fires("00.1", "counted orders", orders, ws) and check("00.1", orders, ws).correct is False
    buyers = ws.sql("SELECT customer_id FROM orders WHERE status = 'completed'")["customer_id"].nunique()
    assert fires("00.1", "only the customers who have bought", buyers, ws)
    no_tests = int((~people["is_test"].fillna(False).astype(bool)).sum())
    assert no_tests < right and fires("00.1", "test accounts", no_tests, ws)


def test_00_2_counts_buyers_once(ws):
    o = ws.sql("SELECT customer_id, status FROM orders")
    right = o.loc[o["status"] == "completed", "customer_id"].nunique()
    assert check("00.2", right, ws).correct is True
    no_diagnosis_on("00.2", right, ws)
    assert right == len(ws.table("customer_summary"))
    n_completed = int((o["status"] == "completed").sum())
    assert check("00.2", n_completed, ws).correct is False and fires("00.2", "counted orders", n_completed, ws)
    any_status = o["customer_id"].nunique()
    assert any_status != right and fires("00.2", "cancelled or returned", any_status, ws)
    everyone = len(ws.sql("SELECT customer_id FROM customers"))
    assert fires("00.2", "also those who never bought", everyone, ws)
    assert check("00.2", right + 3, ws).correct is False and fires("00.2", "must be exact", right + 3, ws)


@pytest.mark.parametrize("ex_id, right, wrong", [("00.3", "a", {"b": "analysis needs", "c": "planning and",
                                                                          "d": "planning and"}),
                                                 ("00.4", "d", {"c": "control group is set aside", "a": "measured",
                                                                "b": "measured"})])
def test_00_phase_choices(ws, ex_id, right, wrong):
    assert REGISTRY[ex_id].expected(ws) in ch00.META[ex_id]["choices"]
    assert check(ex_id, right, ws).correct is True and check(ex_id, right.upper() + " ", ws).correct is True
    no_diagnosis_on(ex_id, right, ws)
    for letter, text in wrong.items():
        assert check(ex_id, letter, ws).correct is False
        assert fires(ex_id, text, letter, ws)


# ------------------------------------------------------------------------------------------------ chapter 22
def _by_hand_deciles(ws) -> tuple[pd.Series, pd.Series]:
    s = ws.table("customer_summary")
    v = s["monetary_total"].astype(float)
    return s, pd.qcut(v.rank(method="first", ascending=False), 10, labels=range(1, 11))


def test_22_1_top_decile_by_hand_with_qcut(ws):
    s, dec = _by_hand_deciles(ws)
    v = s["monetary_total"]
    right = v[dec == 1].sum() / v.sum()
    e = REGISTRY["22.1"].expected(ws)
    assert 0 < e < 1
    assert check("22.1", right, ws).correct is True
    no_diagnosis_on("22.1", right, ws)
    # the helper's table shows the same number
    assert dbm.value.decile_table(s)["value_share"].iloc[0] == pytest.approx(right, rel=1e-3)
    bottom = v[dec == 10].sum() / v.sum()
    assert check("22.1", bottom, ws).correct is False and fires("22.1", "lowest 10 %", bottom, ws)
    assert check("22.1", 0.1, ws).correct is False and fires("22.1", "share of customers", 0.1, ws)
    m = s["margin_total"]
    by_margin = m[pd.qcut(m.rank(method="first", ascending=False), 10, labels=range(1, 11)) == 1].sum() / m.sum()
    assert abs(by_margin / right - 1) > 0.005
    assert check("22.1", by_margin, ws).correct is False and fires("22.1", "used margin", by_margin, ws)
    assert fires("22.1", "percentage", right * 100, ws)


def test_22_2_top_20_percent_by_hand(ws):
    v = ws.table("customer_summary")["monetary_total"].sort_values(ascending=False)
    k = round(0.2 * len(v))
    right = v.head(k).sum() / v.sum()
    assert check("22.2", right, ws).correct is True
    no_diagnosis_on("22.2", right, ws)
    bottom = v.tail(k).sum() / v.sum()
    assert check("22.2", bottom, ws).correct is False and fires("22.2", "least valuable", bottom, ws)
    assert check("22.2", 0.8, ws).correct is False and fires("22.2", "what the rule claims", 0.8, ws)
    top10 = v.head(round(0.1 * len(v))).sum() / v.sum()
    assert fires("22.2", "top 10 %", top10, ws)
    assert fires("22.2", "percentage", right * 100, ws)


def test_22_3_mailing_depth_follows_margin_not_revenue(ws):
    cost, uplift = 2.0, 0.02
    s, dec = _by_hand_deciles(ws)
    per = s.assign(decile=dec).groupby("decile", observed=True)[["margin_total", "monetary_total"]].mean()
    pays = (uplift * per["margin_total"] >= cost).tolist()
    right = pays.index(False) if False in pays else 10
    ctx = dict(cost_per_contact=cost, uplift=uplift)
    e = REGISTRY["22.3"].expected(ws, **ctx)
    assert isinstance(e, int) and 1 <= e < 10 and e == right
    assert check("22.3", right, ws, **ctx).correct is True
    no_diagnosis_on("22.3", right, ws, **ctx)
    by_revenue = (uplift * per["monetary_total"] >= cost).tolist()
    by_revenue = by_revenue.index(False) if False in by_revenue else 10
    assert by_revenue != right
    assert check("22.3", by_revenue, ws, **ctx).correct is False
    assert fires("22.3", "revenue, not margin", by_revenue, ws, **ctx)
    assert fires("22.3", "one too deep", right + 1, ws, **ctx) and fires("22.3", "too shallow", right - 1, ws, **ctx)
    # a dearer catalogue is mailed less deep
    assert REGISTRY["22.3"].expected(ws, cost_per_contact=cost * 5, uplift=uplift) < right


def test_22_4_unprofitable_customers_by_hand(ws):
    cpr = 8.0
    p = dbm.value.customer_profitability(ws)
    base = p["net_revenue"] - p["product_cost"] - p["contact_cost"]
    right = int((base - cpr * p["n_returns"] - p["acquisition_cost"].fillna(0) < 0).sum())
    assert check("22.4", right, ws, cost_per_return=cpr).correct is True
    no_diagnosis_on("22.4", right, ws, cost_per_return=cpr)
    no_acq = int((base - cpr * p["n_returns"] < 0).sum())
    assert no_acq != right and fires("22.4", "acquisition cost", no_acq, ws, cost_per_return=cpr)
    assert check("22.4", no_acq, ws, cost_per_return=cpr).correct is False
    no_returns = int((base - p["acquisition_cost"].fillna(0) < 0).sum())
    assert no_returns != right and fires("22.4", "handling cost of returns", no_returns, ws, cost_per_return=cpr)
    assert fires("22.4", "looks like a share", right / len(p), ws, cost_per_return=cpr)


# ------------------------------------------------------------------------------------------------ chapter 23
def _retention(ws):
    rr = dbm.clv.retention_rate(ws).iloc[0]
    return float(rr["margin_per_retained"]), float(rr["retention_rate"]), ws.cfg.economics.annual_discount_rate


def test_23_1_formula_by_hand(ws):
    m, r, d = _retention(ws)
    right = m * r / (1 + d - r)
    assert check("23.1", right, ws).correct is True
    no_diagnosis_on("23.1", right, ws)
    for wrong, text in [(m * r / (1 + d), "one year only"), (m * r / (1 - r), "discount rate"),
                        (m * (1 + d) / (1 + d - r), "this year's margin")]:
        assert check("23.1", wrong, ws).correct is False
        assert fires("23.1", text, wrong, ws)


def test_23_2_historical_clv_by_hand(ws):
    s = ws.table("customer_summary")
    d = s.merge(ws.sql("SELECT customer_id, acquisition_cost FROM customers"), on="customer_id", how="left")
    cost = d["acquisition_cost"].fillna(0)
    right = (d["margin_total"] - cost).mean()
    assert check("23.2", right, ws).correct is True
    no_diagnosis_on("23.2", right, ws)
    revenue = (d["monetary_total"] - cost).mean()
    assert check("23.2", revenue, ws).correct is False and fires("23.2", "revenue, not margin", revenue, ws)
    margin_only = d["margin_total"].mean()
    assert check("23.2", margin_only, ws).correct is False and fires("23.2", "acquisition cost", margin_only, ws)
    everyone = (d["margin_total"] - cost).sum() / len(ws.sql("SELECT customer_id FROM customers"))
    assert check("23.2", everyone, ws).correct is False and fires("23.2", "every customer", everyone, ws)


def test_23_3_repeat_rate_without_a_model(ws):
    s = ws.table("customer_summary")
    right = float((s["frequency"] > 0).mean())
    assert 0 < REGISTRY["23.3"].expected(ws) < 1
    assert check("23.3", right, ws).correct is True
    no_diagnosis_on("23.3", right, ws)
    assert check("23.3", 1 - right, ws).correct is False and fires("23.3", "one-time buyers", 1 - right, ws)
    two_orders = float((s["n_orders"] >= 2).mean())
    assert abs(two_orders / right - 1) > 0.001                 # orders on one day count once in frequency
    assert check("23.3", two_orders, ws).correct is False and fires("23.3", "two orders", two_orders, ws)
    assert fires("23.3", "percentage", 100 * right, ws)


def test_23_4_platinum_share_of_clv(ws):
    c = ws.table("clv")
    top = c["value_tier"] == "platinum"
    right = c.loc[top, "clv"].sum() / c["clv"].sum()
    assert check("23.4", right, ws).correct is True
    no_diagnosis_on("23.4", right, ws)
    assert check("23.4", top.mean(), ws).correct is False and fires("23.4", "share of customers", top.mean(), ws)
    revenue = c.loc[top, "clv_revenue"].sum() / c["clv_revenue"].sum()
    assert abs(revenue / right - 1) > 0.005 and fires("23.4", "clv_revenue", revenue, ws)


def test_23_5_acquisition_cost_goes_with_a_long_discounted_clv(ws):
    assert REGISTRY["23.5"].expected(ws) in ch23.META["23.5"]["choices"]
    assert check("23.5", "b", ws).correct is True
    no_diagnosis_on("23.5", "b", ws)
    for letter, text in {"a": "first year", "c": "without discounting", "d": "no history"}.items():
        assert check("23.5", letter, ws).correct is False and fires("23.5", text, letter, ws)


# ------------------------------------------------------------------------------------------------ chapter 24
def _areas_by_hand(ws) -> pd.DataFrame:
    areas = ws.sql("SELECT CAST(postal_code AS VARCHAR) AS postal_code, households FROM area_demographics")
    people = ws.sql("SELECT CAST(postal_code AS VARCHAR) AS postal_code, count(*) AS customers FROM customers "
                    "WHERE NOT coalesce(is_test, false) GROUP BY 1")
    d = areas.merge(people, on="postal_code", how="left").fillna({"customers": 0})
    d = d[d["households"] > 0]
    d["rate"] = d["customers"] / d["households"]
    d["index"] = 100 * d["rate"] / (d["customers"].sum() / d["households"].sum())
    return d.sort_values(["customers", "postal_code"], ascending=[False, True]).reset_index(drop=True)


def test_24_1_penetration_index_by_hand(ws):
    d = _areas_by_hand(ws)
    right = float(d["index"].iloc[0])
    assert right > 100
    assert check("24.1", right, ws, months=12).correct is True
    no_diagnosis_on("24.1", right, ws, months=12)
    assert check("24.1", right / 100, ws, months=12).correct is False
    assert fires("24.1", "× 100", right / 100, ws, months=12)
    mean_rates = float(100 * d["rate"].iloc[0] / d["rate"].mean())
    assert abs(mean_rates / right - 1) > 0.002 and fires("24.1", "mean of the areas' rates", mean_rates, ws, months=12)
    pen = dbm.segments.penetration(ws, by="postal_code", months=12).set_index("postal_code")
    top = pen.loc[d["postal_code"].iloc[0]]
    assert fires("24.1", "sales index", float(top["sales_index"]), ws, months=12)
    buyers = float(100 * top["buyers_per_household"] / (pen["buyers"].sum() / pen["households"].sum()))
    assert abs(buyers / right - 1) > 0.002 and fires("24.1", "only the buyers", buyers, ws, months=12)


def _stages_by_hand(ws, lost_days: int) -> pd.Series:
    """The lifecycle rule of the chapter, written out: own cycle (typical cycle below two repeats), then the stage."""
    s = ws.table("customer_summary")
    f, rec, dsl = s["frequency"].astype(float), s["recency"].astype(float), s["days_since_last"].astype(float)
    own = (rec / f.clip(lower=1)).where(f >= 2)
    cycle = own.fillna(own.median()).clip(lower=7.0)
    ratio = dsl / cycle
    stage = np.select([dsl > lost_days, s["T"] <= 90, ratio <= 1.5, ratio <= 3.0],
                      ["lost", "new", "active", "at_risk"], default="lapsed")
    return pd.Series(stage, index=s["customer_id"])


def test_24_2_at_risk_count(ws):
    st = _stages_by_hand(ws, ws.cfg.analysis.active_days)
    right = int((st == "at_risk").sum())
    e = REGISTRY["24.2"].expected(ws, **PARAMS_24)
    assert isinstance(e, int) and e == right > 0
    assert check("24.2", right, ws, **PARAMS_24).correct is True
    no_diagnosis_on("24.2", right, ws, **PARAMS_24)
    both = right + int((st == "lapsed").sum())
    assert check("24.2", both, ws, **PARAMS_24).correct is False and fires("24.2", "lapsed too", both, ws, **PARAMS_24)
    lapsed = int((st == "lapsed").sum())
    assert fires("24.2", "that is the lapsed stage", lapsed, ws, **PARAMS_24)
    other = dict(PARAMS_24, at_risk_after=2.0)            # the chapter's parameters changed: the defaults are wrong
    assert REGISTRY["24.2"].expected(ws, **other) != right
    assert fires("24.2", "default settings", right, ws, **other)


def test_24_3_win_back_goes_where_one_contact_pays(ws):
    cost, uplift = 2.0, 0.10
    st = _stages_by_hand(ws, ws.cfg.analysis.active_days).rename("stage").reset_index()
    d = st.merge(ws.table("clv")[["customer_id", "clv"]], on="customer_id")
    per = d.groupby("stage")["clv"].mean()
    total = d.groupby("stage")["clv"].sum()
    letter = {(True, True): "a", (True, False): "b", (False, True): "c", (False, False): "d"}
    right = letter[(uplift * per["lapsed"] >= cost, uplift * per["lost"] >= cost)]
    ctx = dict(PARAMS_24, offer_cost=cost, uplift=uplift)
    assert right == "b"                                   # on this client: the lapsed pay, the lost do not
    assert REGISTRY["24.3"].expected(ws, **ctx) in ch24.META["24.3"]["choices"]
    assert check("24.3", right, ws, **ctx).correct is True
    no_diagnosis_on("24.3", right, ws, **ctx)
    by_total = letter[(uplift * total["lapsed"] >= cost, uplift * total["lost"] >= cost)]
    assert by_total == "a" and check("24.3", "a", ws, **ctx).correct is False
    assert fires("24.3", "total CLV", "a", ws, **ctx) and fires("24.3", "lost stage", "a", ws, **ctx)
    assert fires("24.3", "the lapsed pay", "d", ws, **ctx)
    # a much cheaper contact makes the lost worth it too
    assert REGISTRY["24.3"].expected(ws, **dict(ctx, offer_cost=uplift * per["lost"] / 2)) == "a"


def test_24_4_class_a_revenue_share(ws):
    d = ws.table("segments")[["customer_id", "abc_class"]].merge(ws.table("customer_summary"), on="customer_id")
    a = d["abc_class"] == "A"
    right = d.loc[a, "monetary_total"].sum() / d["monetary_total"].sum()
    assert check("24.4", right, ws).correct is True
    no_diagnosis_on("24.4", right, ws)
    assert check("24.4", a.mean(), ws).correct is False and fires("24.4", "share of customers", a.mean(), ws)
    margin = d.loc[a, "margin_total"].sum() / d["margin_total"].sum()
    assert abs(margin / right - 1) > 0.005 and fires("24.4", "used margin", margin, ws)
    assert fires("24.4", "percentage", 100 * right, ws)


# ----------------------------------------------------------------------------------- unanswered, and the endings
def test_unanswered_gives_a_hint_and_diagnoses_never_raise(ws):
    for ch, module in MODULES.items():
        for ex_id, meta in module.META.items():
            assert check(ex_id, None, ws).correct is None
            e = REGISTRY[ex_id].expected(ws)
            for fn, _ in meta["diagnoses"]:
                for odd in ("not a number", [1, 2], float("nan"), -1):
                    fn(odd, e, ws)                      # must not raise

