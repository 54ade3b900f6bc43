"""The workspace: builds the database once, knows when it is stale, swaps a rebuild in atomically."""
from __future__ import annotations

import pandas as pd
import pytest

from dbmkit import database
from dbmkit.client_workspace import Workspace, workspace
from dbmkit.config import load_config
from dbmkit.identity import match_quality


def test_small_client_builds_and_reconciles(small_ws):
    log = small_ws.sql("SELECT * FROM load_log")
    assert len(log) == 17                      # every raw export of the synthetic client was read
    assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
    q = small_ws.sql("SELECT count(*) AS n FROM quarantine")["n"].iloc[0]
    assert q == log["rows_quarantined"].sum()
    n = small_ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
    assert 2400 < n < 2700                     # 2,500 people (+ a few test accounts, − rare false merges)


def test_merge_purge_meets_the_demo_thresholds(small_ws):
    rec = small_ws.sql("SELECT record_id, customer_id FROM customer_records")
    q = match_quality(rec, small_ws.truth["records"])
    assert q["precision"] >= 0.95 and q["recall"] >= 0.90, q


def test_every_order_and_person_is_accounted_for(small_ws):
    truth = small_ws.truth["people"]
    buyers_truth = truth["buyer"].sum()
    buyers_db = small_ws.sql("SELECT count(DISTINCT customer_id) AS n FROM orders "
                             "WHERE status = 'completed'")["n"].iloc[0]
    assert abs(buyers_db - buyers_truth) / buyers_truth < 0.02


def test_not_stale_until_the_data_config_changes(small_ws):
    assert not small_ws.is_stale()
    other = Workspace(load_config(small_ws.cfg.source_path, overrides={"workdir": str(small_ws.workdir),
                                                                       "data.synthetic.seed": 12}))
    assert other.is_stale()
    knob = Workspace(load_config(small_ws.cfg.source_path, overrides={"workdir": str(small_ws.workdir),
                                                                      "campaign.budget": 1234}))
    assert not knob.is_stale()               # chapter knobs do not force a rebuild


def test_failed_build_leaves_the_old_database(tmp_path, monkeypatch):
    cfg = load_config({"client": "atomic", "workdir": str(tmp_path), "data": {"synthetic": {"n_people": 300,
                                                                                            "n_campaigns": 1}}})
    ws = Workspace(cfg).ensure_built()
    before = ws.sql("SELECT count(*) AS n FROM orders")["n"].iloc[0]

    def boom(*a, **k):
        raise RuntimeError("simulated crash in the middle of a build")
    monkeypatch.setattr(database.pipeline, "_assemble", boom)
    with pytest.raises(RuntimeError, match="simulated crash"):
        ws.ensure_built(force=True)
    assert ws.sql("SELECT count(*) AS n FROM orders")["n"].iloc[0] == before
    assert not list(tmp_path.glob("*.building.duckdb*"))


def test_derived_tables_are_built_on_demand_and_base_tables_protected(small_ws):
    cs = small_ws.table("customer_summary")
    assert small_ws.has_table("customer_summary")
    assert {"frequency", "recency", "T", "monetary_total", "margin_total"} <= set(cs.columns)
    assert (cs["recency"] <= cs["T"]).all() and (cs["frequency"] >= 0).all()
    with pytest.raises(ValueError, match="base table"):
        small_ws.save("orders", pd.DataFrame({"x": [1]}))


def test_config_env_override(small_ws, monkeypatch):
    monkeypatch.setenv("DBMKIT_CONFIG", str(small_ws.cfg.source_path))
    monkeypatch.setenv("DBMKIT_WORKDIR", str(small_ws.workdir))
    ws = workspace("clients/does-not-exist.yaml")
    assert ws.cfg.client == "small" and not ws.is_stale()


def test_client_without_past_campaigns_builds(tmp_path):
    ws = Workspace(load_config({"client": "nocamp", "workdir": str(tmp_path),
                                "data": {"synthetic": {"n_people": 300, "n_campaigns": 0}}})).ensure_built()
    assert ws.sql("SELECT count(*) AS n FROM campaigns")["n"].iloc[0] == 0
    assert ws.sql("SELECT count(*) AS n FROM orders")["n"].iloc[0] > 500
