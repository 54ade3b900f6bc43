"""Chapters 21, 40 and 41 on the small client: every decision number they record carries its interval, and the
numbers equal what the dbmkit functions give on the database the chapters left behind (rounded)."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def run(notebook_run):
    """The chapters' shared run (tests/conftest.py): key numbers and the workspace they left behind."""
    notebook_run.require_ok()
    return notebook_run.kpis, notebook_run.ws


def _inside(k, name):
    lo, hi = k[f"{name}_ci_low"], k[f"{name}_ci_high"]
    assert lo <= k[name] <= hi, (name, lo, k[name], hi)
    return hi - lo


@pytest.mark.notebooks
def test_chapter_21_promises_its_selection_with_an_interval(run):
    k, ws = run
    from dbmkit import rfm
    assert _inside(k, "rfm_expected_profit") > 0
    alpha = ws.cfg.campaign.significance
    contacts = rfm.campaign_rfm_contacts(ws, **rfm.rfm_settings(ws.cfg))
    cells = rfm.rfm_cell_table(contacts, by="rfm_cell", current=ws.table("rfm", build=False), alpha=alpha)
    sel = rfm.breakeven_cells(cells, ws.cfg.contact_cost("mail"), rate="incremental_shrunk", min_contacts=30)
    s = rfm.selection_summary({"shrunk": sel}, alpha=alpha)["shrunk"]
    assert round(s["expected profit"]) == round(k["rfm_expected_profit"])
    assert round(s["profit CI low"]) == round(k["rfm_expected_profit_ci_low"])
    assert int(sel.loc[sel["selected"], "customers_now"].sum()) == k["rfm_breakeven_customers"]
    # the shrunk cell rates are much closer to the synthetic truth than the raw ones (the winner's curse)
    truth = rfm.cell_truth(contacts, ws)
    ok = cells[cells["control"] > 0].assign(t=lambda c: truth.reindex(c["rfm_cell"]).to_numpy()).dropna(
        subset=["t"])
    assert np.mean((ok["incremental_shrunk"] - ok["t"]) ** 2) < 0.2 * np.mean((ok["incremental_rate"] - ok["t"]) ** 2)


@pytest.mark.notebooks
def test_chapter_40_records_the_intervals_of_the_campaign(run):
    k, ws = run
    assert k["campaign_alpha"] == ws.cfg.campaign.significance
    _inside(k, "campaign_lift")
    _inside(k, "campaign_incremental_profit")
    _inside(k, "campaign_roi")
    _inside(k, "email_open_rate")
    _inside(k, "email_ctor")
    # the ROI's interval is the profit's divided by the cost (one cost for all three)
    cost = k["campaign_incremental_profit"] / k["campaign_roi"]
    assert k["campaign_incremental_profit_ci_low"] / k["campaign_roi_ci_low"] == pytest.approx(cost, rel=1e-4)
    assert k["campaign_incremental_profit_ci_high"] / k["campaign_roi_ci_high"] == pytest.approx(cost, rel=1e-4)
    # the same numbers from the results the chapter wrote back (rounded)
    from dbmkit.evaluate import campaign_economics, collect_results
    b = collect_results(ws, fallback_to_past=True)
    e = campaign_economics(b.results, b.cost_per_contact, b.fixed_cost, alpha=k["campaign_alpha"],
                           bootstrap=ws.cfg.evaluate.bootstrap).iloc[0]
    assert round(e["roi_ci_low"], 3) == round(k["campaign_roi_ci_low"], 3)
    assert round(e["incremental_profit_ci_high"]) == round(k["campaign_incremental_profit_ci_high"])


@pytest.mark.notebooks
def test_chapter_41_plans_on_the_lower_bound(run):
    k, ws = run
    _inside(k, "uplift_observed_profit")
    assert 0 <= k["uplift_lower_bound_deciles"] <= 10
    assert -1 <= k["uplift_qini_truth"] <= 1 and k["uplift_qini_truth"] > k["uplift_qini"] - 0.2
    # the projection is the model's, the observed profit what the same deciles did: two different numbers
    assert k["uplift_projected_profit"] != pytest.approx(k["uplift_observed_profit"])
