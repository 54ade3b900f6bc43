"""The marketing database: schema and constraints, reconciliation, the planted faults of the synthetic exports,
sales shapes, consent and suppression, erasure, pseudonymisation, retention, enrichment and the atomic rebuild."""
from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from dbmkit import database, ingest, schema
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config
from dbmkit.privacy import find_pii


# ------------------------------------------------------------------------------------------------ schema
def test_tables_views_and_constraints(small_ws):
    with small_ws.connect() as con:
        cons = con.execute("SELECT table_name, constraint_type FROM duckdb_constraints()").df()
        views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    pk = set(cons.loc[cons["constraint_type"] == "PRIMARY KEY", "table_name"])
    fk = set(cons.loc[cons["constraint_type"] == "FOREIGN KEY", "table_name"])
    assert set(schema.PRIMARY_KEYS) <= pk and set(schema.FOREIGN_KEYS) <= fk
    assert {"consent_latest", "purchases", "sales", "customer_view"} <= views
    tables = set(small_ws.tables())
    assert not {t for t in tables if t.startswith("src_")}, "staging tables must not stay in the database"
    for t in ("anonymous_sales", "test_orders", "quarantine", "value_issues", "load_log", "identity_pairs",
              "data_quality", "audit_log", "_meta"):
        assert t in tables


def test_constraints_reject_bad_rows(small_ws, tmp_path):
    sb = database.Sandbox(small_ws, tmp_path / "sb")
    cid = sb.sql("SELECT min(customer_id) AS c FROM customers")["c"].iloc[0]
    with sb.connect(read_only=False) as con:
        with pytest.raises(duckdb.ConstraintException, match="foreign key"):
            con.execute("INSERT INTO consents VALUES ('nobody', 'email', 'opt_in', now(), 'x')")
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):
            con.execute("INSERT INTO consents VALUES (?, 'fax', 'opt_in', now(), 'x')", [cid])
        with pytest.raises(duckdb.ConstraintException, match="CHECK"):      # a return must be negative
            con.execute("INSERT INTO orders VALUES ('X1', ?, now(), 'web', NULL, 10, 0, 10, 6, 'returned', NULL, "
                        "false, 'x')", [cid])
        with pytest.raises(duckdb.ConstraintException, match="PRIMARY KEY|Duplicate key"):
            con.execute("INSERT INTO customers (customer_id, n_records) VALUES (?, 1)", [cid])


# ------------------------------------------------------------------------------------------------ build
def test_every_source_reconciles_and_the_report_agrees(small_ws):
    rec = database.reconciliation(small_ws)
    assert rec["balanced"].all() and len(rec) == 17
    rep = small_ws.build_summary()
    assert rep["rows_read"] == rec["rows_read"].sum() == rep["rows_loaded"] + rep["rows_quarantined"]
    assert rep["rows_quarantined"] == small_ws.sql("SELECT count(*) AS n FROM quarantine")["n"].iloc[0]
    assert "rows read" in database.BuildReport(rep).summary()


def test_the_planted_file_faults_are_quarantined_with_their_reason(small_ws):
    qs = database.quarantine_summary(small_ws)
    kinds = set(zip(qs["source"], qs["reason_kind"]))
    assert ("email_events.csv", "repeated header line") in kinds
    assert ("crm_orders.csv", "exact duplicate of order_id …") in kinds
    assert ("crm_orders.csv", "order_id … appears again with different content") in kinds
    assert ("pos_sales.csv", "quantity: zero quantity") in kinds
    assert ("preference_log.csv", "channel: missing") in kinds
    assert ("web_orders.csv", "order_ts: date in the future") in kinds
    # each repeated order id of the CRM export is one quarantined row
    n_dup = qs.loc[qs["reason_kind"].str.contains("duplicate|appears again"), "rows"].sum()
    raw = pd.read_csv(small_ws.raw_dir / "crm_orders.csv", sep=";", encoding="cp1252", dtype=str)
    assert raw["OrderNo"].duplicated().sum() == n_dup


