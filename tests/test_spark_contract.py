"""The dialect contract: every query the Spark engine runs gives the same result on Spark (local[2]) as on DuckDB,
over the same data — the small synthetic client (tests/small_client.yaml, built once) and the CDNOW sample.

Same result: the same rows in the same order for the query's ORDER BY (ties broken by every column), ids equal, the
same NULLs, the same dtypes, numbers equal to 1e-9 relative. ``CALLS`` holds the parameters each query is run with
(those the workbook passes); a query added to ``SPARK_QUERIES`` without a call here, or that does not give the same
numbers, fails (``PORTABLE_DUCKDB_ONLY``: queries of the case studies, run over their own data on DuckDB, checked
here all the same). Every query file is either in ``SPARK_QUERIES`` or in ``DUCKDB_ONLY`` with a reason.

Skipped with the reason when pyspark, sqlglot or Java is missing (``pip install 'dbmkit[spark]'``).
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from dbmkit import sql as dsql
from dbmkit.sql.dialect import tables_of
from dbmkit.sql.same_result import assert_same, ordered
from dbmkit.sql.spark import DUCKDB_ONLY, SPARK_QUERIES, SparkEngine, unavailable

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

R = dsql.Raw
AS_OF = dt.date(2026, 6, 30)          # the small client's analysis date (tests/small_client.yaml)
CDNOW_END = dt.date(1998, 6, 30)

# query → [(data, params, identifiers[, frames]), …]: data is "small" (the small client's database) or "cdnow" (a
# connection holding the CDNOW sample as the table cdnow); frames ({name: SQL over that data}) are the DataFrames a
# caller hands the query besides the tables (contacts, snapshots, segments), made once on DuckDB and given to both
CONTACTS = ("SELECT campaign_id, customer_id, \"group\", contact_ts, "     # two response windows, one of 14.5 days
            "CASE WHEN right(customer_id, 1) IN ('1', '4', '7') THEN 14.5 ELSE 30.0 END AS window_days FROM contacts")
SNAPSHOTS = ("SELECT row_number() OVER (ORDER BY customer_id, d) AS snapshot_id, customer_id, d AS snapshot_ts "
             "FROM customers CROSS JOIN (VALUES (TIMESTAMP '2025-07-01 00:00:00'), (TIMESTAMP '2026-03-15 12:30:00')) "
             "t(d)")
RULES = ("SELECT CASE WHEN length(a.s) % 3 = 0 THEN 'sequence' ELSE 'basket' END AS kind, a.s AS antecedent, "
         "b.s AS consequent, (length(a.s) + length(b.s)) / 40.0 AS confidence, 1 + length(b.s) / 10.0 AS lift "
         "FROM (SELECT DISTINCT subcategory AS s FROM products) a, (SELECT DISTINCT subcategory AS s FROM products) b "
         "WHERE a.s <> b.s AND a.s IS NOT NULL AND b.s IS NOT NULL")
KPI_FRAMES = {"_kpi_outcomes": "SELECT DISTINCT campaign_id, customer_id, 1 AS responded FROM responses",
              "_kpi_segments": "SELECT customer_id, CAST(gender AS VARCHAR) AS seg FROM customers",
              "_kpi_ids": "SELECT DISTINCT campaign_id FROM sms_events ORDER BY 1 LIMIT 2"}
CALLS: dict[str, list[tuple]] = {
    "customer_summary": [
        ("cdnow", {"as_of": CDNOW_END, "unit": 7.0},
         dict(tx=R("cdnow"), customer="customer_id", ts="date", amount="dollars",
              day_cost=R("CAST(NULL AS DOUBLE)"), margin=R("CAST(NULL AS DOUBLE)"))),
        ("small", {"as_of": AS_OF, "unit": 1},
         dict(tx=R("purchases"), customer="customer_id", ts="order_ts", amount="net_amount",
              day_cost=R('sum(CAST("cost" AS DOUBLE))'), margin=R("sum(amount - cost)"))),
    ],
    "customer_channels": [("small", {"as_of": AS_OF},
                           dict(tx=R("purchases"), customer="customer_id", ts="order_ts", channel="channel"))],
    "customer_summary_db": [("small", {"as_of": AS_OF}, {}), ("small", {"as_of": dt.date(2025, 3, 31)}, {})],
    "rfm_inputs_as_of": [("small", {"dates": [dt.date(2025, 1, 31), dt.date(2026, 3, 1)]},
                          dict(dates=R("(SELECT unnest($dates) AS as_of)")))],
    "calibration_holdout": [
        ("cdnow", {"cal_end": dt.date(1997, 9, 30), "holdout_end": CDNOW_END, "unit": 7.0},
         dict(tx=R("cdnow"), customer="customer_id", ts="date", amount="dollars", cost=R("0"))),
        ("small", {"cal_end": dt.date(2025, 6, 30), "holdout_end": AS_OF, "unit": 1},
         dict(tx=R("purchases"), customer="customer_id", ts="order_ts", amount="net_amount", cost="cost")),
    ],
    "case_weekly_repeat": [("cdnow", {"start": dt.date(1997, 1, 1), "weeks": 78},
                            dict(tx=R("cdnow"), customer="customer_id", ts="date"))],
    "cohort_retention": [("small", {"as_of": AS_OF}, dict(period=R("'month'"))),
                         ("small", {"as_of": AS_OF}, dict(period=R("'quarter'")))],
    "monthly_revenue": [("small", {}, dict(by=R("'all'"))), ("small", {}, dict(by="channel"))],
    "revenue_by_period": [("small", {"as_of": AS_OF}, dict(period=R("'month'"))),
                          ("small", {"as_of": AS_OF}, dict(period=R("'week'")))],
    "revenue_by_order": [
        ("small", {"as_of": AS_OF, "start": dt.date(1900, 1, 1)},
         dict(dim=R("o.channel"), period_expr=R("CAST(NULL AS DATE)"), segment_join=R(""))),
        ("small", {"as_of": AS_OF, "start": dt.date(2025, 7, 1)},
         dict(dim=R("c.city"), period_expr=R("CAST(date_trunc('quarter', o.order_ts) AS DATE)"), segment_join=R(""))),
    ],
    "revenue_by_product": [
        ("small", {"as_of": AS_OF, "start": dt.date(1900, 1, 1)},
         dict(dim=R("p.category"), period_expr=R("CAST(NULL AS DATE)"))),
        ("small", {"as_of": AS_OF, "start": dt.date(2025, 7, 1)},
         dict(dim=R("coalesce(p.name, l.product_id)"), period_expr=R("CAST(date_trunc('month', l.order_ts) AS DATE)"))),
    ],
    "yearly_retention": [("small", {"as_of": AS_OF}, {})],
    "customer_period_value": [("small", {"start": dt.date(2025, 7, 1), "as_of": AS_OF}, {})],
    "customer_profitability": [("small", {"as_of": AS_OF}, {})],
    "category_purchases": [("small", {"as_of": AS_OF}, {})],
    "churn_by_group": [("small", {"as_of": AS_OF, "start": dt.date(2025, 6, 30), "active_days": 365},
                        dict(by=R("p.first_channel"))),
                       ("small", {"as_of": AS_OF, "start": dt.date(2025, 6, 30), "active_days": 180},
                        dict(by=R('c."acquisition_channel"')))],
    "customer_states": [("small", {"as_of": AS_OF, "active_days": 365, "long_inactive_days": 730}, {})],
    "order_span": [("small", {}, {})],
    "buyers_before": [("small", {"before": dt.datetime(2025, 6, 30)}, {})],
    "purchases_between": [("small", {"start": dt.datetime(2025, 6, 30), "end": dt.datetime(2026, 6, 30, 23, 59)}, {})],
    "profile_attributes": [("small", {"as_of": AS_OF}, {})],
    "association_pairs": [("small", {"start": dt.date(2024, 7, 1), "as_of": AS_OF, "min_count": 5},
                           dict(baskets=R("SELECT DISTINCT CAST(o.order_id AS VARCHAR) AS basket, "
                                          "CAST(p.subcategory AS VARCHAR) AS item FROM order_items i JOIN orders o "
                                          "USING (order_id) LEFT JOIN products p USING (product_id) WHERE o.status = "
                                          "'completed' AND CAST(o.order_ts AS DATE) BETWEEN $start AND $as_of AND "
                                          "p.subcategory IS NOT NULL")))],
    "basket_items": [("small", {"start": dt.date(2025, 7, 1), "as_of": AS_OF},
                      dict(basket=R("o.customer_id"), item=R("p.category")))],
    "sequence_pairs": [("small", {"as_of": AS_OF, "windows": [30, 90], "min_count": 5, "max_anchors": 3},
                        dict(item=R("p.category")))],
    "pair_counts": [("small", {"a": "Home", "c": "Beauty", "as_of": AS_OF}, dict(item=R("p.category")))],
    "campaign_rf_response": [("small", {"as_of": AS_OF, "cutoff": dt.date(2025, 12, 31)}, {})],
    "campaign_contact_pressure": [("small", {"start": dt.datetime(2026, 7, 1), "recent_days": 60}, {})],
    "campaign_channel_history": [("small", {"as_of": AS_OF, "default_window": 30}, {})],
    "campaign_product_rules": [("small", {"as_of": AS_OF, "lookback_days": 730, "sequence_days": 120,
                                          "min_count": 5}, {})],
    "rfm_contact_outcomes": [("small", {"as_of": AS_OF}, {})],
    "retention_by_period": [("small", {"as_of": dt.datetime(2026, 6, 30), "days": 90}, {})],
    "contact_responses": [("small", {"as_of": AS_OF}, {})],
    "features_as_of": [("small", {}, {}, {"_snapshots": SNAPSHOTS})],
    "attribute_responses": [("small", {"rule": rule}, dict(contacts=R("_att_contacts"), orders=R("orders")),
                             {"_att_contacts": CONTACTS}) for rule in ("most_recent", "first", "all")],
    "contact_outcomes": [("small", {"rule": rule},
                          dict(contacts=R("_att_contacts"),
                               attributed=R(dsql.render("attribute_responses", contacts=R("_att_contacts"),
                                                        orders=R("orders")))),
                          {"_att_contacts": CONTACTS}) for rule in ("all", "most_recent")],
    "contact_features": [("small", {}, dict(contacts=R("_feat_contacts")),
                          {"_feat_contacts": "SELECT campaign_id, customer_id, contact_ts FROM contacts"})],
    "contact_categories": [("small", {}, {}, {"_cat_contacts": CONTACTS})],
    "campaign_recommendations": [("small", {"as_of": AS_OF, "lookback_days": 730, "sequence_days": 90}, dict(
        rules=R("_campaign_rules")), {"_campaign_rules": RULES})],
    "message_kpis": [
        ("small", {}, dict(keys=R('p."campaign_id" AS "campaign_id"'), events=R("(SELECT * FROM email_events)"),
                           outcomes=R("_kpi_outcomes"), segments=R("_kpi_segments")), KPI_FRAMES),
        ("small", {}, dict(keys=R('p."campaign_id" AS "campaign_id", s."seg" AS "seg"'),
                           events=R("(SELECT * FROM sms_events WHERE campaign_id IN "
                                    "(SELECT campaign_id FROM _kpi_ids))"),
                           outcomes=R("_kpi_outcomes"), segments=R("_kpi_segments")), KPI_FRAMES),
    ],
}


@pytest.fixture(scope="module")
def spark_engine(spark_session, tmp_path_factory):
    return SparkEngine("local[2]", export_dir=tmp_path_factory.mktemp("spark_export"))


@pytest.fixture(scope="module")
def cdnow_con():
    from dbmkit.datasets import cdnow
    con = duckdb.connect()
    con.register("_cdnow_df", cdnow("sample"))
    con.execute("CREATE TABLE cdnow AS SELECT * FROM _cdnow_df")
    con.unregister("_cdnow_df")
    yield con
    con.close()


def test_every_query_is_declared():
    names = set(dsql.names())
    undeclared = names - set(SPARK_QUERIES) - set(DUCKDB_ONLY)
    assert not undeclared, f"query files neither in SPARK_QUERIES nor in DUCKDB_ONLY (with a reason): {undeclared}"
    assert not set(SPARK_QUERIES) & set(DUCKDB_ONLY)
    assert set(SPARK_QUERIES) <= names and set(DUCKDB_ONLY) <= names
    assert all(len(why) > 20 for why in DUCKDB_ONLY.values())


# queries that never run on the workspace's engine (they read the caller's own data) but are written portably and
# kept so: the contract runs them on Spark too
PORTABLE_DUCKDB_ONLY = {"case_weekly_repeat"}


def test_every_spark_query_has_a_contract_call():
    assert set(CALLS) == set(SPARK_QUERIES) | PORTABLE_DUCKDB_ONLY, \
        f"no contract call for {sorted(set(SPARK_QUERIES) - set(CALLS))}"
    assert PORTABLE_DUCKDB_ONLY <= set(DUCKDB_ONLY)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_result_on_spark_and_duckdb(name, spark_engine, small_ws, cdnow_con):
    if unavailable():
        pytest.skip(unavailable())
    for data, params, idents, *given in CALLS[name]:
        q = dsql.render(name, **idents)
        if data == "cdnow":
            duck = cdnow_con.execute(q, params).df()
            spark = spark_engine.run(cdnow_con, name, q, params, stamps="cdnow")
        else:
            with small_ws.connect() as con:
                frames = {k: con.execute(f).df() for k, f in (given[0] if given else {}).items()}
                for k, df in frames.items():
                    con.register(k, df)
                duck = con.execute(q, params).df()
                # the database's tables exported once; the frames at every call
                stamps = {t: "small" for t in tables_of(q) if t not in frames}
                spark = spark_engine.run(con, name, q, params, stamps=stamps)
        assert len(duck) > 0, f"{name} {params}: the contract call returns no rows on DuckDB; choose other parameters"
        assert_same(f"{name}{params}", ordered(duck), ordered(spark))


def test_clock_differences_and_second_intervals_mean_the_same_on_both_engines(spark_engine):
    """datediff in seconds/minutes/hours counts boundaries on both (Spark's own DATEDIFF counts whole units:
    00:00:00.9 → 00:00:01.1 would be 0 seconds there), before 1970 too; to_seconds(n) adds n seconds."""
    if unavailable():
        pytest.skip(unavailable())
    con = duckdb.connect()
    con.execute("""CREATE TABLE clock AS SELECT * FROM (VALUES
        (TIMESTAMP '2024-03-01 00:00:00.9', TIMESTAMP '2024-03-01 00:00:01.1', 1.5),
        (TIMESTAMP '2024-03-01 10:59:59.999', TIMESTAMP '2024-03-01 11:00:00', 0.25),
        (TIMESTAMP '1969-12-31 23:59:59.5', TIMESTAMP '1970-01-01 01:00:00.5', 86400.0),
        (TIMESTAMP '2024-03-02 12:00:00', TIMESTAMP '2024-03-01 11:30:00', 2.0)) t(a, b, days)""")
    q = ("SELECT a, date_diff('second', a, b) AS s, date_diff('minute', a, b) AS m, date_diff('hour', a, b) AS h, "
         "a + to_seconds(CAST(round(days * 86400) AS BIGINT)) AS later FROM clock ORDER BY a")
    duck = con.execute(q).df()
    assert duck["s"].tolist() == [3601, 1, 1, -88200] and duck["h"].tolist() == [2, 0, 1, -25]
    assert_same("clock", ordered(duck), ordered(spark_engine.run(con, "clock", q, {}, stamps=None)))
    con.close()
