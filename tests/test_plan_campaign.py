"""The campaign plan on the small synthetic client: contract of campaign_contacts, suppressions, reconciliation,
determinism, the send file, the synthetic truth (planted product rules)."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from dbmkit import campaign as C
from dbmkit import database


@pytest.fixture(scope="module")
def plan(small_ws):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", C.ControlGroupWarning)
        return C.plan_campaign(small_ws)


def _suppressed(ws, as_of):
    with ws.connect() as con:
        return {ch: set(database.suppression_list(con, ch, as_of)["customer_id"]) for ch in C.CHANNELS}


def test_contacts_follow_the_data_model_contract(plan, small_ws):
    c = plan.contacts
    assert list(c.columns) == ["campaign_id", "customer_id", "cell", "group", "channel", "offer", "contact_ts",
                               "expected_response", "expected_profit", "recommended_product"]
    assert set(c["campaign_id"]) == {"NEW-" + (small_ws.as_of + pd.Timedelta(days=7)).strftime("%Y%m%d")}
    assert c["customer_id"].is_unique
    assert set(c["group"]) <= {"treatment", "control", "holdout"} and (c["group"] == "treatment").sum() > 100
    assert set(c["channel"]) <= set(C.CHANNELS) and c["channel"].notna().all()
    assert set(c["cell"]) <= {"BDAY", "VIP", "NEW", "WIN", "XSELL"}
    assert (pd.to_datetime(c["contact_ts"]) >= small_ws.as_of + pd.Timedelta(days=7)).all()
    assert c["expected_response"].between(0, 1).all()
    known = set(small_ws.sql("SELECT product_id FROM products")["product_id"])
    assert c["recommended_product"].notna().all() and c["recommended_product"].isin(known).all()


def test_nobody_suppressed_is_planned_for_their_channel(plan, small_ws):
    sup = _suppressed(small_ws, small_ws.as_of)
    t = plan.contacts[plan.contacts["group"] == "treatment"]
    for ch, ids in sup.items():
        assert not (set(t.loc[t["channel"] == ch, "customer_id"]) & ids), ch
    people = small_ws.sql("SELECT customer_id, is_test, is_staff, deceased FROM customers")
    bad = set(people.loc[people[["is_test", "is_staff", "deceased"]].fillna(False).any(axis=1), "customer_id"])
    assert not (set(plan.contacts["customer_id"]) & bad)


def test_waterfall_reconciles_and_kpis_agree(plan):
    wf = plan.waterfall.set_index("step")
    k = plan.kpis()
    assert k["campaign_gross"] == wf.loc["gross", "remaining"] == len(plan.people)
    assert k["campaign_gross"] - wf.loc[wf["stage"] == "suppression", "removed"].sum() == k["campaign_net"]
    assert k["campaign_net"] - wf.loc[wf["stage"] == "rule", "removed"].sum() == len(plan.contacts)
    assert k["planned_contacts"] == (plan.contacts["group"] == "treatment").sum()
    assert k["control_size"] == (plan.contacts["group"] == "control").sum()
    n = len(plan.contacts)
    assert abs(k["control_size"] - 0.1 * n) <= 5 * np.sqrt(n * 0.1 * 0.9)      # the config's 10 %, binomially
    t = plan.totals()
    assert k["expected_profit"] == pytest.approx(plan.treatment["expected_profit"].sum() - plan.settings.fixed_cost)
    assert k["expected_roi"] == pytest.approx(t["expected_profit"] / t["total_cost"])
    assert k["breakeven_response_rate"] == pytest.approx(t["cost_per_contact"] / t["margin_per_response"])
    assert 1 <= k["mailing_depth_deciles"] <= 10
    # the budget of the small client's config (4,000) is respected
    assert t["total_cost"] <= 4000 + 1e-6
    # each cell's people add up; the cells follow the priority order
    cs = plan.cell_summary()
    assert cs["people"].sum() == len(plan.contacts)
    assert cs["cell"].tolist() == [c for c in ["BDAY", "VIP", "NEW", "WIN", "XSELL"] if c in set(cs["cell"])]


def test_plan_is_deterministic(plan, small_ws):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", C.ControlGroupWarning)
        again = C.plan_campaign(small_ws)
    pd.testing.assert_frame_equal(plan.contacts, again.contacts)


def test_the_control_group_is_like_the_treatment_group(plan):
    s = plan.selection
    b = C.balance_check(s[s["group"].isin(["treatment", "control"])], ["response_score", "clv", "order_value"])
    assert (b["smd"].abs() < 0.25).all()          # random: no systematic difference (small client, wide margin)


def test_knobs_change_the_plan(small_ws):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        email = C.plan_campaign(small_ws, channel="email", recommend=False)
        assert set(email.contacts["channel"]) == {"email"}
        free = C.plan_campaign(small_ws, budget=None, recommend=False).totals()
        cap = free["fixed_cost"] + free["contact_cost"] / 2        # a budget that covers about half the contacts
        tight = C.plan_campaign(small_ws, budget=cap, recommend=False)
        half = C.plan_campaign(small_ws, depth_deciles=5, budget=None, recommend=False)
        ctrl = C.plan_campaign(small_ws, control_share=0.3, budget=None, recommend=False)
    assert tight.totals()["total_cost"] <= cap + 1e-6
    assert "over_budget" in set(tight.waterfall["step"])
    assert tight.totals()["contacts"] < free["contacts"]
    assert half.kpis()["mailing_depth_deciles"] == 5
    n = len(ctrl.contacts)
    assert abs((ctrl.contacts["group"] == "control").sum() - 0.3 * n) <= 5 * np.sqrt(n * 0.21)


def test_recently_contacted_people_are_suppressed(small_ws):
    last = small_ws.sql("SELECT max(contact_ts) AS t FROM contacts WHERE \"group\" = 'treatment'")["t"].iloc[0]
    start = (pd.Timestamp(last) + pd.Timedelta(days=5)).normalize()
    recent = set(small_ws.sql("SELECT customer_id FROM contacts WHERE \"group\" = 'treatment' AND contact_ts >= ?",
                              [start - pd.Timedelta(days=14)])["customer_id"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = C.plan_campaign(small_ws, start_date=start, recent_contact_days=14, recommend=False)
    wf = p.waterfall.set_index("step")
    assert wf.loc["recent", "removed"] > 0
    assert not (set(p.contacts["customer_id"]) & recent)
    assert set(p.people.loc[p.people["removed_at"] == "recent", "customer_id"]) <= recent


def test_export_writes_only_the_treatment_group(plan, small_ws, tmp_path, monkeypatch):
    monkeypatch.setenv("DBMKIT_REPORT_OUT", str(tmp_path))
    out = C.export_campaign_list(small_ws, plan)
    csv = pd.read_csv(tmp_path / "campaign_list.csv", dtype=str)
    treated = plan.contacts.loc[plan.contacts["group"] == "treatment", "customer_id"]
    assert len(csv) == len(out) == len(treated) and set(csv["customer_id"]) == set(treated)
    assert not set(csv["customer_id"]) & set(plan.contacts.loc[plan.contacts["group"] != "treatment", "customer_id"])
    assert {"campaign_id", "cell", "channel", "offer", "first_name", "recommended_product_name"} <= set(csv.columns)
    # data minimisation: an e-mail row carries the address and nothing else; a mail row the postal address
    em = csv[csv["channel"] == "email"]
    assert em["email"].notna().all() and em["phone"].isna().all() and em["street"].isna().all()
    if (csv["channel"] == "mail").any():
        m = csv[csv["channel"] == "mail"]
        assert m["street"].notna().all() and m["email"].isna().all()
    xl = pd.ExcelFile(tmp_path / "campaign_list.xlsx", engine="openpyxl")
    assert "summary" in xl.sheet_names and set(xl.sheet_names) - {"summary"} == set(csv["channel"])
    # without a report run the list goes to <workdir>/exports
    monkeypatch.delenv("DBMKIT_REPORT_OUT")
    assert C.campaign_list_dir(small_ws) == small_ws.workdir / "exports"


def test_builder_registered_in_the_workspace(small_ws):
    from dbmkit.client_workspace import DERIVED
    assert DERIVED["campaign_contacts"][:2] == ("dbmkit.campaign", "build_campaign_contacts")
    c = C.build_campaign_contacts(small_ws)
    assert list(c.columns) == C.CONTACT_COLUMNS and len(c) > 100


def test_erased_people_never_come_back(small_ws, plan, tmp_path):
    """Erase a planned person; even if a stale analysis table still lists them, they are 'erased' in the waterfall."""
    from dbmkit.client_workspace import Workspace
    cfg = small_ws.cfg.model_copy(deep=True)
    cfg.workdir = str(tmp_path / "copy")
    ws = Workspace(cfg)
    ws.workdir.mkdir(parents=True)
    shutil.copy(small_ws.db_path, ws.db_path)
    assert not ws.is_stale()
    for t in ("rfm", "clv", "segments", "scores", "customer_summary"):
        if not ws.has_table(t):
            ws.save(t, small_ws.table(t))
    victim = plan.treatment["customer_id"].iloc[0]
    tables = ("customer_summary", "rfm", "clv", "segments", "scores")
    rows = {t: ws.sql(f"SELECT * FROM {t} WHERE customer_id = ?", [victim]) for t in tables}
    assert all(len(r) == 1 for r in rows.values())
    with ws.connect(read_only=False) as con:
        database.erase_customer(con, victim, ws.workdir)
        for t, r in rows.items():                                       # stale analysis tables still list them
            con.register("_row", r)
            con.execute(f"INSERT INTO {t} SELECT * FROM _row")
            con.unregister("_row")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = C.plan_campaign(ws, recommend=False)
    assert victim not in set(p.contacts["customer_id"])
    assert p.people.set_index("customer_id").loc[victim, "removed_at"] == "erased"


def test_fallback_when_an_analysis_table_is_missing(small_ws, monkeypatch):
    """Without the phase-2 builders the plan still runs on customer_summary (and says so)."""
    from dbmkit.campaign import selection
    monkeypatch.setattr(selection, "_analysis_table", lambda ws, name: None)
    p = C.plan_campaign(small_ws, recommend=False, budget=None)
    assert sorted(p.fallbacks) == ["clv", "rfm", "scores", "segments"]
    assert len(p.contacts) > 100 and p.contacts["expected_response"].between(0, 1).all()
    # the fallback response score ranks: the best decile buys more often than the worst
    d = p.deciles
    assert d["mean_score"].iloc[0] > d["mean_score"].iloc[-1]


def test_planted_product_rules_are_found(small_ws):
    """The synthetic retailer plants basket rules (e.g. tents → sleeping bags): the SQL rules find them."""
    rules = C.product_rules(small_ws, small_ws.as_of, min_count=10)
    planted = small_ws.truth["planted_rules"]
    basket = planted[planted["kind"] == "basket"]
    found = rules[rules["kind"] == "basket"].set_index(["antecedent", "consequent"])["lift"]
    hits = [(a, b) for a, b in zip(basket["antecedent"], basket["consequent"]) if found.get((a, b), 0) > 2]
    assert len(hits) >= len(basket) - 1, hits
    top = rules[rules["kind"] == "basket"].nlargest(12, "lift")
    pairs = {frozenset(x) for x in zip(top["antecedent"], top["consequent"])}
    assert sum(frozenset((a, b)) in pairs for a, b in zip(basket["antecedent"], basket["consequent"])) >= 5


def test_sensitivity_and_breakeven_of_the_plan(plan):
    sens = plan.sensitivity().set_index("scenario")
    assert sens.loc["base", "expected_profit"] == pytest.approx(plan.kpis()["expected_profit"])
    assert sens.loc["response_rate +20%", "expected_profit"] > sens.loc["base", "expected_profit"]
    be = plan.breakeven_by_channel()
    assert set(be["channel"]) == set(plan.treatment["channel"])
    costs = plan.settings.costs
    for _, r in be.iterrows():
        assert r["cost_per_contact"] == pytest.approx(costs[r["channel"]])
        assert r["breakeven_rate"] == pytest.approx(r["cost_per_contact"] / r["margin_per_response"])
        assert r["pays"] == (r["expected_rate"] >= r["breakeven_rate"])
    assert be["contacts"].sum() == plan.kpis()["planned_contacts"]


def test_global_holdout_is_kept_out_of_every_campaign(small_ws, tmp_path, monkeypatch):
    """With a global holdout the same customers are held out of two different campaigns, are recorded in the
    contact history as 'holdout' and never reach the send file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = C.plan_campaign(small_ws, global_holdout_share=0.2, budget=None, recommend=False)
        b = C.plan_campaign(small_ws, global_holdout_share=0.2, budget=None, recommend=False,
                            start_date=small_ws.as_of + pd.Timedelta(days=40))
    assert a.settings.campaign_id != b.settings.campaign_id
    ha = set(a.contacts.loc[a.contacts["group"] == "holdout", "customer_id"])
    hb = set(b.contacts.loc[b.contacts["group"] == "holdout", "customer_id"])
    both = set(a.contacts["customer_id"]) & set(b.contacts["customer_id"])
    assert ha and (ha & both) == (hb & both)                        # held out in both campaigns alike
    n = len(a.contacts)
    assert abs(len(ha) - 0.2 * n) <= 5 * np.sqrt(n * 0.16)
    # the campaign control groups differ between campaigns (a new draw per campaign id)
    ca = set(a.contacts.loc[a.contacts["group"] == "control", "customer_id"]) & both
    cb = set(b.contacts.loc[b.contacts["group"] == "control", "customer_id"]) & both
    assert ca != cb
    monkeypatch.setenv("DBMKIT_REPORT_OUT", str(tmp_path))
    sent = C.export_campaign_list(small_ws, a)
    assert not set(sent["customer_id"]) & ha


