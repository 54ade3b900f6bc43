"""Results collection, the campaign in money, feedback written back as tables of their own, follow-ups, lessons —
on the synthetic client, and on the same data loaded as a real client (no truth)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config
from dbmkit.evaluate import (
    RESULT_COLUMNS,
    NoResultsYet,
    build_campaign_results,
    campaign_economics,
    campaign_feedback,
    collect_results,
    compare_groups,
    consent_changes,
    email_kpis,
    follow_up_list,
    kpi_dashboard,
    lessons,
    overall_rates,
    srm_check,
    write_back,
)

ROOT = Path(__file__).resolve().parents[1]


def _planned(ws, share=0.2, seed=0):
    ids = ws.sql("""SELECT c.customer_id FROM customers c JOIN consent_latest k USING (customer_id)
                    WHERE k.channel = 'email' AND k.status = 'opt_in' AND NOT coalesce(c.is_test, false)
                    ORDER BY 1""")["customer_id"]
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"campaign_id": "NEW-TEST", "customer_id": ids, "channel": "email",
                         "cell": rng.choice(["WIN", "XSELL"], len(ids)), "offer": "We miss you: 20 % off",
                         "group": np.where(rng.random(len(ids)) < share, "control", "treatment"),
                         "contact_ts": pd.Timestamp("2026-07-07 08:00")})


@pytest.fixture(scope="module")
def copy_ws(small_ws, tmp_path_factory):
    """A private copy of the small client's workspace (write_back must not change the shared one)."""
    d = tmp_path_factory.mktemp("evaluate_copy")
    shutil.copytree(small_ws.workdir, d, dirs_exist_ok=True)
    return Workspace(load_config(ROOT / "tests" / "small_client.yaml", overrides={"workdir": str(d)}))


