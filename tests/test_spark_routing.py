"""What runs where with ``engine: spark``: the analyses that read the workspace's database go through its engine —
the customer summary table, the calibration/holdout split, ``rfm.customer_summary`` of a table of the workspace, the
campaign's channel history and contact pressure, revenue by segment, the attribution of orders to contacts, the
contacts' features, outcomes and categories, model features as of snapshots, e-mail KPIs by segment, product
recommendations (the caller's DataFrames handed to Spark beside the tables) — and give what DuckDB gives; on DuckDB
they give exactly what they gave before they were routed. The engine's query log says which ran on Spark.

Skipped with the reason when pyspark, sqlglot or Java is missing (the ``spark_session`` fixture)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SMALL_CONFIG

from dbmkit import clv, evaluate, explore, models, rfm, segments
from dbmkit import sql as dsql
from dbmkit.campaign import personalise, selection
from dbmkit.campaign.settings import CampaignSettings
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config
from dbmkit.sql.spark import DUCKDB_ONLY, QUERY_LOG, SPARK_QUERIES

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]


@pytest.fixture(scope="module")
def spark_ws(spark_session, small_ws):
    """The small client's workspace with engine spark (local[2], the session of ``spark_session``)."""
    return Workspace(load_config(SMALL_CONFIG, overrides={"workdir": str(small_ws.workdir), "engine.kind": "spark"}))