def test_recommendations_are_kept_in_the_database_and_read_back_equal(small_ws, tmp_path):
    """The default rules and recommendations are saved on first use; the second plan reads the same frames; other
    inputs recompute; an erasure removes the person's saved recommendation."""
    from dbmkit.client_workspace import Workspace
    cfg = small_ws.cfg.model_copy(deep=True)
    cfg.workdir = str(tmp_path / "copy")
    ws = Workspace(cfg)
    ws.workdir.mkdir(parents=True)
    shutil.copy(small_ws.db_path, ws.db_path)
    for t in (C.personalise.RULES_TABLE, C.personalise.RECOMMENDATIONS_TABLE):
        ws.drop(t)
    fresh_rules = C.product_rules(ws, ws.as_of)
    fresh_rec = C.recommend_products(ws, ws.as_of, fresh_rules)
    r1, rec1 = C.cached_recommendations(ws, ws.as_of)                     # computes and saves
    assert ws.has_table("product_rules") and ws.has_table("product_recommendations")
    r2, rec2 = C.cached_recommendations(ws, ws.as_of)                     # reads back
    for a, b in ((r1, fresh_rules), (r2, fresh_rules), (rec1, fresh_rec), (rec2, fresh_rec)):
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)
    # another window: computed again, and the saved tables now carry the new inputs only
    _, rec3 = C.cached_recommendations(ws, ws.as_of, sequence_days=30)
    assert set(ws.sql("SELECT DISTINCT inputs FROM product_recommendations")["inputs"]) == {
        f"{ws.as_of.date()}|730|30"}
    victim = rec3["customer_id"].iloc[0]
    with ws.connect(read_only=False) as con:
        database.erase_customer(con, victim, ws.workdir)
    _, rec4 = C.cached_recommendations(ws, ws.as_of, sequence_days=30)
    assert victim not in set(rec4["customer_id"])


