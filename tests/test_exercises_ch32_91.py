"""Chapters 32, 90 and 91 "Your turn" (issue 15): for every exercise the expected answer is of its kind, a correct
answer computed here by hand (pandas on the database or on the bundled real data) is accepted, typical wrong answers
are rejected, and each diagnosis in ``META`` fires on the mistake it names and not on the right answer. Chapter 32
runs on the small client; 90 and 91 on the bundled Complete Journey and CDNOW data. The chapter endings (recap,
three review questions with answers in instructor/, the marketer section) are checked in the notebooks."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from exercise_checks import fires_against as fires

from dbmkit import loyalty
from dbmkit.clv import BetaGeo
from dbmkit.datasets import cdnow, cdnow_summary, complete_journey
from dbmkit.exercises import REGISTRY, ch32, ch90, ch91, check

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"count", "share", "percent", "money", "number", "label", "choice", "table", "set"}
MODULES = {"32": ch32, "90": ch90, "91": ch91}
NOTEBOOKS = {"32": "32_plan_triggers_loyalty", "90": "90_case_complete_journey", "91": "91_case_cdnow"}


# ------------------------------------------------------------------------------------------------ META, endings
@pytest.mark.parametrize("ch", ["32", "90", "91"])
def test_meta_is_complete_and_diagnoses_never_raise(ch):
    meta = MODULES[ch].META
    ids = sorted(k for k in REGISTRY if k.split(".")[0] == ch)
    assert sorted(meta) == ids and len(ids) >= 4
    kinds = [meta[i]["kind"] for i in ids]
    assert set(kinds) <= KINDS
    for i in ids:
        if meta[i]["kind"] == "choice":
            assert len(meta[i]["choices"]) >= 3
        for fn, msg in meta[i].get("diagnoses", []):
            assert msg and callable(fn)
            for junk in (None, "", "x", object(), float("nan"), [1, 2]):
                assert fn(junk, 1.0, None) in (True, False)


# ------------------------------------------------------------------------------------------------ chapter 32
@pytest.fixture(scope="module")
def lines(small_ws):
    """Purchase days per customer and category, by hand from the database."""
    d = small_ws.sql("SELECT CAST(o.customer_id AS VARCHAR) AS customer_id, p.category, "
                     "CAST(o.order_ts AS DATE) AS day, i.quantity * i.unit_price - i.discount AS amount "
                     "FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id) "
                     "JOIN customers c ON c.customer_id = o.customer_id WHERE o.status = 'completed' "
                     "AND NOT coalesce(c.is_test, false) AND p.category IS NOT NULL "
                     f"AND CAST(o.order_ts AS DATE) <= DATE '{small_ws.as_of.date()}'")
    d["day"] = pd.to_datetime(d["day"])
    return d


@pytest.fixture(scope="module")
def by_hand_market(small_ws, lines):
    g = lines.groupby(["customer_id", "category"])["day"].agg(["min", "max", "nunique"]).reset_index()
    rep = g[g["nunique"] >= 2]
    gap = (rep["max"] - rep["min"]).dt.days / (rep["nunique"] - 1)
    med = gap.groupby(rep["category"]).median()
    cycles = med[rep.groupby("category").size() >= 20].sort_values()
    g = g[g["category"].isin(cycles.index)].assign(cycle=lambda x: x["category"].map(cycles))
    g["days"] = (small_ws.as_of - g["max"]).dt.days
    lo, hi = g["days"] >= 0.8 * g["cycle"], g["days"] < 1.5 * g["cycle"]
    return g, lo, hi, cycles.index[0]


def test_32_1_in_market_by_hand(small_ws, by_hand_market):
    g, lo, hi, cat = by_hand_market
    one = g["category"] == cat
    right = int(g.loc[one & lo & hi, "customer_id"].nunique())
    ctx = dict(category=cat, due_from=0.8, due_until=1.5)
    exp = REGISTRY["32.1"].expected(small_ws, **ctx)
    assert isinstance(exp, int) and exp == right > 0
    assert check("32.1", right, small_ws, **ctx).correct is True
    for wrong in (right + 1, right - 1):
        assert check("32.1", wrong, small_ws, **ctx).correct is False
    assert fires("32.1", "every category", int((lo & hi).sum()), right, small_ws, **ctx)
    assert fires("32.1", "every buyer", int(one.sum()), right, small_ws, **ctx)
    assert fires("32.1", "upper limit", int((one & lo).sum()), right, small_ws, **ctx)
    assert fires("32.1", "lower limit", int((one & hi).sum()), right, small_ws, **ctx)


@pytest.fixture(scope="module")
def gold(small_ws):
    s = small_ws.table("customer_summary")
    m = float(s["margin_total"].sum() / s["monetary_total"].sum())
    tiers = loyalty.tier_table(loyalty.assign_tiers(loyalty.customer_spend(small_ws, 12))[0])
    row = tiers.set_index("tier").loc["gold"]
    _, r, f = loyalty.DEFAULT_TIERS["gold"]
    S, n = float(row["spend"]), int(row["members"])
    econ = loyalty.programme_economics(tiers, m).set_index("tier")
    return dict(m=m, S=S, n=n, r=r, f=f, delta=(r * S + f * n) / (m - r), econ=econ)


def test_32_2_gold_breakeven_by_hand(small_ws, gold):
    g, ctx = gold, dict(gross_margin=gold["m"], months=12)
    exp = REGISTRY["32.2"].expected(small_ws, **ctx)
    assert exp == pytest.approx(g["delta"], rel=1e-9)
    assert g["econ"].loc["gold", "breakeven_extra_spend"] == pytest.approx(g["delta"])   # the helper agrees
    assert check("32.2", round(g["delta"]), small_ws, **ctx).correct is True
    assert check("32.2", g["delta"] * 1.02, small_ws, **ctx).correct is False
    mistakes = {"required lift": g["delta"] / g["S"], "divided by m": (g["r"] * g["S"] + g["f"] * g["n"]) / g["m"],
                "fixed cost": g["r"] * g["S"] / (g["m"] - g["r"]), "ΔS per member": g["delta"] / g["n"],
                "whole programme": g["econ"].loc["programme", "breakeven_extra_spend"]}
    for words, wrong in mistakes.items():
        assert check("32.2", wrong, small_ws, **ctx).correct is False
        assert fires("32.2", words, wrong, exp, small_ws, **ctx), words


def test_32_3_the_decision_follows_from_the_gold_break_even_lift(small_ws, gold):
    lift = gold["delta"] / gold["S"]
    prog = float(gold["econ"].loc["programme", "required_lift"])
    assert gold["econ"].loc["gold", "required_lift"] == pytest.approx(lift)
    for measured, right in ((lift + 0.03, "a"), (lift - 0.03, "b")):
        ctx = dict(holdout_lift=measured, gross_margin=gold["m"], months=12)
        assert REGISTRY["32.3"].expected(small_ws, **ctx) == right
        assert check("32.3", right, small_ws, **ctx).correct is True
        assert check("32.3", right.upper(), small_ws, **ctx).correct is True
        assert check("32.3", {"a": "b", "b": "a"}[right], small_ws, **ctx).correct is False
        assert fires("32.3", "good customers qualify", "c", right, small_ws, **ctx)
        assert fires("32.3", "random holdout", "d", right, small_ws, **ctx)
    # between the gold and the programme lifts the programme's row gives the other letter
    assert lift != pytest.approx(prog)
    between = (lift + prog) / 2
    ctx = dict(holdout_lift=between, gross_margin=gold["m"], months=12)
    right = "a" if between >= lift else "b"
    assert REGISTRY["32.3"].expected(small_ws, **ctx) == right
    assert fires("32.3", "whole programme", {"a": "b", "b": "a"}[right], right, small_ws, **ctx)
    assert "a" in ch32.META["32.3"]["choices"] and set(ch32.META["32.3"]["choices"]) == set("abcd")


def test_32_4_birthdays_by_hand(small_ws):
    c = small_ws.sql("SELECT customer_id, birth_date, coalesce(is_test, false) AS is_test FROM customers")
    as_of = small_ws.as_of.normalize()

    def next_in(b):
        if pd.isna(b):
            return False
        b = pd.Timestamp(b)
        for y in (as_of.year, as_of.year + 1):
            day = 28 if (b.month, b.day) == (2, 29) and not pd.Timestamp(y, 1, 1).is_leap_year else b.day
            if 0 < (pd.Timestamp(y, b.month, day) - as_of).days <= 30:
                return True
        return False
    hit = c["birth_date"].map(next_in)
    right = int((hit & ~c["is_test"].astype(bool)).sum())
    exp = REGISTRY["32.4"].expected(small_ws, days=30)
    assert isinstance(exp, int) and exp == right > 0
    assert check("32.4", right, small_ws, days=30).correct is True
    assert check("32.4", right + 1, small_ws, days=30).correct is False
    known = int((c["birth_date"].notna() & ~c["is_test"].astype(bool)).sum())
    assert fires("32.4", "birth date", known, right, small_ws, days=30)
    with_test = int(hit.sum())
    assert fires("32.4", "test records", with_test, right, small_ws, days=30) is (with_test != right)


def test_32_5_dominant_interest_by_hand(small_ws, lines):
    spend = lines.assign(amount=lines["amount"]).groupby(["customer_id", "category"])["amount"].sum()
    wide = spend.clip(lower=0).unstack(fill_value=0.0)
    shares = wide.div(wide.sum(axis=1), axis=0).dropna()
    interest = shares.idxmax(axis=1).where(shares.max(axis=1) >= 0.4, "mixed")
    vc = interest.value_counts()
    right = str(vc[vc.index != "mixed"].index[0])
    assert REGISTRY["32.5"].expected(small_ws, min_share=0.4) == right
    assert check("32.5", f"  {right.upper()} ", small_ws, min_share=0.4).correct is True
    other = str(vc[(vc.index != "mixed") & (vc.index != right)].index[0])
    assert check("32.5", other, small_ws, min_share=0.4).correct is False
    assert fires("32.5", "'mixed'", "mixed", right, small_ws)
    # the label in the other language is right too (the retailer's Chinese category names), and no other category's
    from dbmkit.datasets.locale_words import CATALOG
    assert check("32.5", CATALOG[right][0], small_ws, min_share=0.4).correct is True
    assert check("32.5", CATALOG[other][0], small_ws, min_share=0.4).correct is False


# ------------------------------------------------------------------------------------------------ chapter 90
@pytest.fixture(scope="module")
def cj():
    return {k: complete_journey(k) for k in ("campaigns", "coupon_redemptions", "campaign_descriptions",
                                             "demographics")}


def _by_hand(cj, campaign):
    reached = set(cj["campaigns"].loc[cj["campaigns"]["campaign_id"] == campaign, "household_id"])
    red = cj["coupon_redemptions"][cj["coupon_redemptions"]["campaign_id"] == campaign]
    return len(reached), len(set(red["household_id"]) & reached), len(red)


def _wilson_low(k, n, z=1.96):
    p = k / n
    return ((p + z * z / (2 * n)) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)


@pytest.mark.parametrize("campaign", ["16", "13"])
def test_90_1_and_90_2_one_campaign_by_hand(cj, campaign):
    from dbmkit import cases
    n, k, coupons = _by_hand(cj, campaign)
    rate, low = k / n, _wilson_low(k, n)
    assert REGISTRY["90.1"].expected(campaign=campaign) == pytest.approx(rate)
    assert REGISTRY["90.2"].expected(campaign=campaign) == pytest.approx(low, abs=1e-4)
    pairs = cases.campaign_pairs(cj["campaigns"], cj["campaign_descriptions"], cj["coupon_redemptions"])
    helper = cases.redemption_by(pairs[pairs["campaign_id"] == campaign], "campaign_id").iloc[0]
    assert (helper["rate"], helper["ci_low"]) == (pytest.approx(rate), pytest.approx(low, abs=1e-4))
    assert check("90.1", round(rate, 4), campaign=campaign).correct is True
    assert check("90.1", rate * 1.05, campaign=campaign).correct is False
    assert check("90.2", round(low, 4), campaign=campaign).correct is True
    assert check("90.2", low + 0.003, campaign=campaign).correct is False
    households = complete_journey("transactions_sample")["household_id"].nunique()
    all_reached = cj["campaigns"]["household_id"].nunique()
    for words, wrong in (("all households of the study", k / households), ("any campaign", k / all_reached),
                         ("coupon redemptions", coupons / n)):
        assert check("90.1", wrong, campaign=campaign).correct is False
        assert fires("90.1", words, wrong, rate, campaign=campaign), words
    p = k / n
    lo90 = _wilson_low(k, n, 1.6449)
    centre = (p + 1.96 ** 2 / (2 * n)) / (1 + 1.96 ** 2 / n)
    for words, wrong in (("Wald", p - 1.96 * math.sqrt(p * (1 - p) / n)), ("upper end", 2 * centre - low),
                         ("90 %", lo90), ("Wilson centre", centre)):
        assert check("90.2", wrong, campaign=campaign).correct is False
        assert fires("90.2", words, wrong, low, campaign=campaign), words


def test_90_3_no_control_group_so_no_causal_claim(cj):
    assert not {"control", "holdout", "treatment", "group"} & {c.lower() for c in cj["campaigns"].columns}
    assert REGISTRY["90.3"].expected() == "b"
    assert check("90.3", "b").correct is True and check("90.3", "a").correct is False
    assert fires("90.3", "response rate counts", "a", "b") and fires("90.3", "types reached", "c", "b")


def test_90_4_to_90_6_by_hand(cj):
    reached = cj["campaigns"]["household_id"].nunique()
    assert REGISTRY["90.4"].expected() == reached and check("90.4", reached).correct is True
    assert check("90.4", reached + 1).correct is False
    pairs = cj["campaigns"].drop_duplicates()
    households = complete_journey("transactions_sample")["household_id"].nunique()
    surveyed = len(set(pairs["household_id"]) & set(cj["demographics"]["household_id"]))
    for words, wrong in (("household–campaign pairs", len(pairs)), ("every household of the study", households),
                         ("only the households with demographics", surveyed)):
        assert fires("90.4", words, wrong, reached), words
    # 90.5: rates per age band among the contacted, surveyed households
    red = cj["coupon_redemptions"][["campaign_id", "household_id"]].drop_duplicates().assign(redeemed=1)
    p = pairs.merge(red, how="left").fillna({"redeemed": 0}).merge(cj["demographics"], on="household_id")
    by_age = p.groupby("age")["redeemed"].agg(["mean", "sum"])
    best = str(by_age["mean"].idxmax())
    assert REGISTRY["90.5"].expected() == best and check("90.5", best).correct is True
    most = str(by_age["sum"].idxmax())
    assert fires("90.5", "most redeeming", most, best) is (most != best)
    assert check("90.5", str(by_age["mean"].idxmin())).correct is False
    # 90.6: the ratio of the type rates over all contacted pairs
    t = pairs.merge(red, how="left").fillna({"redeemed": 0}).merge(cj["campaign_descriptions"], on="campaign_id")
    rate = t.groupby("campaign_type")["redeemed"].mean()
    ratio = rate["Type A"] / rate["Type C"]
    assert check("90.6", round(ratio, 2)).correct is True and check("90.6", ratio * 1.02).correct is False
    assert fires("90.6", "Type C by Type A", 1 / ratio, ratio)
    assert fires("90.6", "difference", rate["Type A"] - rate["Type C"], ratio)


# ------------------------------------------------------------------------------------------------ chapter 91
CUSTOMER, END = "1640", "1997-09-30"


@pytest.fixture(scope="module")
def one_customer():
    tx = cdnow("sample")
    mine = tx[tx["customer_id"] == CUSTOMER]
    cal = mine[mine["date"] <= END]
    days = sorted(cal["date"].dt.normalize().unique())
    first, last = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
    return dict(mine=mine, cal=cal, days=days, x=len(days) - 1, t_x=(last - first).days / 7,
                T=(pd.Timestamp(END) - first).days / 7, first=first, last=last)


def test_91_1_to_91_3_one_customer_by_hand(one_customer):
    o, ctx = one_customer, dict(customer=CUSTOMER, calibration_end=END)
    # the customer shows every mistake: several records on one day, and purchases after the calibration period
    assert len(o["cal"]) > len(o["days"]) + 1 and len(o["mine"]) > len(o["cal"])
    published = cdnow_summary().set_index("customer_id").loc[CUSTOMER]
    assert (o["x"], round(o["t_x"], 2), round(o["T"], 2)) == (published["frequency"], published["recency"],
                                                               published["T"])
    exp = [REGISTRY[i].expected(**ctx) for i in ("91.1", "91.2", "91.3")]
    assert isinstance(exp[0], int) and exp == [o["x"], pytest.approx(o["t_x"]), pytest.approx(o["T"])]
    for i, right in zip(("91.1", "91.2", "91.3"), (o["x"], round(o["t_x"], 2), round(o["T"], 2))):
        assert check(i, right, **ctx).correct is True
    assert check("91.1", o["x"] + 1, **ctx).correct is False
    holdout_days = o["mine"]["date"].dt.normalize().nunique() - 1
    for words, wrong in (("all purchases", o["x"] + 1), ("purchase records", len(o["cal"]) - 1),
                         ("after the end of the calibration", holdout_days)):
        assert check("91.1", wrong, **ctx).correct is False
        assert fires("91.1", words, wrong, o["x"], **ctx), words
    last_ever = o["mine"]["date"].max()
    for words, wrong in (("weeks, not days", (o["last"] - o["first"]).days),
                         ("time since the last purchase", (pd.Timestamp(END) - o["last"]).days / 7),
                         ("after the calibration period", (last_ever - o["first"]).days / 7)):
        assert check("91.2", wrong, **ctx).correct is False
        assert fires("91.2", words, wrong, o["t_x"], **ctx), words
    for words, wrong in (("weeks, not days", (pd.Timestamp(END) - o["first"]).days),
                         ("start of the cohort", (pd.Timestamp(END) - pd.Timestamp("1997-01-01")).days / 7),
                         ("end of the data", (pd.Timestamp("1998-06-30") - o["first"]).days / 7)):
        assert check("91.3", wrong, **ctx).correct is False
        assert fires("91.3", words, wrong, o["T"], **ctx), words


@pytest.fixture(scope="module")
def bg():
    s = cdnow_summary()
    return BetaGeo().fit(s["frequency"], s["recency"], s["T"])


def test_91_4_one_time_buyers_are_alive_under_bg_nbd(bg):
    p = np.asarray(bg.p_alive(np.zeros(4), np.zeros(4), np.array([0.5, 10.0, 30.0, 38.86])))
    assert np.allclose(p, 1.0)
    assert REGISTRY["91.4"].expected() == "a" and check("91.4", "a").correct is True
    for letter, words in (("b", "MBG/NBD"), ("d", "most of a new cohort"), ("c", "assumption fixes it")):
        assert check("91.4", letter).correct is False
        assert fires("91.4", words, letter, "a")


def test_91_5_and_91_6_by_hand(bg):
    right = float(np.asarray(bg.expected_purchases(39, 2, 30.43, 38.86)).ravel()[0])
    assert check("91.5", round(right, 3)).correct is True and check("91.5", right * 1.01).correct is False
    new = float(np.asarray(bg.expected_purchases_new(39)).ravel()[0])
    alive = float(np.asarray(bg.p_alive(2, 30.43, 38.86)).ravel()[0])
    assert fires("91.5", "new customer", new, right) and fires("91.5", "P(alive)", alive, right)
    tx = cdnow("sample").assign(day=lambda d: d["date"].dt.normalize())
    days = tx[["customer_id", "day"]].drop_duplicates()
    first = days.groupby("customer_id")["day"].transform("min")
    repeat = days[days["day"] > first]
    holdout = int((repeat["day"] > pd.Timestamp(END)).sum())
    assert REGISTRY["91.6"].expected() == holdout and check("91.6", holdout).correct is True
    assert check("91.6", holdout + 1).correct is False
    records = int((tx["date"] > pd.Timestamp(END)).sum())
    assert records != holdout
    assert fires("91.6", "purchase records", records, holdout)
    assert fires("91.6", "all 78 weeks", len(repeat), holdout)


# ------------------------------------------------------------------------------------------------ worked solutions
def _chapter_namespace(ch, ws=None) -> dict:
    """The variables the chapter's notebook has defined when its exercises run."""
    import dbmkit as dbm
    from dbmkit import cases, interests
    if ch == "32":
        s = ws.table("customer_summary")
        cp = interests.category_purchases(ws)
        cycles = interests.category_cycles(cp)
        c = ws.table("customers")
        tiers = loyalty.tier_table(loyalty.assign_tiers(loyalty.customer_spend(ws, 12))[0])
        margin = float(s["margin_total"].sum() / s["monetary_total"].sum())
        return dict(cp=cp, cycles=cycles, interests=interests.interest_segments(cp, 0.4), tiers=tiers, margin=margin,
                    economics=loyalty.programme_economics(tiers, margin), customers=c[~c["is_test"].astype(bool)],
                    in_market_category=cycles["category"].iloc[0], due_from=0.8, due_until=1.5, trigger_days=30,
                    holdout_lift=0.16, loyalty_months=12, min_share=0.4, ws=ws, dbm=dbm)
    if ch == "90":
        cj = complete_journey
        pairs = cases.campaign_pairs(cj("campaigns"), cj("campaign_descriptions"), cj("coupon_redemptions"),
                                     cj("demographics"))
        return dict(campaigns=cj("campaigns"), redemptions=cj("coupon_redemptions"), pairs=pairs, campaign="16",
                    dbm=dbm)
    tx = cdnow("sample")
    s = cdnow_summary()
    return dict(tx=tx, customer=CUSTOMER, calibration_end=END, pd=pd, dbm=dbm,
                mine=tx[(tx["customer_id"] == CUSTOMER) & (tx["date"] <= END)],
                bg=BetaGeo().fit(s["frequency"], s["recency"], s["T"]),
                actual=cases.weekly_repeat_transactions(tx, "customer_id", "date", start="1997-01-01", weeks=78))