def test_sales_shapes_returns_and_anonymous_sales(small_ws):
    pos = pd.read_csv(small_ws.raw_dir / "pos_sales.csv", sep="|", dtype=str)
    walk_ins = pos.loc[pos["card_no"].isna(), "invoice_no"].nunique()
    assert small_ws.sql("SELECT count(*) AS n FROM anonymous_sales")["n"].iloc[0] == walk_ins
    o = small_ws.sql("SELECT status, min(net_amount) AS lo, max(net_amount) AS hi, count(*) AS n FROM orders "
                     "GROUP BY status").set_index("status")
    assert o.loc["returned", "hi"] <= 0 and o.loc["completed", "lo"] >= 0
    # every return points to a sale of the same person
    bad = small_ws.sql("""SELECT count(*) AS n FROM orders r LEFT JOIN orders s ON s.order_id = r.original_order_id
                          WHERE r.status = 'returned' AND (s.order_id IS NULL OR s.customer_id <> r.customer_id)""")
    assert bad["n"].iloc[0] == 0
    # test accounts' orders are kept apart
    assert small_ws.sql("""SELECT count(*) AS n FROM orders JOIN customers USING (customer_id)
                           WHERE is_test""")["n"].iloc[0] == 0
    assert small_ws.sql("SELECT count(*) AS n FROM test_orders")["n"].iloc[0] > 0


def test_buyers_and_revenue_agree_with_the_truth(small_ws):
    truth = small_ws.truth["people"]
    buyers = small_ws.sql("SELECT count(DISTINCT customer_id) AS n FROM purchases")["n"].iloc[0]
    assert abs(buyers - truth["buyer"].sum()) / truth["buyer"].sum() < 0.02
    assert small_ws.build_summary()["persons"] == small_ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]


# ------------------------------------------------------------------------------------------------ consent
def _consent_db(events, people=("P1", "P2", "P3")):
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT * FROM (VALUES " + ", ".join(
        f"('{p}', '{p.lower()}@x.com', '+1212555000{i}', '1 Main St', false, false, false, false)"
        for i, p in enumerate(people))
        + ") t(customer_id, email, phone, street, is_test, is_staff, deceased, gone_away)")
    con.register("_e", pd.DataFrame(events, columns=["customer_id", "channel", "status", "updated_at"]))
    con.execute("CREATE TABLE consents AS SELECT customer_id, channel, status, CAST(updated_at AS TIMESTAMP) AS "
                "updated_at FROM _e")
    return con


def test_latest_consent_wins_and_no_record_means_no():
    con = _consent_db([("P1", "email", "opt_in", "2024-01-01"), ("P1", "email", "opt_out", "2025-01-01"),
                       ("P2", "email", "opt_out", "2024-01-01"), ("P2", "email", "opt_in", "2025-06-01")])
    lat = database.latest_consents(con).set_index("customer_id")["status"]
    assert lat.to_dict() == {"P1": "opt_out", "P2": "opt_in"}
    assert database.latest_consents(con, as_of="2024-06-30").set_index("customer_id")["status"].to_dict() == \
        {"P1": "opt_in", "P2": "opt_out"}
    sup = database.suppression_list(con, "email")
    assert set(sup["customer_id"]) == {"P1", "P3"}
    tie = _consent_db([("P1", "sms", "opt_in", "2024-01-01"), ("P1", "sms", "opt_out", "2024-01-01")])
    assert database.latest_consents(tie)["status"].tolist() == ["opt_out"]           # a tie: the safe reading
    assert "P1" in set(database.suppression_list(tie, "sms")["customer_id"])
    assert sup.set_index("customer_id").loc["P3", "reason"] == "not opted in"
    s = database.consent_summary(con).set_index("channel")
    assert s.loc["email", ["with_record", "opted_in", "opted_out", "no_record"]].tolist() == [2, 1, 1, 1]
    with pytest.raises(ValueError, match="channel must be one of"):
        database.suppression_list(con, "fax")


def test_suppression_on_the_small_client(small_ws):
    sup = database.suppression_list(small_ws, "email")
    supp = set(sup["customer_id"])
    lat = database.latest_consents(small_ws)
    out = set(lat.loc[(lat["channel"] == "email") & (lat["status"] == "opt_out"), "customer_id"])
    assert out <= supp
    flags = small_ws.sql("SELECT customer_id FROM customers WHERE is_test OR is_staff OR deceased OR email IS NULL")
    assert set(flags["customer_id"]) <= supp
    bounced = small_ws.sql("SELECT DISTINCT customer_id FROM email_events WHERE event IN ('bounced', 'complained')")
    assert set(bounced["customer_id"]) <= supp
    mail = database.suppression_list(small_ws, "mail")
    gone = small_ws.sql("SELECT customer_id FROM customers WHERE gone_away")
    assert set(gone["customer_id"]) <= set(mail["customer_id"])
    summary = database.consent_summary(small_ws)
    n = small_ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
    assert (summary["with_record"] + summary["no_record"] == n).all()
    assert 0 < summary.set_index("channel").loc["email", "optout_share"] < 1