def test_the_plans_profit_roi_and_depth_carry_an_interval(plan, small_ws, monkeypatch):
    k = plan.kpis()
    u = plan.uncertainty.set_index("case")
    # the point row is the plan itself; the bounds bracket it
    assert u.loc["point", "expected_profit"] == pytest.approx(k["expected_profit"])
    assert u.loc["point", "roi"] == pytest.approx(k["expected_roi"])
    assert plan.has_interval() and (plan.bounds["evidence"] != "none").all()
    assert k["expected_profit_ci_low"] <= k["expected_profit"] <= k["expected_profit_ci_high"]
    assert k["expected_roi_ci_low"] <= k["expected_roi"] <= k["expected_roi_ci_high"]
    assert k["mailing_depth_deciles_ci_low"] <= k["mailing_depth_deciles_ci_high"]
    assert k["expected_profit_ci_low"] < k["expected_profit_ci_high"]
    # the same people and costs at every bound: only the responses move
    cost = k["expected_profit"] / k["expected_roi"]
    assert k["expected_profit_ci_low"] / k["expected_roi_ci_low"] == pytest.approx(cost)
    # no past campaigns: the rates are assumptions — no interval, and the key numbers say so with None
    empty = pd.DataFrame(columns=["channel", "campaign_id", "group", "people", "buyers", "revenue", "margin",
                                  "tracked_responses"])
    monkeypatch.setattr(C.personalise, "channel_history", lambda *a, **kw: empty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bare = C.plan_campaign(small_ws, recommend=False)
    kb = bare.kpis()
    assert not bare.has_interval() and (bare.bounds["evidence"] == "none").all()
    assert all(kb[f"{n}_ci_{e}"] is None for n in ("expected_profit", "expected_roi", "mailing_depth_deciles")
               for e in ("low", "high"))
    assert np.isfinite(kb["expected_profit"])
