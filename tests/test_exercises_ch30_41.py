"""Chapters 30, 31, 40 and 41 "Your turn" (issue 15): on the small client every exercise's expected answer is of its
kind, a correct answer computed here by hand (pandas on the plan or on the results) is accepted, typical wrong
answers are rejected, and each diagnosis in ``META`` fires on the mistake it names and not on the right answer; both
sample-size formulas of 41.1 and both intervals of 40.2 are accepted. The chapter endings (recap, three review
questions with their answers in instructor/, one marketer section) are checked in the notebooks."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from exercise_checks import expected
from exercise_checks import fires_against as fires
from scipy.stats import norm

import dbmkit as dbm
from dbmkit.client_workspace import Workspace
from dbmkit.exercises import REGISTRY, ch30, ch31, ch40, ch41, check

ROOT = Path(__file__).resolve().parents[1]
KINDS = {"count", "share", "percent", "money", "number", "label", "choice", "table", "set"}
MODULES = {"30": ch30, "31": ch31, "40": ch40, "41": ch41}
NOTEBOOKS = {"30": "30_plan_campaign", "31": "31_plan_budget_test", "40": "40_evaluate_results",
             "41": "41_evaluate_learn"}


@pytest.fixture(scope="module")
def plan(small_ws):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dbm.campaign.plan_campaign(small_ws, recommend=False)


@pytest.fixture(scope="module")
def results(small_ws):
    """Chapter 40's results, written back as the chapter does before its last exercises."""
    b = dbm.evaluate.collect_results(small_ws, fallback_to_past=True)
    dbm.evaluate.write_back(small_ws, b)
    return b.results


# ------------------------------------------------------------------------------------------------ META, endings
@pytest.mark.parametrize("ch", ["30", "31", "40", "41"])
def test_meta_is_complete_and_diagnoses_never_raise(ch):
    meta = MODULES[ch].META
    ids = sorted(k for k in REGISTRY if k.split(".")[0] == ch)
    assert sorted(meta) == ids and len(ids) >= 4
    assert set(meta[i]["kind"] for i in ids) <= KINDS
    for i in ids:
        if meta[i]["kind"] == "choice":
            assert len(meta[i]["choices"]) >= 3
        assert meta[i].get("diagnoses"), i
        for fn, msg in meta[i]["diagnoses"]:
            assert msg and callable(fn)
            for junk in (None, "", "x", object(), float("nan"), [1, 2], True):
                assert fn(junk, 1.0, None) in (True, False)


# ------------------------------------------------------------------------------------------------ chapter 30
def test_30_1_lost_share_by_hand(small_ws, plan):
    wf = plan.waterfall
    gross = wf.loc[wf["step"] == "gross", "remaining"].iloc[0]
    net = wf.loc[wf["step"] == "net", "remaining"].iloc[0]
    assert check("30.1", 1 - net / gross, small_ws, plan=plan).correct
    assert not check("30.1", 1 - net / gross + 0.01, small_ws, plan=plan).correct
    assert fires("30.1", "share kept", net / gross, 1 - net / gross, small_ws, plan=plan)