@pytest.fixture(scope="module")
def real_ws(small_ws, tmp_path_factory):
    """The small client's raw exports loaded as a real client: same data, no truth."""
    src = yaml.safe_load((small_ws.raw_dir / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    cfg = load_config({"client": "realish", "workdir": str(tmp_path_factory.mktemp("realish")),
                       "analysis_date": "2026-06-30", "base_dir": str(small_ws.raw_dir),
                       "data": {"sources": src, "staff_email_domains": ["northwind-outfitters.com"],
                                "source_priority": ["crm", "pos", "web"]}})
    return Workspace(cfg).ensure_built()


def test_planned_campaign_simulated_for_the_synthetic_client(small_ws):
    planned = _planned(small_ws)
    b = collect_results(small_ws, contacts=planned)
    assert list(b.results.columns) == RESULT_COLUMNS + ["p_control", "p_treated"]
    assert len(b.results) == len(planned)
    assert b.results.set_index("customer_id")["cell"].equals(planned.set_index("customer_id")["cell"])
    assert "simulated" in b.source and b.true_lift is not None
    assert b.cost_per_contact["email"] == small_ws.cfg.economics.cost_per_contact["email"]
    # the same seed gives the same results (config seed)
    b2 = collect_results(small_ws, contacts=planned)
    pd.testing.assert_frame_equal(b.results, b2.results)


def test_past_campaign_with_its_truth(small_ws):
    b = collect_results(small_ws, campaign_id="CMP08")
    assert set(b.results["campaign_id"]) == {"CMP08"}
    assert b.truth is not None and b.truth["p_control"].notna().mean() > 0.95
    assert b.cost_per_contact == pytest.approx(0.02)
    assert len(b.email_events) > 0
    with pytest.raises(ValueError, match="no campaign"):
        collect_results(small_ws, campaign_id="CMP99")


def test_economics_by_hand(small_ws):
    b = collect_results(small_ws, contacts=_planned(small_ws))
    r = b.results
    e = campaign_economics(r, b.cost_per_contact, b.fixed_cost).iloc[0]
    tr, ct = r[r["group"] == "treatment"], r[r["group"] == "control"]
    inc_margin = (tr["margin"].mean() - ct["margin"].mean()) * len(tr)
    cost = 0.02 * len(tr) + small_ws.cfg.economics.campaign_fixed_cost
    assert e["incremental_margin"] == pytest.approx(inc_margin)
    assert e["cost"] == pytest.approx(cost)
    assert e["incremental_profit"] == pytest.approx(inc_margin - cost)
    assert e["roi"] == pytest.approx((inc_margin - cost) / cost)
    assert e["incremental_responses"] == pytest.approx((tr["responded"].mean() - ct["responded"].mean()) * len(tr))
    cg = compare_groups(r, "group", "responded", "control").iloc[0]
    assert (e["lift_ci_low"], e["lift_ci_high"]) == pytest.approx((cg["ci_low"], cg["ci_high"]))
    by = campaign_economics(r, b.cost_per_contact, b.fixed_cost, by="cell")
    assert by["fixed_cost"].sum() == pytest.approx(b.fixed_cost)
    assert by["contact_cost"].sum() == pytest.approx(0.02 * len(tr))


def test_srm_check_on_the_planned_split(small_ws):
    r = collect_results(small_ws, contacts=_planned(small_ws, share=0.2)).results
    assert not srm_check(r, expected={"treatment": 0.8, "control": 0.2})["srm"].any()
    assert srm_check(r, expected={"treatment": 0.9, "control": 0.1})["srm"].all()


def test_feedback_and_write_back_leave_base_tables_alone(copy_ws):
    b = collect_results(copy_ws, contacts=_planned(copy_ws))
    fb = campaign_feedback(b)
    assert set(fb["kind"]) <= {"response", "unsubscribe", "complaint", "bounce"}
    assert (fb["kind"] == "response").sum() == b.results["responded"].sum()
    opt = fb[fb["consent_status"] == "opt_out"]
    assert set(opt["customer_id"]) == set(b.unsubscribes["customer_id"])
    cc = consent_changes(fb)
    assert set(cc["status"]) <= {"opt_out"} and cc[["customer_id", "channel"]].duplicated().sum() == 0
    tables = ("customers", "consents", "orders", "contacts", "responses", "email_events")
    before = {t: int(copy_ws.sql(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0]) for t in tables}
    ev = compare_groups(b.results, "group", ["responded", "margin"], "control")
    written = write_back(copy_ws, b, evaluation=ev)
    assert written == {"campaign_results": len(b.results), "campaign_feedback": len(fb), "campaign_evaluation": 2}
    after = {t: int(copy_ws.sql(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0]) for t in tables}
    assert after == before
    stored = copy_ws.table("campaign_results", build=False)
    assert len(stored) == len(b.results) and stored["responded"].sum() == b.results["responded"].sum()
    with pytest.raises(ValueError, match="base table"):
        copy_ws.save("consents", cc)
    # a past campaign's results never replace the planned campaign's campaign_results
    past = write_back(copy_ws, collect_results(copy_ws, campaign_id="CMP08"))
    assert "campaign_results" not in past and past["campaign_feedback"] > 0
    assert len(copy_ws.table("campaign_results", build=False)) == len(b.results)


def test_follow_up_triggers(small_ws):
    b = collect_results(small_ws, contacts=_planned(small_ws))
    f = follow_up_list(b, wait_days=2)
    bought = set(b.results.loc[b.results["responded"] == 1, "customer_id"])
    assert not (set(f["customer_id"]) & bought)
    assert not (set(f["customer_id"]) & set(b.unsubscribes["customer_id"]))
    clicked = set(b.email_events.loc[b.email_events["event"] == "clicked", "customer_id"])
    hot = f[f["trigger"] == "clicked, no purchase"]
    assert set(hot["customer_id"]) == clicked - bought - set(b.unsubscribes["customer_id"]) - set(
        b.email_events.loc[b.email_events["event"] == "bounced", "customer_id"])
    assert ((f["send_at"] - f["trigger_ts"]) == pd.Timedelta(days=2)).all()
    assert f["trigger"].iloc[0] == "clicked, no purchase"


def test_lessons_follow_the_numbers(small_ws):
    b = collect_results(small_ws, contacts=_planned(small_ws))
    e = campaign_economics(b.results, b.cost_per_contact, b.fixed_cost)
    by = campaign_economics(b.results, b.cost_per_contact, b.fixed_cost, by="cell")
    k = overall_rates(email_kpis(b.email_events))
    L = lessons(e, by, email=k, true_lift=b.true_lift, currency="$")
    assert {"result", "money", "truth check", "slices", "feedback"} <= set(L["topic"])
    res = L[L["topic"] == "result"].iloc[0]
    significant = e["p_value"].iloc[0] < 0.05
    assert ("no significant difference" in res["finding"]) == (not significant)
    covered = e["lift_ci_low"].iloc[0] <= b.true_lift <= e["lift_ci_high"].iloc[0]
    assert ("covers" in L[L["topic"] == "truth check"]["finding"].iloc[0]) == covered
    # a campaign that lost money for sure is called so
    loss = e.assign(incremental_profit=-5000.0, incremental_profit_ci_low=-9000.0, incremental_profit_ci_high=-100.0)
    assert "lost money" in lessons(loss).set_index("topic").loc["money", "finding"]


def test_campaign_results_builder_with_the_planner(small_ws):
    pytest.importorskip("dbmkit.campaign")
    from dbmkit import campaign
    if not hasattr(campaign, "build_campaign_contacts"):
        pytest.skip("the campaign planner (build_campaign_contacts) is not there yet")
    contacts = small_ws.table("campaign_contacts")
    res = build_campaign_results(small_ws)
    assert len(res) == len(contacts)
    assert set(RESULT_COLUMNS) <= set(res.columns)
    assert set(res["group"]) <= {"treatment", "control", "holdout"}


def test_real_client_has_no_results_yet_but_past_campaigns(real_ws):
    assert real_ws.truth is None
    planned = _planned(real_ws)
    with pytest.raises(NoResultsYet, match="load the orders"):
        collect_results(real_ws, contacts=planned)
    b = collect_results(real_ws, campaign_id="CMP05")
    assert b.truth is None and b.true_lift is None and "p_control" not in b.results
    e = campaign_economics(b.results, b.cost_per_contact, b.fixed_cost)
    assert len(e) == 1 and np.isfinite(e["lift"].iloc[0])
    L = lessons(e)
    assert "truth check" not in set(L["topic"])
    d = kpi_dashboard(real_ws)
    assert len(d.campaigns) == 8 and d.headline["cac"] > 0


def test_real_client_results_after_the_campaign(real_ws):
    # contacts dated inside the history stand for a campaign whose results the client has already loaded
    planned = _planned(real_ws).assign(contact_ts=pd.Timestamp("2026-05-01 09:00"))
    b = collect_results(real_ws, contacts=planned)
    assert b.truth is None and "client's files" in b.source
    o = real_ws.sql("""SELECT DISTINCT customer_id FROM orders WHERE status = 'completed'
                       AND order_ts >= TIMESTAMP '2026-05-01 09:00' AND order_ts < TIMESTAMP '2026-05-31 09:00'""")
    assert set(b.results.loc[b.results["responded"] == 1, "customer_id"]) == set(o["customer_id"]) & set(
        planned["customer_id"])