# ------------------------------------------------------------------------------------------------ privacy
def test_erasure_in_a_sandbox(small_ws, tmp_path):
    sb = database.Sandbox(small_ws, tmp_path / "sb")
    ids = sb.sql("SELECT customer_id FROM customers "
                 "ORDER BY n_records DESC, customer_id LIMIT 2")["customer_id"].tolist()
    n_anon = sb.sql("SELECT count(*) AS n FROM anonymous_sales")["n"].iloc[0]
    n_orders = sb.sql("SELECT count(*) AS n FROM orders WHERE customer_id IN (?, ?)", ids)["n"].iloc[0]
    removed = database.erase_customer(sb, ids, reason="test")
    assert removed["customers"] == 2 and removed["orders"] == n_orders
    assert sb.sql("SELECT count(*) AS n FROM anonymous_sales")["n"].iloc[0] == n_anon + n_orders   # accounts keep them
    audit = sb.sql("SELECT * FROM audit_log")
    assert len(audit) == 2 and not any(i in audit.to_string() for i in ids)
    mem = json.loads((tmp_path / "sb" / "erasures.json").read_text())
    assert len(mem["log"]) == 2 and all(len(k) == 24 for k in mem["keys"])
    with pytest.raises(KeyError, match="no customer"):
        database.erase_customer(sb, ids[0])
    assert small_ws.sql("SELECT count(*) AS n FROM customers WHERE customer_id IN (?, ?)", ids)["n"].iloc[0] == 2


def test_pseudonymised_extract_has_no_direct_identifiers(small_ws):
    ex = database.pseudonymised_extract(small_ws, "SELECT customer_id, household_id, first_name, email, phone, "
                                                  "street, birth_date, postal_code FROM customers LIMIT 50")
    assert set(ex.columns) == {"customer_id", "household_id", "postal_code", "birth_year"}
    assert ex["customer_id"].str.match(r"^T[0-9a-f]{15}$").all()
    again = database.pseudonymised_extract(small_ws, "SELECT customer_id FROM customers LIMIT 50")
    assert again["customer_id"].tolist() == ex["customer_id"].tolist()          # stable tokens: tables still join
    salts = database.load_erasures(small_ws.workdir)
    assert salts["extract_salt"] != salts["salt"]
    assert find_pii(ex.to_string()) == []


def test_retention_rule(small_ws, tmp_path):
    stale = database.stale_customers(small_ws, small_ws.as_of, years=2)
    assert len(stale) > 0 and (stale["last_activity"] < small_ws.as_of - pd.Timedelta(days=730)).all()
    recent = small_ws.sql("SELECT DISTINCT customer_id FROM orders WHERE order_ts >= ? - INTERVAL 2 YEAR",
                          [small_ws.as_of])
    assert not set(stale["customer_id"]) & set(recent["customer_id"])
    sb = database.Sandbox(small_ws, tmp_path / "sb")
    assert database.apply_retention(sb, small_ws.as_of, years=2) == len(stale)
    assert len(database.stale_customers(sb, small_ws.as_of, years=2)) == 0


def test_enrichment_and_the_single_customer_view(small_ws):
    cv = small_ws.sql("SELECT * FROM customer_view")
    assert len(cv) == small_ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
    with_area = cv["postal_code"].isin(small_ws.sql("SELECT postal_code FROM area_demographics")["postal_code"])
    assert cv.loc[with_area, "area_median_income"].notna().all()
    buyers = cv[cv["orders"] > 0]
    assert (buyers["first_purchase"] <= buyers["last_purchase"]).all()
    rev = small_ws.sql("SELECT sum(net_amount) AS r FROM sales")["r"].iloc[0]
    assert cv["revenue"].sum() == pytest.approx(rev)
    e = database.enrich_customers(small_ws.sql("SELECT customer_id, postal_code FROM customers"),
                                  small_ws.sql("SELECT * FROM area_demographics"))
    assert {"area_households", "area_median_income", "area_age_55_plus"} <= set(e.columns)


