"""Consent is read fail-safe: no opted-out, unreadable or suppressed contact reaches the send file.

One small client, written here as a careless client would export it (CSV files through the normal config path:
ingest → identity → database → plan → export), holds one person per case and a few people who must still be
reachable (so a test cannot pass by suppressing everybody):

* unreadable opt-outs — status "Opted Out", "STOP", an unknown word, channel "Newsletter (e-mail)", "all", "全部",
  a key "mailto:X@Y.COM", a date "yesterday";
* ties (an opt-in and an opt-out at the same time, also a flag against a row);
* consent flags without a date on records that merge/purge joins;
* an unreadable consent flag;
* 100 records sharing one e-mail address (merge/purge does not join them) and one opt-out of that address;
* an opt-out dated after the analysis date but before the send;
* the client's own words (``data.consent_words``);
and checks that every such row stays visible (rows read = loaded + quarantined, ``consent_uncertain``, the
consent summary, ``dbmkit check``).
"""
from __future__ import annotations

import warnings

import duckdb
import pandas as pd
import pytest

from dbmkit import campaign as C
from dbmkit import database
from dbmkit.cli import check_summary
from dbmkit.client_workspace import Workspace
from dbmkit.config import ConfigError, load_config

AS_OF = "2025-12-31"
SIGNUP = "2024-01-01"
FAMILY = "family@shop.org"           # the address 100 records share


def _person(pid, email_flag="yes", signup=SIGNUP, phone=None, sms_flag=None, email=None, first=None, last=None):
    return {"id": pid, "first": first or f"Fn{pid}", "last": last or f"Ln{pid}",
            "email": email if email is not None else f"{pid.lower()}@shop.org", "phone": phone or "",
            "signup": signup, "news": email_flag or "", "sms_ok": sms_flag or ""}


# case → (customer records, consent rows (email, customer id, channel, status, date)); the person of a case is
# the person of its first record
CASES = {
    "opted_out_words": ([_person("A01")], [("a01@shop.org", "", "email", "Opted Out", "2025-03-01")]),
    "stop": ([_person("A02")], [("a02@shop.org", "", "email", "STOP", "2025-03-01")]),
    "unknown_word": ([_person("A03")], [("a03@shop.org", "", "email", "pending review", "2025-03-01")]),
    "unknown_chinese_word": ([_person("A04")], [("a04@shop.org", "", "email", "待定", "2025-03-01")]),
    "chinese_opt_out": ([_person("A05")], [("a05@shop.org", "", "email", "拒收", "2025-03-01")]),
    "unreadable_channel": ([_person("A06", phone="2125550106", sms_flag="yes")],
                           [("a06@shop.org", "", "Newsletter (e-mail)", "unsubscribed", "2025-03-01")]),
    "channel_all": ([_person("A07", phone="2125550107", sms_flag="yes")],
                    [("a07@shop.org", "", "all", "unsubscribed", "2025-03-01")]),
    "channel_all_chinese": ([_person("A08", phone="2125550108", sms_flag="yes")],
                            [("", "A08", "全部", "退订", "2025-03-01")]),
    "mailto_key": ([_person("A09")], [("mailto:A09@SHOP.ORG ", "", "email", "unsubscribed", "2025-03-01")]),
    "unreadable_date": ([_person("A10")], [("a10@shop.org", "", "email", "unsubscribed", "yesterday")]),
    "undated_opt_out_row": ([_person("A11")], [("a11@shop.org", "", "email", "unsubscribed", "")]),
    "tie_rows": ([_person("A12", email_flag="")], [("a12@shop.org", "", "email", "subscribed", "2025-03-01 10:00"),
                                                   ("a12@shop.org", "", "email", "unsubscribed", "2025-03-01 10:00")]),
    "tie_flag_and_row": ([_person("A13")], [("a13@shop.org", "", "email", "unsubscribed", SIGNUP)]),
    # merge/purge joins the two records (same name and e-mail): the undated "no" must win over the dated "yes"
    "undated_no_flag_merged": ([_person("A14", email_flag="no", signup=""),
                                _person("A14B", email="a14@shop.org", first="FnA14", last="LnA14")], []),
    "undated_yes_vs_dated_opt_out": ([_person("A15", signup="")],
                                     [("a15@shop.org", "", "email", "unsubscribed", "2020-01-01")]),
    "unreadable_flag": ([_person("A16", email_flag="opt-out pending", signup="2025-06-01")],
                        [("a16@shop.org", "", "email", "subscribed", "2024-05-01")]),
    "after_analysis_date": ([_person("A17")], [("a17@shop.org", "", "email", "unsubscribed", "2026-01-15")]),
    "client_word_opt_out": ([_person("A18")], [("a18@shop.org", "", "email", "Nein danke", "2025-03-01")]),
    "shared_address": ([_person(f"F{i:03d}", email=FAMILY, first=f"Kid{i}", last=f"Family{i}") for i in range(100)],
                       [(FAMILY, "", "email", "unsubscribed", "2025-03-01")]),
}
# people who may still be contacted by e-mail (controls of the cases above)
REACHABLE = {
    "plain_opt_in": ([_person("B01")], []),
    "later_opt_in_row": ([_person("B02", email_flag="no")],
                         [("b02@shop.org", "", "email", "subscribed", "2025-03-01")]),
    "client_word_opt_in": ([_person("B03", email_flag="no")],
                           [("b03@shop.org", "", "email", "Yes please!", "2025-03-01")]),
    "undated_yes_flag": ([_person("B04", signup="")], []),
    "dated_opt_in_after_undated_yes": ([_person("B05", signup="")],
                                       [("b05@shop.org", "", "email", "opt in", "2025-02-01")]),
}
SMS_REACHABLE = {"sms_opt_in": ([_person("S01", email_flag="", phone="2125550199", sms_flag="yes")], [])}
SMS_CASES = ("unreadable_channel", "channel_all", "channel_all_chinese")


