"""The fast paths of the build chapters give the same results as the plain ones they replaced: the truth check of
missing orders (chapter 10), the Excel reader (python-calamine vs openpyxl), the batched scrub of quarantined raw
values on erasure (chapter 12)."""
import datetime as dt

import pandas as pd
import pytest

import dbmkit as dbm
from dbmkit import database, ingest
from dbmkit.config import SourceFile
from dbmkit.ingest import files, staging


# ------------------------------------------------------------------------------------------------ chapter 10
def _old_truth_check(ws):
    """The chapter's former cell: Python sets of every order id, each quarantined row searched for every id."""
    truth_ids = set(ws.truth["order_origin"]["order_id"])
    db_ids = {"R" + i[:-2] if i.endswith("-R") else i for i in ws.sql("SELECT order_id FROM orders")["order_id"]}
    missing = sorted(truth_ids - db_ids)
    found = ws.sql("SELECT reason, raw_values FROM quarantine WHERE table_name = 'orders'")
    found = found[[any(m in str(r) for m in missing) for r in found["raw_values"]]]
    return len(truth_ids), len(truth_ids & db_ids), len(missing), found


def test_order_truth_check_equals_the_set_computation(small_ws):
    check = dbm.database.order_truth_check(small_ws)
    n_true, n_db, n_missing, found = _old_truth_check(small_ws)
    assert (check["true_orders"], check["in_database"], check["missing"]) == (n_true, n_db, n_missing)
    assert check["in_quarantine"] == len(found)
    assert sorted(zip(check["quarantined"]["reason"], check["quarantined"]["raw_values"])) == \
        sorted(zip(found["reason"], found["raw_values"]))
    assert check["missing"] > 0 and check["in_quarantine"] > 0      # the synthetic client plants lost orders


# ------------------------------------------------------------------------------------------------ Excel reader
def _workbook(path):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Members"
    ws.append(["Member export"])                       # a title row, then an empty row, then the header
    ws.append([])
    ws.append([None, "CardNo", "Name", "Joined", "Last visit", "Points", "Rate", "Active"])
    ws.append([None, "001000596", "Ann Lee", dt.datetime(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 30), 12, 0.25,
               True])
    ws.append([None, "001000597", None, dt.date(2023, 12, 31), None, 12.0, -1.5, False])
    ws.append([None, 1000598, "Bo  Chen", "2024-01-02", "05/03/2024", 7, 1e-3, None])
    wb.create_sheet("Other").append(["x", 1])
    wb.save(path)
    return path


def test_fast_excel_reader_gives_the_openpyxl_cells(tmp_path):
    p = _workbook(tmp_path / "members.xlsx")
    for sheet in ("Members", "Other"):
        fast = files._read_excel_fast(p, sheet)
        slow = files._read_excel_openpyxl(p, sheet, "members.xlsx")
        assert fast is not None
        fast = fast[0]                                   # the cells (then the merged ranges)
        # the same cells once written as text the way ingest does (dates: a datetime at midnight is a date)
        width = max(len(r) for r in slow)
        pad = lambda rows: [[staging._excel_cell_text(v) for v in r] + [None] * (width - len(r)) for r in rows]   # noqa: E731
        assert pad(fast) == pad(slow)


def test_fast_excel_reader_loads_the_same_source(tmp_path, monkeypatch):
    p = _workbook(tmp_path / "members.xlsx")
    spec = SourceFile(path=str(p), sheet="Members", columns={"customer_id": "CardNo", "full_name": "Name",
                                                             "signup_date": "Joined"})
    import duckdb

    def load():
        con = duckdb.connect()
        log = ingest.load_source(con, "customers", spec)
        return con.execute("SELECT * EXCLUDE (source_file) FROM src_customers ORDER BY source_row").df(), log

    fast, log_fast = load()
    monkeypatch.setattr(files, "_read_excel_fast", lambda path, sheet: None)
    slow, log_slow = load()
    pd.testing.assert_frame_equal(fast, slow)
    assert (log_fast.rows_read, log_fast.rows_loaded, log_fast.header_row) == \
        (log_slow.rows_read, log_slow.rows_loaded, log_slow.header_row) == (3, 3, 2)
    assert fast["customer_id"].tolist() == ["001000596", "001000597", "1000598"]   # leading zeros kept


