"""Rules that must always hold (hypothesis): reconciliation for any dirty file, erasure everywhere and for good,
suppression of every opted-out contact, and the same database from the same input and seed."""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbmkit import database
from dbmkit.client_workspace import Workspace
from dbmkit.config import SourceFile, load_config
from dbmkit.ingest import load_source

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------------------------------------ reconciliation
GOOD = ["1", "2024-01-05", "C001", "12.50", "$1,234.00", "000123", "2024/3/5", "05.01.2024"]
BAD = ["", "NULL", "N/A", "-", "31/02/2024", "abc", "12abc", "2099-01-01", "x" * 3000, '"unclosed', 'a "b" c',
       "é", "王伟", "1;2", "\t", " ", "(5.00)", "¥12", "0000-00-00"]
field = st.one_of(st.sampled_from(GOOD + BAD), st.text(max_size=8))


@st.composite
def dirty_csv(draw):
    """A CSV text with a header and rows of random width, random values, quotes and blank lines."""
    header = "Invoice,Date,Customer,Amount"
    lines = [header]
    for _ in range(draw(st.integers(0, 12))):
        width = draw(st.sampled_from([4, 4, 4, 3, 5, 0]))
        vals = [draw(field).replace("\n", " ").replace("\r", " ") for _ in range(width)]
        lines.append(",".join(f'"{v}"' if ("," in v and draw(st.booleans())) else v for v in vals))
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))


@FAST
@given(text=dirty_csv(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_reconciliation_holds_for_any_dirty_csv(text, encoding):
    with tempfile.TemporaryDirectory() as d:
        data = text.encode(encoding, errors="replace")
        Path(d, "f.csv").write_bytes(data)
        con = duckdb.connect()
        spec = SourceFile(path="f.csv", delimiter=",",
                          columns={"order_id": "Invoice", "order_ts": "Date", "customer_id": "Customer",
                                   "net_amount": "Amount"})
        res = load_source(con, "orders", spec, base_dir=d)
        assert res.rows_read == res.rows_loaded + res.rows_quarantined
        assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == res.rows_quarantined
        assert con.execute("SELECT count(*) FROM src_orders").fetchall()[0][0] == res.rows_loaded
        # every row has a place in the file: loaded rows and quarantined rows never share a line
        lines = con.execute("SELECT source_row FROM src_orders UNION ALL SELECT source_row FROM quarantine").df()
        assert lines["source_row"].is_unique


@st.composite
def small_sources(draw):
    """Two order files and a customer file with overlaps, conflicts and junk."""
    ids = [f"{i:03d}" for i in range(1, 7)]
    rows = []
    for _ in range(draw(st.integers(1, 10))):
        rows.append([draw(st.sampled_from(ids + ["", "NULL"])),
                     draw(st.sampled_from(["2024-01-05", "2024-02-10 10:00", "2099-01-01", "bad", ""])),
                     draw(st.sampled_from(["C1", "C2", "", "C3"])),
                     draw(st.sampled_from(["10", "-5", "0", "$7.50", "x", ""])),
                     draw(st.sampled_from(["", "returned", "cancelled", "completed"]))])
    split = draw(st.integers(0, len(rows)))
    cust = [[c, draw(st.sampled_from(["Ann", "ANN", "", "Bo"])), draw(st.sampled_from(["a@x.com", "A@X.COM ", "bad@",
                                                                                     ""]))]
            for c in draw(st.lists(st.sampled_from(["C1", "C2", "C4", "C1"]), max_size=5))]
    return rows[:split], rows[split:], cust


def _write_sources(d: Path, a, b, cust) -> dict:
    head = "Invoice,Date,Customer,Amount,Status\n"
    (d / "a.csv").write_text(head + "".join(",".join(r) + "\n" for r in a))
    (d / "b.csv").write_text(head + "".join(",".join(r) + "\n" for r in b))
    (d / "c.csv").write_text("id,first,email\n" + "".join(",".join(r) + "\n" for r in cust))
    cols = {"order_id": "Invoice", "order_ts": "Date", "customer_id": "Customer", "net_amount": "Amount",
            "status": "Status"}
    return {"orders": [{"path": "a.csv", "columns": cols}, {"path": "b.csv", "columns": cols}],
            "customers": {"path": "c.csv", "columns": {"customer_id": "id", "first_name": "first", "email": "email"}}}


def _build_dir(d: Path, sources: dict, name: str = "work"):
    cfg = load_config({"client": "prop", "workdir": str(d / name), "analysis_date": "2024-12-31",
                       "data": {"sources": sources}, "base_dir": str(d)})
    db = d / name / "marketing.duckdb"
    return database.build(cfg, db, cfg.data.sources, d, d / name), db


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])     # two builds per example
@given(src=small_sources())
def test_build_reconciles_and_is_reproducible_for_random_sources(src):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        sources = _write_sources(d, *src)
        rep1, db1 = _build_dir(d, sources, "one")
        rep2, db2 = _build_dir(d, sources, "two")
        assert rep1["rows_read"] == rep1["rows_loaded"] + rep1["rows_quarantined"]
        con = duckdb.connect(str(db1), read_only=True)
        log = con.execute("SELECT * FROM load_log").df()
        assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
        assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == log["rows_quarantined"].sum()
        # every loaded order row is in orders, test_orders or anonymous_sales (plus the returns split off)
        loaded = log.loc[log["table_name"] == "orders", "rows_loaded"].sum()
        landed = con.execute("""SELECT (SELECT count(*) FROM orders WHERE order_id NOT LIKE '%-R')
            + (SELECT count(*) FROM test_orders) + (SELECT count(*) FROM anonymous_sales WHERE order_id NOT LIKE '%-R')
            """).fetchall()[0][0]
        assert landed == loaded
        con.close()
        assert database.table_fingerprints(duckdb.connect(str(db1), read_only=True)) == \
            database.table_fingerprints(duckdb.connect(str(db2), read_only=True))