def _write_client(d) -> dict:
    recs, cons = [], []
    for people, rows in list(CASES.values()) + list(REACHABLE.values()) + list(SMS_REACHABLE.values()):
        recs += people
        cons += rows
    cust = pd.DataFrame(recs)
    cust.to_csv(d / "crm.csv", index=False)
    ids = [r["id"] for r in recs if r["id"] != "A14B"]
    orders = pd.DataFrame({"order": [f"O{i}" for i in range(2 * len(ids))], "cust": ids + ids,
                           "date": ["2025-05-10"] * len(ids) + ["2025-11-20"] * len(ids),
                           "amount": [40.0 + (i % 17) for i in range(2 * len(ids))]})
    orders.to_csv(d / "orders.csv", index=False)
    pd.DataFrame(cons, columns=["email", "cust", "channel", "status", "changed"]).to_csv(d / "prefs.csv", index=False)
    return {"client": "careless", "workdir": str(d / "work"), "analysis_date": AS_OF, "base_dir": str(d),
            "data": {"default_phone_region": "US", "consent_words": {"opt_in": ["yes please"],
                                                                     "opt_out": ["nein danke"]},
                     "sources": {
                         "customers": [{"path": "crm.csv", "columns": {
                             "customer_id": "id", "first_name": "first", "last_name": "last", "email": "email",
                             "phone": "phone", "signup_date": "signup", "email_consent": "news",
                             "sms_consent": "sms_ok"}}],
                         "orders": [{"path": "orders.csv", "columns": {"order_id": "order", "customer_id": "cust",
                                                                       "order_ts": "date", "net_amount": "amount"}}],
                         "consents": [{"path": "prefs.csv", "columns": {"email": "email", "customer_id": "cust",
                                                                        "channel": "channel", "status": "status",
                                                                        "updated_at": "changed"}}]}},
            "campaign": {"channel": "email", "control_share": 0.05}}