def test_30_2_and_30_4_counts_are_exact(small_ws, plan):
    cells = dbm.campaign.default_cells(plan.settings)
    cells = sorted(cells, key=lambda c: c["cell"] != "VIP")          # VIP first, the others in their order
    n = int((dbm.campaign.assign_cells(plan.selection, cells)["cell"] == "VIP").sum())
    assert isinstance(expected("30.2", small_ws, plan=plan), int)
    assert check("30.2", n, small_ws, plan=plan).correct
    assert not check("30.2", n + 1, small_ws, plan=plan).correct
    own = int((plan.selection["cell"] == "VIP").sum())
    if own != n:
        assert fires("30.2", "plan's own order", own, n, small_ws, plan=plan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wf = dbm.campaign.plan_campaign(small_ws, recent_contact_days=60, recommend=False).waterfall
    removed = int(wf.loc[wf["step"] == "recent", "removed"].sum())
    assert check("30.4", removed, small_ws, plan=plan).correct
    assert not check("30.4", removed - 1, small_ws, plan=plan).correct
    remaining = int(wf.loc[wf["step"] == "recent", "remaining"].iloc[0])
    assert fires("30.4", "'remaining'", remaining, removed, small_ws, plan=plan)


def test_30_3_breakeven_and_its_inversion(small_ws, plan):
    be = plan.settings.costs["sms"] / plan.totals()["margin_per_response"]
    assert check("30.3", be, small_ws, plan=plan).correct
    assert not check("30.3", be * 1.05, small_ws, plan=plan).correct
    assert fires("30.3", "divided margin by cost", 1 / be, be, small_ws, plan=plan)


def test_30_5_replan_through_workspace_overrides(small_ws, plan):
    budget = round(0.8 * plan.totals()["total_cost"])
    cfg = small_ws.cfg.model_copy(deep=True)
    cfg.campaign.budget, cfg.campaign.control_share = float(budget), 0.2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = dbm.campaign.plan_campaign(Workspace(cfg), recommend=False)
    planned = int((other.contacts["group"] == "treatment").sum())
    ctx = dict(plan=plan, budget=budget, control_share=0.2)
    got = expected("30.5", small_ws, **ctx)
    assert isinstance(got, int) and got == planned and 0 < planned < plan.kpis()["planned_contacts"]
    assert check("30.5", planned, small_ws, **ctx).correct
    assert not check("30.5", planned + 1, small_ws, **ctx).correct
    assert fires("30.5", "current plan's count", plan.kpis()["planned_contacts"], planned, small_ws, **ctx)
    both = int(other.contacts["group"].isin(["treatment", "control"]).sum())
    assert fires("30.5", "control group too", both, planned, small_ws, **ctx)


def test_30_6_opt_out_decision(small_ws, plan):
    sup = plan.suppressions
    refused = set(zip(*[sup.loc[sup["step"].isin(["not_opted_in", "unsubscribed"]), c] for c in ("customer_id",
                                                                                               "channel")]))
    t = plan.contacts[plan.contacts["group"] == "treatment"]
    assert refused and not refused & set(zip(t["customer_id"], t["channel"]))    # the plan holds them back
    assert expected("30.6", small_ws, plan=plan) == "b"
    assert check("30.6", "b", small_ws, plan=plan).correct
    assert not check("30.6", "a", small_ws, plan=plan).correct
    assert fires("30.6", "must-not rule", "a", "b") and fires("30.6", "control group is drawn", "c", "b")


# ------------------------------------------------------------------------------------------------ chapter 31
def test_31_1_breakeven_by_hand_and_its_mistakes(small_ws, plan):
    t = plan.totals()
    be = small_ws.cfg.economics.cost_per_contact["mail"] / t["margin_per_response"]
    assert check("31.1", be, small_ws, plan=plan).correct
    assert not check("31.1", be * 1.01, small_ws, plan=plan).correct
    assert fires("31.1", "divided margin by cost", 1 / be, be, small_ws, plan=plan)
    avg = t["cost_per_contact"] / t["margin_per_response"]
    assert fires("31.1", "average cost per contact", avg, be, small_ws, plan=plan)


def test_31_2_to_31_4_counts(small_ws, plan):
    n = dbm.campaign.sample_size(0.05, 0.02, 0.05, 0.8, control_share=0.1)
    assert check("31.2", int(n["n_control"]), small_ws).correct
    assert not check("31.2", int(n["n_control"]) + 1, small_ws).correct
    assert fires("31.2", "treatment group", int(n["n_treatment"]), int(n["n_control"]))
    cap = plan.settings.fixed_cost + plan.totals()["contact_cost"] / 2
    d = plan.deciles
    within = d[d["cum_cost"] <= cap]
    k = int(within.loc[within["cum_profit"].idxmax(), "decile"]) if len(within) else 0
    assert check("31.3", k, small_ws, plan=plan).correct
    assert not check("31.3", k + 1, small_ws, plan=plan).correct
    c = plan.contacts[plan.contacts["group"] != "holdout"]
    s = plan.settings
    again = dbm.campaign.assign_groups(c["customer_id"].iloc[::-1], s.control_share, s.campaign_id, s.seed)
    changed = int((again.set_index("customer_id")["group"].loc[c["customer_id"]].to_numpy()
                   != c["group"].to_numpy()).sum())
    assert expected("31.4", small_ws, plan=plan) == changed == 0          # the hash does not depend on the order
    assert check("31.4", changed, small_ws, plan=plan).correct
    n_control = int((c["group"] == "control").sum())
    assert not check("31.4", n_control, small_ws, plan=plan).correct
    assert fires("31.4", "size of the control group", n_control, changed, small_ws, plan=plan)


def test_31_5_depth_at_the_cost_of_a_catalogue(small_ws, plan):
    be = small_ws.cfg.economics.cost_per_contact["mail"] / plan.totals()["margin_per_response"]
    depth = 0
    for rate in plan.deciles.sort_values("decile")["response_rate"]:
        if rate < be:
            break
        depth += 1
    assert 0 < depth < 10                       # on the small client a catalogue does not pay everywhere
    assert check("31.5", depth, small_ws, plan=plan).correct
    assert not check("31.5", depth + 1, small_ws, plan=plan).correct
    plan_depth = plan.kpis()["mailing_depth_deciles"]
    assert plan_depth != depth and fires("31.5", "plan's depth", plan_depth, depth, small_ws, plan=plan)


# ------------------------------------------------------------------------------------------------ chapter 40
def _rates(results):
    g = results.groupby("group")["responded"]
    return g.mean()["treatment"], g.size()["treatment"], g.mean()["control"], g.size()["control"]


def test_40_1_lift_by_hand(small_ws, results):
    pt, _, pc, _ = _rates(results)
    lift = pt - pc
    assert check("40.1", lift, small_ws, results=results).correct
    assert check("40.1", lift, small_ws).correct                     # the table written back gives the same
    assert not check("40.1", lift + 0.001, small_ws, results=results).correct
    assert fires("40.1", "percentage points", 100 * lift, lift, small_ws, results=results)
    assert fires("40.1", "wrong way round", -lift, lift, small_ws, results=results)
    assert fires("40.1", "relative lift", pt / pc - 1, lift, small_ws, results=results)


def test_40_2_interval_wald_and_newcombe_both_accepted(small_ws, results):
    pt, nt, pc, nc = _rates(results)
    z = norm.ppf(0.975)
    wald = pt - pc - z * math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    ctx = dict(results=results, alpha=0.05)
    assert check("40.2", wald, small_ws, **ctx).correct
    assert not check("40.2", wald - 0.01, small_ws, **ctx).correct
    comp = dbm.evaluate.compare_groups(results, "group", ["responded"], "control", alpha=0.05).iloc[0]
    (accept,) = ch40.META["40.2"]["accept"]
    assert accept(small_ws, **ctx) == pytest.approx(comp["ci_low"], abs=1e-12)
    assert abs(comp["ci_low"] - wald) > 1e-3         # the two intervals differ: each needs its own acceptance
    same_n = pt - pc - z * math.sqrt(pt * (1 - pt) / nc + pc * (1 - pc) / nc)
    assert fires("40.2", "control group's n", same_n, wald, small_ws, **ctx)
    ninety = pt - pc - norm.ppf(0.95) * math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
    assert fires("40.2", "90 %", ninety, wald, small_ws, **ctx)
    assert fires("40.2", "percentage points", 100 * wald, wald, small_ws, **ctx)


def test_40_3_roll_out_follows_from_the_interval(small_ws, results):
    comp = dbm.evaluate.compare_groups(results, "group", ["responded"], "control", alpha=0.05).iloc[0]
    letter = "a" if comp["ci_low"] > 0 else ("c" if comp["ci_high"] < 0 else "b")
    assert expected("40.3", small_ws, results=results, alpha=0.05) == letter
    assert check("40.3", letter, small_ws, results=results, alpha=0.05).correct
    wrong = next(x for x in "abc" if x != letter)
    assert not check("40.3", wrong, small_ws, results=results, alpha=0.05).correct
    assert sum(fn(wrong, letter) for fn, _ in ch40.META["40.3"]["diagnoses"]) == 1


def test_40_4_to_40_6(small_ws, results):
    pt, nt, pc, nc = _rates(results)
    assert check("40.4", (pt - pc) * nt, small_ws).correct
    assert not check("40.4", (pt - pc) * nt + 2, small_ws).correct
    assert fires("40.4", "control group's n", (pt - pc) * nc, (pt - pc) * nt, small_ws)
    cid = small_ws.sql("SELECT campaign_id FROM campaigns WHERE channel = 'email' ORDER BY start_date, campaign_id "
                       "LIMIT 1")["campaign_id"].iloc[0]
    ev = small_ws.sql(f"SELECT customer_id, event FROM email_events WHERE campaign_id = '{cid}'")
    opened = ev.loc[ev["event"].isin(["opened", "clicked"]), "customer_id"].nunique()
    delivered = ev.loc[ev["event"].isin(["delivered", "opened", "clicked"]), "customer_id"].nunique()
    assert check("40.5", opened / delivered, small_ws).correct
    assert not check("40.5", opened / delivered + 0.01, small_ws).correct
    t = results[results["group"] == "treatment"]
    m = results.groupby("group")["margin"].mean()
    cost = t["channel"].map(small_ws.cfg.economics.cost_per_contact).sum() + small_ws.cfg.economics.campaign_fixed_cost
    roi = ((m["treatment"] - m["control"]) * len(t) - cost) / cost
    assert check("40.6", roi, small_ws).correct
    assert not check("40.6", roi * 1.01, small_ws).correct
    assert fires("40.6", "whole margin", (m["treatment"] * len(t) - cost) / cost, roi, small_ws)


# ------------------------------------------------------------------------------------------------ chapter 41
def test_41_1_pooled_and_unpooled_sample_sizes_are_both_accepted():
    p1, p2 = 0.20, 0.23
    za, zb = norm.ppf(0.975), norm.ppf(0.80)
    pbar = (p1 + p2) / 2
    spread = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    pooled = math.ceil((za * math.sqrt(2 * pbar * (1 - pbar)) + zb * spread) ** 2 / (p2 - p1) ** 2)
    unpooled = math.ceil((za + zb) ** 2 * spread ** 2 / (p2 - p1) ** 2)
    assert (pooled, unpooled) == (2943, 2940)      # the two numbers, computed here from the formulas
    assert expected("41.1") == pooled and check("41.1", pooled).correct
    (accept,) = ch41.META["41.1"]["accept"]
    assert accept() == unpooled
    for wrong in (pooled + 1, pooled - 1, 2 * pooled):
        assert not check("41.1", wrong).correct
    assert fires("41.1", "both versions", 2 * pooled, pooled)
    one_sided = math.ceil((norm.ppf(0.95) * math.sqrt(2 * pbar * (1 - pbar)) + zb * spread) ** 2 / (p2 - p1) ** 2)
    assert fires("41.1", "one-sided", one_sided, pooled)
    exact = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * spread) ** 2 / (p2 - p1) ** 2
    assert fires("41.1", "round up", exact, pooled) and fires("41.1", "round up", round(exact, 1), pooled)
    assert fires("41.1", "points", (za + zb) ** 2 * spread ** 2 / 3 ** 2, pooled)