# ------------------------------------------------------------------------------------------------ suppression
@st.composite
def consent_world(draw):
    n = draw(st.integers(1, 8))
    people = []
    for i in range(n):
        people.append(dict(customer_id=f"P{i}", email=draw(st.sampled_from([f"p{i}@x.com", None])),
                           phone=draw(st.sampled_from([f"+1212555{i:04d}", None])),
                           street=draw(st.sampled_from(["1 Main St", None])), is_test=draw(st.booleans()),
                           is_staff=draw(st.booleans()), deceased=draw(st.booleans()), gone_away=draw(st.booleans())))
    events = []
    for p in people:
        for ch in ("email", "sms", "phone", "mail"):
            k = draw(st.integers(0, 3))
            days = draw(st.lists(st.integers(0, 1000), min_size=k, max_size=k, unique=True))
            for day in days:
                events.append(dict(customer_id=p["customer_id"], channel=ch,
                                   status=draw(st.sampled_from(["opt_in", "opt_out"])),
                                   updated_at=pd.Timestamp("2022-01-01") + pd.Timedelta(days=day)))
    return pd.DataFrame(people), pd.DataFrame(events, columns=["customer_id", "channel", "status", "updated_at"])


@FAST
@given(world=consent_world(), channel=st.sampled_from(["email", "sms", "phone", "mail"]))
def test_suppression_list_contains_every_opted_out_contact(world, channel):
    people, events = world
    con = duckdb.connect()
    con.register("_p", people)
    con.execute("CREATE TABLE customers AS SELECT * FROM _p")
    con.register("_e", events)
    con.execute("CREATE TABLE consents AS SELECT customer_id, channel, status, CAST(updated_at AS TIMESTAMP) AS "
                "updated_at FROM _e")
    sup = database.suppression_list(con, channel)
    suppressed = set(sup["customer_id"])
    latest = events[events["channel"] == channel].sort_values("updated_at").groupby("customer_id")["status"].last()
    opted_in = set(latest[latest == "opt_in"].index)
    field = database.CONTACT_FIELD[channel]
    for p in people.itertuples():
        may_contact = (p.customer_id in opted_in and pd.notna(getattr(p, field)) and not p.is_test and not p.is_staff
                       and not p.deceased and not (channel == "mail" and p.gone_away))
        assert (p.customer_id not in suppressed) == may_contact, p
    # every opted-out contact is listed with that reason
    out = set(latest[latest == "opt_out"].index)
    assert out <= set(sup.loc[sup["reason"] == "not opted in", "customer_id"])


# ------------------------------------------------------------------------------------------------ erasure
TINY = {"client": "tiny", "data": {"synthetic": {"n_people": 300, "n_campaigns": 1, "seed": 5}}}