def test_fast_excel_reader_leaves_huge_integers_to_openpyxl(tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.append(["card", 9007199254740993])
    wb.save(tmp_path / "big.xlsx")
    assert files._read_excel_fast(tmp_path / "big.xlsx", wb.active.title) is None
    raw = files.read_excel_raw(tmp_path / "big.xlsx", None, "big.xlsx")
    assert raw.iat[0, 1] == files._read_excel_openpyxl(tmp_path / "big.xlsx", wb.active.title, "big.xlsx")[0][1]


# ------------------------------------------------------------------------------------------------ chapter 12
def _old_scrub_hits(texts, erased, salt, region):
    return [bool(database.erasure.erasure_keys(database.erasure.row_tokens(t), salt, region) & erased) for t in texts]


def test_batched_scrub_finds_the_rows_the_row_by_row_test_found():
    salt = "s"
    erased = database.erasure.erasure_keys(["ann@x.com", "(212) 555-0142", "R000123"], salt, "US")
    texts = ['{"email":"ANN@x.com ","phone":null}', "a,b,212.555.0142", '{"id":"R000123"}', "R0001234,x",
             "nothing here", '{"phone":"+1 212 555 0142"}', "ann@x.co", "email:ann@x.com"]
    old = _old_scrub_hits(texts, erased, salt, "US")
    tokens = [database.erasure.row_tokens(t) for t in texts]
    hitting = database.erasure.hitting_tokens(sorted(set().union(*tokens)), erased, salt, "US")
    new = [not t.isdisjoint(hitting) for t in tokens]
    assert new == old == [True, True, True, False, False, True, False, True]


def test_erasure_scrubs_the_same_quarantined_rows(small_ws):
    sb = database.Sandbox(small_ws)
    try:
        q = sb.sql("SELECT rowid AS rid, raw_values FROM quarantine WHERE raw_values IS NOT NULL")
        # people whose e-mail or record id a quarantined or unreadable row mentions, and the people with most records
        mentioned = sb.sql("""SELECT DISTINCT r.customer_id FROM customer_records r, (
                SELECT raw_values AS t FROM quarantine UNION ALL SELECT raw_value FROM value_issues) q
            WHERE q.t IS NOT NULL AND (contains(lower(q.t), r.email) OR contains(q.t, r.record_id))
            ORDER BY 1 LIMIT 20""")["customer_id"]
        top = sb.sql("SELECT customer_id FROM customers ORDER BY n_records DESC, customer_id LIMIT 20")["customer_id"]
        ids = sorted(set(mentioned) | set(top))
        recs = sb.sql("SELECT record_id, email, phone FROM customer_records WHERE customer_id IN (SELECT unnest(?))",
                      [ids])
        gold = sb.sql("SELECT email, phone FROM customers WHERE customer_id IN (SELECT unnest(?))", [ids])
        salt = database.load_erasures(sb.workdir)["salt"]
        keys = database.erasure.erasure_keys(list(recs["record_id"]) + list(recs["email"]) + list(recs["phone"]) +
                                             list(gold["email"]) + list(gold["phone"]), salt, "US")
        expected = {int(r) for r, t in zip(q["rid"], q["raw_values"])
                    if database.erasure.row_mentions(str(t), keys, salt, "US")}
        marked = "SELECT rowid AS rid FROM quarantine WHERE raw_values IS NULL AND reason LIKE '%erased person%'"
        before = set(sb.sql(marked)["rid"])
        removed = database.erase_customer(sb, ids, reason="test")
        assert removed["quarantine_scrubbed"] >= len(expected) > 0
        assert set(sb.sql(marked)["rid"]) - before == expected
        audit = sb.sql("SELECT action, subject_token FROM audit_log")
        assert len(audit) == len(ids) and audit["subject_token"].nunique() == len(ids)
        assert (audit["action"] == "erase").all()
    finally:
        sb.close()


# ------------------------------------------------------------------------------------------------ chapter 11
def _old_threshold_curve(records, pairs, truth):
    from dbmkit import identity
    rows = []
    for t in identity.DEFAULT_THRESHOLDS:
        lk = identity.link_at(records, pairs, t)
        if truth is None:
            rows.append(dict(threshold=t, persons_found=int(lk["customer_id"].nunique())))
            continue
        q = identity.match_quality(lk, truth)
        rows.append(dict(threshold=t, precision=q["precision"], recall=q["recall"], f1=q["f1"],
                         persons_found=q["persons_found"], persons_true=q["persons_true"]))
    return pd.DataFrame(rows)


@pytest.mark.parametrize("with_truth", [True, False])
def test_threshold_curve_equals_link_at_and_match_quality(small_ws, with_truth):
    records = small_ws.sql("SELECT * FROM customer_records")
    pairs = small_ws.sql("SELECT * FROM identity_pairs")
    truth = small_ws.truth["records"] if with_truth else None
    new = dbm.identity.threshold_curve(records, pairs, truth)
    pd.testing.assert_frame_equal(new, _old_threshold_curve(records, pairs, truth), check_exact=True)
    if with_truth:
        assert new["recall"].is_monotonic_decreasing and new["persons_found"].is_monotonic_increasing


def test_threshold_curve_hand_case():
    recs = pd.DataFrame({"record_id": list("abcde")})
    pairs = pd.DataFrame({"record_i": ["a", "a", "d"], "record_j": ["b", "c", "e"], "probability": [0.9, 0.6, 0.7]})
    truth = pd.DataFrame({"record_id": list("abcde"), "person_id": ["x", "x", "y", "z", None]})
    curve = dbm.identity.threshold_curve(recs, pairs, truth, thresholds=(0.5, 0.8, 0.95))
    # at 0.5: {a,b,c} linked (3 predicted pairs, 1 right), e has no person; at 0.8: {a,b}; at 0.95: nothing linked
    assert curve["precision"].tolist() == [1 / 3, 1.0, 1.0]
    assert curve["recall"].tolist() == [1.0, 1.0, 0.0]
    assert curve["persons_found"].tolist() == [2, 3, 4]
    assert curve["persons_true"].tolist() == [3, 3, 3]


def test_source_records_sample_is_capped_seeded_and_stratified(small_ws):
    full = dbm.ingest.source_records(small_ws, "customers")
    cap = len(full) // 3
    a = dbm.ingest.source_records(small_ws, "customers", max_rows=cap)
    b = dbm.ingest.source_records(small_ws, "customers", max_rows=cap)
    c = dbm.ingest.source_records(small_ws, "customers", max_rows=cap, seed=1)
    assert len(a) <= cap and len(a) >= cap - full["source_file"].nunique()
    pd.testing.assert_frame_equal(a, b)                                   # same seed, same rows
    assert set(a["source_row"].astype(str) + a["source_file"]) != set(c["source_row"].astype(str) + c["source_file"])
    share_full = full["source_file"].value_counts(normalize=True)
    share_a = a["source_file"].value_counts(normalize=True).reindex(share_full.index)
    assert (share_a - share_full).abs().max() < 0.01                      # every file keeps its share
    key = ["source_file", "source_row"]                                   # the sampled rows are the rows as read
    pd.testing.assert_frame_equal(a.reset_index(drop=True),
                                  full.merge(a[key], on=key).reset_index(drop=True))
    pd.testing.assert_frame_equal(dbm.ingest.source_records(small_ws, "customers", max_rows=len(full)), full)
    with pytest.raises(ValueError, match="max_rows"):
        dbm.ingest.source_records(small_ws, "customers", max_rows=0)


# ------------------------------------------------------------------------------------------------ chapter 21
def _old_campaign_rfm_contacts(ws, **settings):
    """The former loop: one full customer summary per campaign (as of the day before its start)."""
    from dbmkit import rfm
    from dbmkit import sql as _sql
    out = _sql.run(ws, "rfm_contact_outcomes", {"as_of": ws.as_of.date()})
    parts = []
    for (_, start), k in out.groupby(["campaign_id", "start_date"], sort=True):
        as_of = pd.Timestamp(start) - pd.Timedelta(days=1)
        sc = rfm.rfm_segments(rfm.rfm_scores(_sql.run(ws, "customer_summary_db", {"as_of": as_of.date()}), **settings))
        parts.append(k.merge(sc[["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score",
                                 "m_score", "rfm_cell", "rfm_score", "segment", "segment_zh"]],
                             on="customer_id", how="left"))
    res = pd.concat(parts, ignore_index=True)
    prospect = res["rfm_cell"].isna()
    res.loc[prospect, ["rfm_cell", "segment", "segment_zh"]] = ["prospect", "Prospect", "潜在客户"]
    return res


@pytest.mark.parametrize("method", ["independent", "nested"])
def test_campaign_rfm_contacts_equal_one_summary_per_campaign(small_ws, method):
    settings = {**dbm.rfm.rfm_settings(small_ws.cfg), "method": method}
    new = dbm.rfm.campaign_rfm_contacts(small_ws, **settings)
    old = _old_campaign_rfm_contacts(small_ws, **settings)
    assert new["campaign_id"].nunique() > 1 and (new["rfm_cell"] == "prospect").any()
    pd.testing.assert_frame_equal(new, old, check_exact=False, rtol=1e-12)
    assert (new["rfm_cell"] == old["rfm_cell"]).all()


def test_a_time_of_day_cell_is_read_as_text_by_both_readers(tmp_path, monkeypatch):
    """A cell formatted as a time of day (a shop's 'visit time' column) loads as "HH:MM:SS", never a crash."""
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["CardNo", "Joined", "Visit time"])
    ws.append(["A1", dt.date(2024, 3, 5), dt.time(14, 30)])
    ws.append(["A2", dt.date(2024, 3, 6), dt.time(9, 5, 7)])
    wb.save(tmp_path / "visits.xlsx")
    # the time column is mapped to a free-text field only to see the text the reader made of the cell
    spec = SourceFile(path=str(tmp_path / "visits.xlsx"), columns={"customer_id": "CardNo", "signup_date": "Joined",
                                                                   "street": "Visit time"})
    import duckdb

    def load():
        con = duckdb.connect()
        ingest.load_source(con, "customers", spec)
        return con.execute("SELECT * FROM src_customers ORDER BY source_row").df()

    fast = load()
    monkeypatch.setattr(files, "_read_excel_fast", lambda path, sheet: None)
    slow = load()
    assert fast["customer_id"].tolist() == slow["customer_id"].tolist() == ["A1", "A2"]
    assert fast["street"].tolist() == slow["street"].tolist() == ["14:30:00", "09:05:07"]