CONTEXT = {"32.1": lambda ns: dict(category=ns["in_market_category"], due_from=0.8, due_until=1.5),
           "32.2": lambda ns: dict(gross_margin=ns["margin"], months=12),
           "32.3": lambda ns: dict(holdout_lift=0.16, gross_margin=ns["margin"], months=12),
           "32.4": lambda ns: dict(days=30), "32.5": lambda ns: dict(min_share=0.4),
           "90.1": lambda ns: dict(campaign="16"), "90.2": lambda ns: dict(campaign="16"),
           **{f"91.{i}": (lambda ns: dict(customer=CUSTOMER, calibration_end=END)) for i in (1, 2, 3)}}


@pytest.mark.parametrize("ch", ["32", "90", "91"])
def test_worked_solutions_run_with_the_chapters_variables_and_are_accepted(request, ch, monkeypatch):
    from dbmkit.exercises.instructor import solutions
    ws = request.getfixturevalue("small_ws") if ch == "32" else None
    base = _chapter_namespace(ch, ws)
    for ex_id in sorted(k for k in REGISTRY if k.split(".")[0] == ch):
        ns = dict(base)
        exec(solutions()[ex_id]["solution"], ns)
        ctx = CONTEXT.get(ex_id, lambda ns: {})(base)
        fb = check(ex_id, ns["answer"], ws, **ctx)
        assert fb.correct is True, (ex_id, fb.message)
        assert check(ex_id, None, ws, **ctx).correct is None