def assert_same(name: str, a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Same columns, dtypes, rows in the same order, NULLs; numbers to 1e-9 relative, everything else exact."""
    assert list(a.columns) == list(b.columns), name
    assert list(a.dtypes.astype(str)) == list(b.dtypes.astype(str)), f"{name}: {a.dtypes} vs {b.dtypes}"
    assert len(a) == len(b) and len(a) > 0, name
    for c in a.columns:
        x, y = a[c].reset_index(drop=True), b[c].reset_index(drop=True)
        assert (x.isna() == y.isna()).all(), f"{name}.{c}: NULLs differ"
        keep = ~x.isna().to_numpy()
        if pd.api.types.is_float_dtype(x):
            assert np.allclose(x[keep], y[keep], rtol=1e-9, atol=1e-9), f"{name}.{c}"
        else:
            assert (x[keep].to_numpy() == y[keep].to_numpy()).all(), f"{name}.{c}"


def _ran(ws, before: int) -> list[str]:
    return ws.spark_engine.ran[before:]


def test_the_workspace_analyses_run_on_spark_and_give_duckdbs_result(spark_ws, small_ws):
    s = CampaignSettings.from_config(small_ws.cfg, small_ws.as_of)
    stages = segments.lifecycle_stage(rfm.build_customer_summary(small_ws))
    first_campaign = small_ws.sql("SELECT min(campaign_id) AS c FROM campaigns")["c"].iloc[0]
    rules = personalise.product_rules(small_ws, s.as_of)
    snapshots = small_ws.sql("SELECT customer_id, TIMESTAMP '2026-01-01 08:00:00' AS snapshot_ts FROM customers")
    calls = {
        ("customer_summary_db",): lambda ws: rfm.build_customer_summary(ws),
        ("calibration_holdout",): lambda ws: clv.holdout_summary(ws),
        ("customer_summary", "customer_channels"): lambda ws: rfm.customer_summary(
            "purchases", con=ws, cost_col="cost", channel_col="channel", time_unit="W"),
        ("campaign_channel_history",): lambda ws: personalise.channel_history(ws, s.as_of, s.response_window_days),
        ("campaign_contact_pressure",): lambda ws: selection.campaign_suppressions(
            ws, s.channels, s.as_of, s.start, s.recent_contact_days, s.max_contacts_30d),
        ("revenue_by_order",): lambda ws: explore.revenue_by(ws, "segment", segments=stages,
                                                             segment_col="lifecycle_stage"),
        # the caller's contacts, snapshots, outcomes and segments handed to Spark beside the tables
        ("contact_outcomes",): lambda ws: evaluate.campaign_outcomes(ws, rule="most_recent"),
        ("attribute_responses",): lambda ws: evaluate.attribute_responses(
            ws.sql("SELECT campaign_id, customer_id, contact_ts FROM contacts"), ws, window_days=21),
        ("contact_outcomes", "contact_features"): lambda ws: evaluate.uplift_training_data(ws),
        ("contact_outcomes", "contact_categories"): lambda ws: evaluate.category_outcomes(ws, first_campaign),
        ("features_as_of",): lambda ws: models.model_features(ws, snapshots),
        ("campaign_recommendations",): lambda ws: personalise.recommend_products(ws, s.as_of, rules=rules),
        ("message_kpis",): lambda ws: evaluate.email_kpis(ws, by=["campaign_id", "lifecycle_stage"],
                                                          segments=stages[["customer_id", "lifecycle_stage"]]),
    }
    spark_ws.spark_engine           # made before the first call, so its log starts empty
    for names, call in calls.items():
        before = len(spark_ws.spark_engine.ran)
        got = call(spark_ws)
        assert _ran(spark_ws, before) == list(names), names      # on Spark, and nothing else
        assert_same(names[0], call(small_ws), got)
    log = (spark_ws.workdir / "spark" / QUERY_LOG).read_text(encoding="utf-8")
    assert {"customer_summary_db", "calibration_holdout", "revenue_by_order"} <= {
        line.split("\t")[3] for line in log.splitlines()}
    assert small_ws.spark_engine is None


SAME = dict(check_exact=False, rtol=1e-12, atol=0)


def test_on_duckdb_the_routed_analyses_give_what_they_gave_on_a_connection(small_ws):
    """Routing through the workspace changes nothing on DuckDB: the same frames as the calls on a DuckDB connection
    the analyses made before — ids, counts, dates and texts exactly, sums to 1e-12 relative (DuckDB adds a column's
    values in the order its threads finish, so two runs of one query can differ in the last bit)."""
    with small_ws.connect() as con:
        summary = dsql.run(con, "customer_summary_db", {"as_of": small_ws.as_of.date()})
        cal = clv.calibration_end(small_ws)
        holdout = clv.calibration_holdout("purchases", "customer_id", "order_ts", "net_amount", calibration_end=cal,
                                          holdout_end=small_ws.as_of, cost_col="cost", con=con)
        by_table = rfm.customer_summary("purchases", con=con, cost_col="cost", channel_col="channel")
        s = CampaignSettings.from_config(small_ws.cfg, small_ws.as_of)
        sup = selection.campaign_suppressions(con, s.channels, s.as_of, s.start, s.recent_contact_days,
                                              s.max_contacts_30d)
    pd.testing.assert_frame_equal(rfm.build_customer_summary(small_ws), summary, **SAME)
    pd.testing.assert_frame_equal(clv.holdout_summary(small_ws), holdout, **SAME)
    pd.testing.assert_frame_equal(rfm.customer_summary("purchases", con=small_ws, cost_col="cost",
                                                       channel_col="channel"), by_table, **SAME)
    pd.testing.assert_frame_equal(selection.campaign_suppressions(
        small_ws, s.channels, s.as_of, s.start, s.recent_contact_days, s.max_contacts_30d), sup, **SAME)


def test_a_dataframe_stays_on_duckdb_and_a_workspace_needs_a_table_name(spark_ws):
    tx = pd.DataFrame({"c": ["a", "a", "b"], "d": pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-02"]),
                       "v": [1.0, 2.0, 3.0]})
    before = len(spark_ws.spark_engine.ran)
    assert rfm.customer_summary(tx, "c", "d", "v", as_of="2024-01-31")["frequency"].tolist() == [1, 0]
    assert _ran(spark_ws, before) == []
    with pytest.raises(TypeError, match="give its name"):
        rfm.customer_summary(tx, "c", "d", "v", con=spark_ws)
    with pytest.raises(TypeError, match="give its name"):
        clv.calibration_holdout(tx, "c", "d", "v", calibration_end="2024-01-05", holdout_end="2024-01-31",
                                con=spark_ws)


def test_the_case_studies_query_is_declared_duckdb_only():
    """The case studies (chapters 90, 91) read their own DataFrames (CDNOW, the Complete Journey) on a DuckDB
    connection of their own, never the workspace: their query is not in the Spark set (the contract still runs it
    on Spark, since it is written portably)."""
    assert "case_weekly_repeat" in DUCKDB_ONLY and "case_weekly_repeat" not in SPARK_QUERIES