# ------------------------------------------------------------------------------------------------ chapters' helpers
def test_source_helpers_mask_people(small_ws):
    st = ingest.source_table(small_ws)
    assert len(st) == 17 and st["kind"].notna().all()
    table, spec = ingest.source_spec(small_ws)
    assert table == "customers"
    for name in ("crm_customers.csv", "loyalty_members.xlsx", "web_accounts.csv", "email_events.csv",
                 "sms_events.csv"):
        prev = ingest.preview_source(small_ws, name, 20)
        assert len(prev) == 20 and find_pii(prev.to_string()) == [], name
    with pytest.raises(KeyError, match="did you mean 'web_orders.csv'"):
        ingest.preview_source(small_ws, "web_order.csv")
    m = ingest.mapping_table(table, spec)
    assert m.loc[m["canonical"] == "customer_id", "required"].item()


def test_cleaning_settings_are_stored(small_ws):
    st = database.cleaning_settings(small_ws)
    assert st["region"] == "US" and st["match_threshold"] == small_ws.cfg.data.match_threshold
    raw = ingest.source_records(small_ws, "customers")
    cleaned = database.clean_like_build(small_ws, raw)
    stored = small_ws.sql("SELECT count(*) FILTER (WHERE email_valid = false) AS bad FROM customer_records")
    assert int((cleaned["email_valid"] == False).sum()) == stored["bad"].iloc[0]     # noqa: E712


# ------------------------------------------------------------------------------------------------ atomic build
def test_a_build_failing_after_the_tables_are_written_leaves_the_old_database(tmp_path, monkeypatch):
    cfg = load_config({"client": "atomic2", "workdir": str(tmp_path), "data": {"synthetic": {"n_people": 300,
                                                                                             "n_campaigns": 1}}})
    ws = Workspace(cfg).ensure_built()
    before = database.table_fingerprints(ws)

    def late_crash(*a, **k):
        raise RuntimeError("disk full while storing the contacts")
    monkeypatch.setattr(database.pipeline, "_store_contacts_and_events", late_crash)
    with pytest.raises(RuntimeError, match="disk full"):
        ws.ensure_built(force=True)
    assert database.table_fingerprints(ws) == before
    assert not list(tmp_path.glob("*.building.duckdb*")) and not list(tmp_path.glob("dbmkit_stage_*"))


def test_unreadable_optional_values_are_listed_not_lost(small_ws):
    vi = database.value_issue_summary(small_ws)
    row = vi[(vi["source"] == "web_accounts.csv") & (vi["column_name"] == "birth_date")]
    assert len(row) == 1 and row["values"].item() >= 1 and row["example"].item().startswith(("30/02", "31/02"))
    log = small_ws.sql("SELECT warnings, rows_quarantined FROM load_log WHERE source LIKE '%web_accounts%'")
    assert "birth_date could not be read" in log["warnings"].item() and log["rows_quarantined"].item() == 0


def test_campaign_feedback_opt_outs_are_suppressed():
    """Opt-outs and bounces written back by phase 4 (campaign_feedback) suppress the person for that channel."""
    import duckdb

    from dbmkit.database import suppression_list
    con = duckdb.connect()
    con.execute("""CREATE TABLE customers AS SELECT * FROM (VALUES
        ('P1', 'a@b.com', NULL, 'x', false, false, false, false),
        ('P2', 'c@d.com', NULL, 'y', false, false, false, false)) t(customer_id, email, phone, street, is_test,
        is_staff, deceased, gone_away)""")
    con.execute("""CREATE TABLE consents AS SELECT * FROM (VALUES ('P1', 'email', 'opt_in', TIMESTAMP '2024-01-01'),
        ('P2', 'email', 'opt_in', TIMESTAMP '2024-01-01')) t(customer_id, channel, status, updated_at)""")
    assert suppression_list(con, "email").empty
    con.execute("""CREATE TABLE campaign_feedback AS SELECT 'NEW-1' AS campaign_id, 'P2' AS customer_id,
        'unsubscribe' AS kind, 'email' AS channel, TIMESTAMP '2024-06-01' AS event_ts""")
    s = suppression_list(con, "email")
    assert s.values.tolist() == [["P2", "opted out (campaign feedback)"]]
    assert suppression_list(con, "email", as_of="2024-05-01").empty     # not yet as of an earlier date