def test_41_2_to_41_4(small_ws):
    ab = dbm.evaluate.ab_test_data(small_ws, dbm.evaluate.find_ab_test(small_ws))
    a, b = sorted(ab["cell"].unique())[:2]
    r = dbm.evaluate.ab_test(ab, "cell", "opened", a, b).iloc[0]
    assert check("41.2", r["winner"], small_ws).correct
    assert not check("41.2", "C", small_ws).correct
    if r["winner"] == "no clear winner":
        assert fires("41.2", "not yet a win", b, r["winner"], small_ws)
    rr = dbm.evaluate.retention_rates(small_ws, 365)
    assert check("41.3", rr["churn_rate"].iloc[-1], small_ws).correct
    assert fires("41.3", "retention rate", rr["retention_rate"].iloc[-1], rr["churn_rate"].iloc[-1], small_ws)
    f = dbm.evaluate.follow_up_list(dbm.evaluate.collect_results(small_ws, fallback_to_past=True), wait_days=3)
    n = int((f["trigger"] == "clicked, no purchase").sum())
    assert check("41.4", n, small_ws).correct and not check("41.4", n + 1, small_ws).correct
    if len(f) != n:
        assert fires("41.4", "every follow-up", len(f), n, small_ws)


def test_41_5_depth_on_the_lower_bound(small_ws):
    data = dbm.evaluate.with_true_uplift(small_ws, dbm.evaluate.uplift_training_data(small_ws))
    models = dbm.evaluate.compare_uplift_models(data, model="logistic", test_share=0.3, seed=0)
    bundle = dbm.evaluate.collect_results(small_ws, fallback_to_past=True)
    scored = dbm.evaluate.score_campaign(small_ws, models.models[models.best()], bundle)
    deciles = dbm.evaluate.uplift_by_decile(scored, "predicted_uplift", "responded", "group")
    treated = bundle.results[bundle.results["group"] == "treatment"]
    margin = float(treated.loc[treated["responded"] == 1, "margin"].mean())
    cost = float(dbm.evaluate.contact_costs(treated, bundle.cost_per_contact).mean())
    ctx = dict(deciles=deciles, margin_per_response=margin, cost=cost)
    by_hand = int(sum(lo * margin - cost > 0 for lo in deciles["ci_low"]))
    assert by_hand == int(dbm.evaluate.targeting_plan(deciles, margin, cost)["target"].sum())
    assert check("41.5", by_hand, small_ws, **ctx).correct
    assert not check("41.5", by_hand + 1, small_ws, **ctx).correct
    model = int(sum(u * margin - cost > 0 for u in deciles["predicted_uplift"]))
    assert model != by_hand and fires("41.5", "model would target", model, by_hand, small_ws, **ctx)
    point = int(sum(u * margin - cost > 0 for u in deciles["observed_uplift"]))
    if point != by_hand:
        assert fires("41.5", "point estimate", point, by_hand, small_ws, **ctx)
    assert check("41.5", None, small_ws).correct is None          # unanswered: a hint, never an error