@pytest.fixture(scope="module")
def tiny_ws(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    ws = Workspace(load_config({**TINY, "workdir": str(d)})).ensure_built()
    ws.ensure("customer_summary")
    return ws


def _identifiers(con, customer_id: str) -> set[str]:
    rec = con.execute("SELECT record_id, email, phone FROM customer_records WHERE customer_id = ?", [customer_id]).df()
    gold = con.execute("SELECT email, phone FROM customers WHERE customer_id = ?", [customer_id]).df()
    vals = {customer_id} | set(rec["record_id"])
    vals |= {v for v in pd.concat([rec["email"], rec["phone"], gold["email"], gold["phone"]]) if isinstance(v, str)}
    return vals


def _mentions(con, values: set[str]) -> list[str]:
    """Tables and columns where any of the values still appears (exact value, or inside raw rows)."""
    found = []
    con.register("_vals", pd.DataFrame({"v": sorted(values)}))
    pat = re.compile("|".join(rf"(?<![\w.@+-]){re.escape(v)}(?![\w.@-])" for v in sorted(values)))
    for (t,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                            "AND table_catalog = current_database()").fetchall():
        for col, typ in con.execute(f'SELECT column_name, data_type FROM information_schema.columns '
                                    f"WHERE table_name = '{t}'").fetchall():
            if typ != "VARCHAR":
                continue
            if col in ("raw_values", "raw_value", "detail", "reason"):      # free text: the value as a whole word
                texts = [r[0] for r in con.execute(f'SELECT "{col}" FROM "{t}" WHERE "{col}" IS NOT NULL').fetchall()]
                hit = any(pat.search(x) for x in texts)
            else:
                hit = con.execute(f'SELECT count(*) FROM "{t}" WHERE "{col}" IN (SELECT v FROM _vals)').fetchall()[0][0]
            if hit:
                found.append(f"{t}.{col}")
    return found


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(k=st.integers(0, 10_000))
def test_after_erasure_no_table_contains_the_person(tiny_ws, k):
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "marketing.duckdb"
        shutil.copy(tiny_ws.db_path, db)
        con = duckdb.connect(str(db))
        ids = [r[0] for r in con.execute("SELECT customer_id FROM customers ORDER BY n_records DESC, customer_id")
               .fetchall()]
        cid = ids[k % len(ids)]
        values = _identifiers(con, cid)
        n_before = con.execute("SELECT count(*) FROM customers").fetchall()[0][0]
        removed = database.erase_customer(con, cid, workdir=d)
        assert removed["customers"] == 1
        assert con.execute("SELECT count(*) FROM customers").fetchall()[0][0] == n_before - 1
        assert _mentions(con, values) == []
        audit = con.execute("SELECT action, subject_token, detail FROM audit_log").fetchall()
        assert len(audit) == 1 and audit[0][0] == "erase" and cid not in audit[0][1] + audit[0][2]
        # the privacy memory holds hashes only
        text = (Path(d) / "erasures.json").read_text()
        assert not any(v in text for v in values)


def test_erased_people_stay_out_of_a_rebuild_and_of_derived_tables(tmp_path):
    ws = Workspace(load_config({**TINY, "workdir": str(tmp_path)})).ensure_built()
    ws.ensure("customer_summary")
    with ws.connect() as con:
        # the person with most source records, a buyer, and someone with a consent given by e-mail address
        multi = con.execute("SELECT customer_id FROM customers "
                            "ORDER BY n_records DESC, customer_id LIMIT 1").fetchall()[0][0]
        buyer = con.execute("SELECT customer_id FROM customer_summary "
                            "ORDER BY monetary_total DESC LIMIT 1").fetchall()[0][0]
        values = {c: _identifiers(con, c) for c in (multi, buyer)}
    for c in values:
        database.erase_customer(ws, c)
    with ws.connect() as con:
        assert _mentions(con, set().union(*values.values())) == []
    assert not set(values) & set(ws.table("customer_summary")["customer_id"])
    ws.ensure_built(force=True)                      # rebuild from the raw files: they stay out
    ws.ensure("customer_summary")
    with ws.connect() as con:
        assert _mentions(con, set().union(*values.values())) == []
        log = con.execute("SELECT * FROM load_log").df()
        assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
        withheld = con.execute("SELECT count(*) FROM quarantine WHERE reason LIKE 'erased person%'").fetchall()[0][0]
        assert withheld >= 2 and ws.build_summary()["erased_records"] >= 2


# ------------------------------------------------------------------------------------------------ reproducibility
def test_same_config_and_seed_give_the_same_database(tiny_ws, tmp_path):
    again = Workspace(load_config({**TINY, "workdir": str(tmp_path)})).ensure_built()
    assert database.table_fingerprints(again) == database.table_fingerprints(
        tiny_ws, exclude=database.VOLATILE_TABLES | {"customer_summary"})