# everybody who passes the suppressions is planned: no budget, every decile, every stage, no household rule
EVERYONE = dict(budget=None, depth_deciles=10, n_per_household={},
                lifecycle_stages=("new", "active", "at_risk", "lapsed", "lost"), recommend=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    d = tmp_path_factory.mktemp("careless")
    ws = Workspace(load_config(_write_client(d))).ensure_built()
    persons = ws.sql("SELECT record_id, customer_id FROM customer_records").set_index("record_id")["customer_id"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = C.plan_campaign(ws, **EVERYONE)
        sms = C.plan_campaign(ws, reuse=plan, channel="sms", **EVERYONE)
    out = d / "out"
    import os
    old = os.environ.get("DBMKIT_REPORT_OUT")
    os.environ["DBMKIT_REPORT_OUT"] = str(out)
    try:
        C.export_campaign_list(ws, plan)
        sent = pd.read_csv(out / "campaign_list.csv", dtype=str)
        C.export_campaign_list(ws, sms, filename="sms_list")
        sent_sms = pd.read_csv(out / "sms_list.csv", dtype=str)
    finally:
        if old is None:
            os.environ.pop("DBMKIT_REPORT_OUT", None)
        else:
            os.environ["DBMKIT_REPORT_OUT"] = old
    return dict(ws=ws, persons=persons, plan=plan, sms=sms, sent=sent, sent_sms=sent_sms)


def _pid(client, record_id):
    return client["persons"][record_id]


def _case_people(client, case, table=CASES):
    return {_pid(client, r["id"]) for r in table[case][0]}


# ------------------------------------------------------------------------------------------------ nobody leaks
@pytest.mark.parametrize("case", list(CASES))
def test_the_case_never_reaches_the_send_file(client, case):
    people = _case_people(client, case)
    emails = {r["email"] for r in CASES[case][0]}
    assert not people & set(client["plan"].contacts["customer_id"]), "planned although suppressed"
    assert not people & set(client["sent"]["customer_id"])
    assert not emails & set(client["sent"]["email"].dropna())


@pytest.mark.parametrize("case", list(REACHABLE))
def test_people_with_a_certain_opt_in_are_still_planned_and_sent(client, case):
    people = _case_people(client, case, REACHABLE)
    assert people <= set(client["plan"].contacts["customer_id"])
    treated = set(client["plan"].contacts.loc[client["plan"].contacts["group"] == "treatment", "customer_id"])
    assert people & treated <= set(client["sent"]["customer_id"])


@pytest.mark.parametrize("case", SMS_CASES)
def test_an_unreadable_or_all_channel_suppresses_every_channel(client, case):
    pid = _case_people(client, case)
    assert not pid & set(client["sms"].contacts["customer_id"])
    assert not pid & set(client["sent_sms"]["customer_id"])
    for ch in ("email", "sms", "phone", "mail"):
        assert pid <= set(database.suppression_list(client["ws"], ch)["customer_id"]), ch
    assert _case_people(client, "sms_opt_in", SMS_REACHABLE) <= set(client["sms"].contacts["customer_id"])


def test_an_address_opted_out_once_is_suppressed_for_every_record_that_carries_it(client):
    ws = client["ws"]
    people = _case_people(client, "shared_address")
    assert len(people) >= 60                                   # merge/purge did not join them (a big block)
    assert FAMILY not in set(client["sent"]["email"].dropna())
    pts = database.suppressed_contact_points(ws, ["email"])
    assert FAMILY in set(pts["point"])
    sup = database.suppression_list(ws, "email")
    listed = set(sup.loc[sup["reason"] == "e-mail address on the suppression list", "customer_id"])
    assert len(listed) == len(people) - 1                      # everyone but the person the opt-out was matched to
    wf = client["plan"].waterfall.set_index("step")
    assert wf.loc["contact_point", "removed"] >= len(people) - 1


def test_the_send_file_drops_a_suppressed_address_even_when_the_plan_did_not(client):
    """A contact list planned before the opt-out arrived: the export checks again, by person and by address."""
    ws = client["ws"]
    fam = sorted(_case_people(client, "shared_address"))
    late = [_pid(client, "A17")]
    contacts = pd.DataFrame({"campaign_id": "OLD", "customer_id": fam + late, "cell": "X", "channel": "email",
                             "group": "treatment", "offer": "WELCOME", "contact_ts": pd.Timestamp("2026-01-07")})
    people = C.contact_details(ws, set(contacts["customer_id"]))
    pts = database.suppressed_contact_points(ws)
    out = C.send_file(contacts, people, pd.DataFrame(columns=["customer_id", "channel"]), contact_points=pts)
    assert FAMILY not in set(out["email"].dropna()) and len(out) == 0
    assert out.attrs["dropped"]["contact detail on the suppression list"] == len(contacts)


def test_an_opt_out_after_the_analysis_date_counts_at_send_time_but_not_in_the_analysis(client):
    ws = client["ws"]
    pid = _pid(client, "A17")
    lat = database.latest_consents(ws, as_of=AS_OF).set_index(["customer_id", "channel"])["status"]
    assert lat[(pid, "email")] == "opt_in"                     # the analysis is as of its date
    assert database.latest_consents(ws).set_index(["customer_id", "channel"])["status"][(pid, "email")] == "opt_out"
    sup = client["plan"].suppressions
    assert "not opted in (after the analysis date)" in set(sup.loc[sup["customer_id"] == pid, "reason"])


# ------------------------------------------------------------------------------------------------ reading
def test_ties_go_to_the_opt_out_everywhere(client):
    ws = client["ws"]
    for rec in ("A12", "A13"):
        pid = _pid(client, rec)
        assert database.latest_consents(ws).set_index(["customer_id", "channel"])["status"][(pid, "email")] == "opt_out"
        view = ws.sql("SELECT status FROM consent_latest WHERE customer_id = ? AND channel = 'email'", [pid])
        assert view["status"].tolist() == ["opt_out"]
        assert pid in set(database.suppression_list(ws, "email")["customer_id"])
        assert ws.sql("SELECT email_consent FROM customer_view WHERE customer_id = ?", [pid]).iloc[0, 0] == "opt_out"


def test_undated_flags_yes_is_the_earliest_no_is_the_latest(client):
    ws = client["ws"]
    lat = database.latest_consents(ws).set_index(["customer_id", "channel"])
    a14 = _pid(client, "A14")
    assert a14 == _pid(client, "A14B")                         # merge/purge joined the two records
    assert lat.loc[(a14, "email"), "status"] == "opt_out" and bool(lat.loc[(a14, "email"), "uncertain"])
    assert pd.isna(lat.loc[(a14, "email"), "updated_at"])     # unknown time: the latest evidence
    assert lat.loc[(_pid(client, "A15"), "email"), "status"] == "opt_out"     # earliest yes < dated opt-out
    assert lat.loc[(_pid(client, "B04"), "email"), "status"] == "opt_in"      # only an undated yes
    assert lat.loc[(_pid(client, "B04"), "email"), "updated_at"] == pd.Timestamp("1900-01-01")


def test_status_words_are_read_with_the_vocabulary_and_the_clients_words(client):
    ws = client["ws"]
    lat = database.latest_consents(ws).set_index(["customer_id", "channel"])
    certain = {"A01": "opt_out", "A02": "opt_out", "A05": "opt_out", "A18": "opt_out", "B02": "opt_in",
               "B03": "opt_in", "B05": "opt_in"}
    for rec, status in certain.items():
        row = lat.loc[(_pid(client, rec), "email")]
        assert (row["status"], bool(row["uncertain"])) == (status, False), rec
    for rec in ("A03", "A04", "A06", "A10", "A11", "A14", "A16"):
        row = lat.loc[(_pid(client, rec), "email")]
        assert (row["status"], bool(row["uncertain"])) == ("opt_out", True), rec
    for rec in ("A07", "A08"):                                 # a global unsubscribe is read with certainty
        for ch in ("email", "sms", "phone", "mail"):
            assert lat.loc[(_pid(client, rec), ch), "status"] == "opt_out"


def test_every_consent_row_stays_visible_and_the_counts_reconcile(client):
    ws = client["ws"]
    log = ws.sql("SELECT * FROM load_log WHERE table_name = 'consents'")
    assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
    n_rows = sum(len(rows) for _, rows in list(CASES.values()) + list(REACHABLE.values()))
    assert int(log["rows_read"].sum()) == n_rows
    q = ws.sql("SELECT source_row, reason FROM quarantine WHERE table_name = 'consents'")
    assert int(log["rows_quarantined"].sum()) == len(q)
    u = ws.sql("SELECT * FROM consent_uncertain")
    rows_u = set(u.loc[u["source"] == "prefs.csv", "source_row"].astype(int))
    assert rows_u <= set(q["source_row"].astype(int))          # an uncertain row is a quarantined row
    assert set(q["source_row"].astype(int)) == rows_u           # and every quarantined consent row suppresses
    # the client's word "Yes please!" was quarantined by ingest and read back with certainty
    assert u["raw_value"].dropna().str.contains("Yes please").sum() == 0
    # the file and the row of each uncertain consent: line 1 is the header
    prefs = pd.read_csv(ws.cfg.resolve("prefs.csv"), dtype=str, keep_default_na=False)
    line = {st: i + 2 for i, st in enumerate(prefs["status"])}
    assert line["pending review"] in rows_u and line["待定"] in rows_u
    assert not any("@" in str(v) for v in u["raw_value"].dropna())      # no contact detail is copied
    flags = u[u["source"] == "crm.csv"]
    crm = pd.read_csv(ws.cfg.resolve("crm.csv"), dtype=str, keep_default_na=False)
    assert {int(crm.index[crm["id"] == "A14"][0]) + 2, int(crm.index[crm["id"] == "A16"][0]) + 2} <= \
        set(flags["source_row"].astype(int))


def test_the_consent_summary_and_the_check_say_who_is_suppressed_for_uncertain_consent(client):
    ws = client["ws"]
    s = database.consent_summary(ws).set_index("channel")
    lat = database.latest_consents(ws)
    n_email = int(lat.loc[(lat["channel"] == "email") & lat["uncertain"].astype(bool), "customer_id"].nunique())
    assert s.loc["email", "uncertain"] == n_email >= 7
    where = database.uncertain_consents(ws)
    assert {"prefs.csv", "crm.csv"} <= set(where["source"])
    assert where["people"].sum() >= n_email
    text, ok = check_summary(ws)
    assert ok
    n_people = int(lat.loc[lat["uncertain"].astype(bool), "customer_id"].nunique())
    assert f"{n_people} people suppressed for uncertain consent" in text
    assert "prefs.csv, rows " in text and "crm.csv, rows " in text and "data.consent_words" in text


def test_the_plan_in_chinese_suppresses_the_same_people(client):
    ws = client["ws"]
    zh = Workspace(load_config(ws.cfg, overrides={"language": "zh"}))
    assert zh.db_path == ws.db_path and not zh.is_stale()        # the same database: language is not data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plan = C.plan_campaign(zh, reuse=client["plan"], language="zh", **EVERYONE)
    assert set(plan.contacts["customer_id"]) == set(client["plan"].contacts["customer_id"])
    labels = set(plan.waterfall["label"])
    assert "联系方式在排除名单上（与已退订、退信或已故的记录相同）" in labels


# ------------------------------------------------------------------------------------------------ config and units
def test_consent_words_are_checked_in_the_config():
    base = {"client": "w", "data": {"synthetic": {"n_people": 300}}}
    with pytest.raises(ConfigError, match="unknown key 'opt_inn'"):
        load_config({**base, "data": {**base["data"], "consent_words": {"opt_inn": ["ja"]}}})
    with pytest.raises(ConfigError, match="listed under both"):
        load_config({**base, "data": {**base["data"], "consent_words": {"opt_in": ["Ja!"], "opt_out": ["ja"]}}})
    cfg = load_config({**base, "data": {**base["data"], "consent_words": {"opt_out": ["nope"], "email": ["edm2"]}}})
    assert cfg.data.consent_words["opt_out"] == ["nope"]


@pytest.mark.parametrize("word,status,certain", [
    ("Opted Out", "opt_out", True), ("STOP", "opt_out", True), ("stop all", "opt_out", True),
    ("Do-Not-Contact", "opt_out", True), ("DNC", "opt_out", True), ("withdrawn", "opt_out", True),
    ("bounced", "opt_out", True), ("remove", "opt_out", True), ("退订", "opt_out", True), ("拒收", "opt_out", True),
    ("取消订阅", "opt_out", True), ("不同意", "opt_out", True), ("subscribed", "opt_in", True), ("YES", "opt_in", True),
    ("granted", "opt_in", True), ("订阅", "opt_in", True), ("同意", "opt_in", True), ("opt-in", "opt_in", True),
    ("perhaps", "opt_out", False), ("", "opt_out", False), (None, "opt_out", False), ("待定", "opt_out", False)])
def test_the_status_vocabulary(word, status, certain):
    s, ok = database.read_status(pd.Series([word], dtype=object))
    assert (s.iloc[0], bool(ok.iloc[0])) == (status, certain)


def test_contact_point_keys_agree_between_the_database_and_the_send_file():
    """The suppression list is computed in SQL, the send file is checked in pandas: the same key either way."""
    from dbmkit.database.consent import _point_sql
    df = pd.DataFrame({"first_name": ["Ann", "伟", None, "Bo"], "last_name": ["O'Neil", "王", "Lee", None],
                       "street": ["1  Main St.", "中山路 1号，3楼", "2 Elm-Road", "9 Oak"],
                       "postal_code": ["10 001", "200000", None, "1"],
                       "email": [" MAILTO:Ann@X.com", "a@b.cn", None, "b o@x.com"],
                       "phone": ["+1 212-555-0100", "+8613800138000", None, ""]})
    con = duckdb.connect()
    con.register("t", df)
    cols = set(df.columns)
    for ch in ("email", "sms", "mail"):
        sql = con.execute(f"SELECT {_point_sql(ch, cols, 't')} FROM t").df().iloc[:, 0].tolist()
        py = database.contact_point_keys(df, ch).tolist()
        assert [None if pd.isna(x) else x for x in sql] == py, ch


def test_at_send_time_every_opt_out_counts_and_a_future_opt_in_grants_nothing():
    """Without an as-of date (the send): an opt-out with a placeholder date far ahead still suppresses, an opt-in
    with one grants nothing; event times of any precision (phase-4 feedback is stored in nanoseconds) are read."""
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT *, NULL AS phone, NULL AS street, false AS is_test, "
                "false AS is_staff, false AS deceased, false AS gone_away FROM (VALUES ('P1', 'p1@x.org'), "
                "('P2', 'p2@x.org'), ('P3', 'p3@x.org')) t(customer_id, email)")
    con.execute("""CREATE TABLE consents AS SELECT customer_id, 'email' AS channel, status,
        CAST(updated_at AS TIMESTAMP) AS updated_at FROM (VALUES ('P1', 'opt_in', '2024-01-01'),
        ('P1', 'opt_out', '2999-12-31'), ('P2', 'opt_out', '2024-01-01'), ('P2', 'opt_in', '2999-12-31'),
        ('P3', 'opt_in', '2024-01-01')) t(customer_id, status, updated_at)""")
    con.execute("CREATE TABLE campaign_feedback AS SELECT 'P3' AS customer_id, 'email' AS channel, "
                "'unsubscribe' AS kind, CAST(TIMESTAMP '2025-06-01 10:00' AS TIMESTAMP_NS) AS event_ts")
    lat = database.latest_consents(con).set_index("customer_id")["status"]
    assert lat.to_dict() == {"P1": "opt_out", "P2": "opt_out", "P3": "opt_in"}
    assert database.latest_consents(con, as_of="2025-12-31").set_index("customer_id")["status"]["P1"] == "opt_in"
    assert set(database.suppression_list(con, "email")["customer_id"]) == {"P1", "P2", "P3"}
    assert set(database.suppression_list(con, "email", as_of="2025-01-01")["customer_id"]) == {"P2"}
    assert set(database.suppressed_contact_points(con, ["email"])["point"]) == {"p1@x.org", "p2@x.org", "p3@x.org"}
    sup = C.campaign_suppressions(con, ["email"], as_of="2025-12-31")
    assert set(sup["customer_id"]) == {"P1", "P2", "P3"}


def test_the_consent_vocabulary_is_documented():
    from pathlib import Path

    from dbmkit import schema
    doc = (Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Consent"):doc.index("## economics")]
    for enum in ("consent_status", "consent_channel"):
        for canon, words in schema.ENUMS[enum].items():
            for w in words.split():
                assert f" {w}," in section or f" {w} |" in section, (canon, w)
    for w in schema.CONSENT_ALL_CHANNELS.split():
        assert w in section, w
