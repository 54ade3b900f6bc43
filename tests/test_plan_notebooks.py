"""Chapters 30–31 run end to end on the small client (nbval, headless: the explorers fall back to static charts),
record their key numbers, write the contact history and the send file — and the numbers agree with a direct plan."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["30_plan_campaign", "31_plan_budget_test"]


@pytest.fixture(scope="module")
def run(notebook_run):
    """The chapters' shared run (tests/conftest.py): key numbers and the workspace they left behind."""
    notebook_run.require_ok()
    return notebook_run.kpis, notebook_run.ws


@pytest.mark.notebooks
def test_key_numbers_are_recorded_and_consistent(run, tmp_path):
    got, ws = run
    names = ["campaign_gross", "campaign_net", "breakeven_response_rate", "planned_contacts", "control_size",
             "expected_profit", "expected_roi", "mailing_depth_deciles"]
    for n in names:
        assert n in got and got[n] is not None and np.isfinite(got[n]), n
    assert got["campaign_gross"] >= got["campaign_net"] >= got["planned_contacts"] + got["control_size"] > 0
    n = got["planned_contacts"] + got["control_size"]
    assert abs(got["control_size"] - 0.1 * n) <= 5 * np.sqrt(n * 0.09)
    assert 0 < got["breakeven_response_rate"] < 0.05 and 1 <= got["mailing_depth_deciles"] <= 10
    # the same numbers as a plan made directly with the config's settings, on the database as chapter 30 saw it:
    # chapter 41 has since written the campaign's feedback, whose unsubscribes, complaints and bounces are consent
    # evidence at send time (docs/CONFIG.md, Consent) — a plan made now suppresses those people too
    import shutil

    from dbmkit.campaign import plan_campaign
    from dbmkit.client_workspace import Workspace
    cfg = ws.cfg.model_copy(deep=True)
    cfg.workdir = str(tmp_path / "as_in_chapter_30")
    then = Workspace(cfg)
    then.workdir.mkdir(parents=True)
    shutil.copy(ws.db_path, then.db_path)
    then.drop("campaign_feedback")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = plan_campaign(then, recommend=False).kpis()
        now = plan_campaign(ws, recommend=False)
    for name in names:
        assert got[name] == pytest.approx(k[name], rel=1e-6, abs=1e-6), name
    # the plan's numbers carry their interval (response rates at the bounds of their 95 % intervals from the past
    # campaigns): recorded beside them, bracketing them, and the same as the direct plan's
    for name in ("expected_profit", "expected_roi", "mailing_depth_deciles"):
        lo, hi = got[f"{name}_ci_low"], got[f"{name}_ci_high"]
        assert lo is not None and hi is not None, name
        assert round(lo, 2) == round(k[f"{name}_ci_low"], 2) and round(hi, 2) == round(k[f"{name}_ci_high"], 2)
    assert got["expected_profit_ci_low"] <= got["expected_profit"] <= got["expected_profit_ci_high"]
    assert got["expected_roi_ci_low"] <= got["expected_roi"] <= got["expected_roi_ci_high"]
    assert 0 <= got["mailing_depth_deciles_ci_low"] <= got["mailing_depth_deciles_ci_high"] <= 10
    fb = ws.sql("SELECT DISTINCT customer_id, channel FROM campaign_feedback "
                "WHERE kind IN ('unsubscribe', 'complaint', 'bounce')")
    assert len(fb) and now.kpis()["campaign_net"] < got["campaign_net"]
    t = now.contacts[now.contacts["group"] == "treatment"]
    assert not set(zip(t["customer_id"], t["channel"])) & set(zip(fb["customer_id"], fb["channel"]))


@pytest.mark.notebooks
def test_contact_history_and_send_file_are_written(run):
    got, ws = run
    contacts = ws.table("campaign_contacts", build=False)
    assert list(contacts.columns) == ["campaign_id", "customer_id", "cell", "group", "channel", "offer", "contact_ts",
                                      "expected_response", "expected_profit", "recommended_product"]
    assert (contacts["group"] == "treatment").sum() == got["planned_contacts"]
    assert (contacts["group"] == "control").sum() == got["control_size"]
    wf = ws.table("campaign_waterfall", build=False).set_index("step")
    assert wf.loc["gross", "remaining"] == got["campaign_gross"] and wf.loc["net", "remaining"] == got["campaign_net"]
    sent = pd.read_csv(ws.workdir / "exports" / "campaign_list.csv", dtype=str)
    assert set(sent["customer_id"]) == set(contacts.loc[contacts["group"] == "treatment", "customer_id"])
    assert (ws.workdir / "exports" / "campaign_list.xlsx").exists()
