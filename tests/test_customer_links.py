"""Known id links (a ``customer_links`` source): merge/purge applies them as certain matches, counts them, quarantines
the ones it cannot apply with the reason, and keeps the fail-safe rules across them.

A small client written here as a consultant would receive it: web accounts (``web.csv``) and loyalty cards
(``card.csv``, whose ids get the prefix ``C-``), orders of both systems, and a crosswalk ``links.csv`` of pairs of
ids known to be the same person. The linked records have different names, e-mail addresses and postal codes, so
fuzzy matching alone keeps them apart (the same files built without the crosswalk show it). The crosswalk also holds
one link of each kind that cannot be applied, a link to a record of an erased person (the client's erasure ledger
names it) and a link from an opted-out web account to a loyalty card that opted in later.

The property test then builds random clients — random persons of one or two records, random links, random consent
flags and erasures — and checks, by rules written here again, that no send file holds anyone whose records
without the links were opted out or erased.
"""
from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dbmkit import campaign as C
from dbmkit import database, identity
from dbmkit.cli import check_summary
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config
from dbmkit.database import ledger as _ledger
from dbmkit.database.erasure import erasure_keys

AS_OF = "2025-12-31"
EVERYONE = dict(budget=None, depth_deciles=10, n_per_household={},
                lifecycle_stages=("new", "active", "at_risk", "lapsed", "lost"), recommend=False)
COLS = {"customer_id": "id", "first_name": "first", "last_name": "last", "email": "email", "postal_code": "zip",
        "signup_date": "signup", "email_consent": "news"}
WEB = [("W001", "Ann", "Lee", "ann.lee@mail.org", "10001", "2024-01-01", "yes"),
       ("W002", "Bob", "Moss", "bob.m@mail.org", "10002", "2024-01-01", "yes"),
       ("W003", "Cai", "Nash", "cai@mail.org", "10003", "2024-01-01", "yes"),
       ("W004", "Cai", "Nash", "cai.work@job.org", "20004", "2024-02-01", "yes"),
       ("W005", "Dee", "Park", "dee@mail.org", "10005", "2024-01-01", "yes"),
       ("W006", "Eve", "Ortiz", "eve@mail.org", "10006", "2024-01-01", "no"),
       ("W007", "Fay", "Gray", "fay@mail.org", "10007", "2024-01-01", "yes"),
       ("W008", "Gus", "Hale", "gus@mail.org", "10008", "2024-01-01", "yes")]
CARD = [("5001", "Anna", "Chen", "annchen@other.net", "30001", "2024-03-01", "yes"),
        ("5002", "Robert", "Mossberg", "rmoss@other.net", "30002", "2024-03-01", "yes"),
        ("5003", "C", "Nash-Li", "cnl@other.net", "30003", "2024-03-01", "yes"),
        ("5005", "Dee", "Park", "dee@mail.org", "10005", "2024-01-01", "yes"),
        ("5006", "Evelyn", "Diaz", "evd@other.net", "30006", "2025-01-01", "yes"),
        ("5007", "Faye", "Grey-Ames", "fga@other.net", "30007", "2024-05-01", "yes")]
LINKS = [("web", "W001", "card", "5001", "crosswalk", ""),                     # row 2
         ("web", "W002", "card", "5002", "", ""),                              # row 3
         ("web", "W003", "card", "5003", "", ""),                              # row 4: W003 = C-5003 = W004
         ("card", "5003", "web", "W004", "", ""),                              # row 5
         ("web", "W005", "card", "5005", "", ""),                              # row 6: fuzzy merges them anyway
         ("web", "W006", "card", "5006", "", "call centre: eve@mail.org"),     # row 7: an opt-out meets an opt-in
         ("WEB ", "W007", "Card", "5007", "", ""),                             # row 8: W007 is erased
         ("pos", "77", "card", "5001", "", ""),                                # row 9: unknown system
         ("web", "W999", "card", "5001", "", ""),                              # row 10: no such id
         ("web", "W001", "web", "W001", "", ""),                               # row 11: itself
         ("card", "5001", "web", "W001", "", ""),                              # row 12: row 2 again
         ("web", "", "card", "5002", "", "")]                                  # row 13: id missing


def _write(d: Path, links: bool, ledger: bool) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    cols = ["id", "first", "last", "email", "zip", "signup", "news"]
    pd.DataFrame(WEB, columns=cols).to_csv(d / "web.csv", index=False)
    pd.DataFrame(CARD, columns=cols).to_csv(d / "card.csv", index=False)
    for name, rows in (("web_orders", WEB), ("card_orders", CARD)):
        pd.DataFrame({"order": [f"{name}-{k}" for k in range(2 * len(rows))], "cust": [r[0] for r in rows] * 2,
                      "date": ["2025-04-01"] * len(rows) + ["2025-10-01"] * len(rows),
                      "amount": 40.0}).to_csv(d / f"{name}.csv", index=False)
    pd.DataFrame(LINKS, columns=["sys_a", "id_a", "sys_b", "id_b", "kind", "note"]).to_csv(d / "links.csv", index=False)
    omap = {"order_id": "order", "customer_id": "cust", "order_ts": "date", "net_amount": "amount"}
    sources = {"customers": [{"path": "web.csv", "source_system": "web", "columns": COLS},
                             {"path": "card.csv", "source_system": "card", "id_prefix": "C-", "columns": COLS}],
               "orders": [{"path": "web_orders.csv", "source_system": "web", "columns": omap},
                          {"path": "card_orders.csv", "source_system": "card", "id_prefix": "C-", "columns": omap}]}
    if links:
        sources["customer_links"] = [{"path": "links.csv", "columns": {
            "system_a": "sys_a", "id_a": "id_a", "system_b": "sys_b", "id_b": "id_b", "kind": "kind", "note": "note"}}]
    cfg = {"client": "links", "workdir": str(d / "work"), "analysis_date": AS_OF, "data": {"sources": sources}}
    if ledger:
        cfg["privacy"] = {"erasure_ledger": "links.erasures.json"}
        with _ledger.updating(d / "links.erasures.json", client="links") as led:
            _ledger.add_keys(led, ["W007"], token_of="W007", reason="customer request")
    p = d / "links.yaml"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("customer_links")
    ws = Workspace(load_config(_write(root / "with", links=True, ledger=True))).ensure_built()
    plain = Workspace(load_config(_write(root / "without", links=False, ledger=True))).ensure_built()
    return ws, plain


def _person(ws) -> pd.Series:
    return ws.sql("SELECT record_id, customer_id FROM customer_records").set_index("record_id")["customer_id"]


def test_links_merge_records_fuzzy_matching_keeps_apart(built):
    ws, plain = built
    with_links, without = _person(ws), _person(plain)
    for group in (["W001", "C-5001"], ["W002", "C-5002"], ["W003", "C-5003", "W004"], ["W006", "C-5006"]):
        assert with_links[group].nunique() == 1, group                       # one person with the links
        assert without[group].nunique() == len(group), group                 # fuzzy matching alone: apart
    assert without[["W005", "C-5005"]].nunique() == 1                        # same name and e-mail: merged anyway
    assert with_links["W008"] not in set(with_links.drop("W008"))            # an unlinked person stays alone
    n_with = ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
    n_without = plain.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]
    # W001, W002, W003 + W004 and W006 joined (W005 was merged already), and C-5007 withheld with the erased W007
    assert n_without - n_with == 5 + 1
    assert ws.build_summary()["persons"] == n_with
    # chapter 11's threshold curve counts the links at every threshold: at the build's threshold it finds the persons
    records, pairs = ws.sql("SELECT * FROM customer_records"), ws.sql("SELECT * FROM identity_pairs")
    known = ws.sql("SELECT record_a, record_b FROM customer_links")
    curve = identity.threshold_curve(records, pairs, None, thresholds=(0.85, 0.999), links=known)
    assert curve["persons_found"].tolist() == [n_with, n_with]
    assert identity.threshold_curve(records, pairs, None, thresholds=(0.85,))["persons_found"].iloc[0] == n_with + 5


def test_links_are_counted_in_the_identity_summary(built):
    ws, plain = built
    s = database.link_summary(ws).set_index("measure")["count"].to_dict()
    assert s["links given"] == len(LINKS)
    assert s["links applied"] == 6                      # rows 2–7; row 8 names an erased person
    assert s["links that joined records fuzzy matching kept apart"] == 5      # all but W005 = C-5005
    assert s["persons fewer because of the links"] == 5
    assert s["links quarantined"] == 6
    for kind in ("unknown system", "id not found", "a record linked to itself", "duplicate link", "missing value",
                 "erased person"):
        assert s[f"  quarantined: {kind}"] == 1, kind
    assert s["records withheld: linked to an erased person"] == 1            # C-5007
    assert s["opt-outs held across links (person × channel)"] == 1           # W006's e-mail opt-out
    log = ws.sql("SELECT * FROM load_log WHERE table_name = 'customer_links'")
    assert log[["rows_read", "rows_loaded", "rows_quarantined"]].values.tolist() == [[12, 6, 6]]
    assert database.link_summary(plain).empty                                # no crosswalk: no table
    stored = ws.sql("SELECT record_a, record_b, joined, kind, note FROM customer_links ORDER BY source_row")
    assert stored[["record_a", "record_b"]].values.tolist() == [
        ["W001", "C-5001"], ["W002", "C-5002"], ["W003", "C-5003"], ["C-5003", "W004"], ["W005", "C-5005"],
        ["W006", "C-5006"]]
    assert stored["joined"].tolist() == [True, True, True, True, False, True]
    assert stored["kind"].iloc[0] == "crosswalk"
    assert "eve@mail.org" not in " ".join(stored["note"].dropna()) and stored["note"].notna().sum() == 1
    text, ok = check_summary(ws)                                             # what `dbmkit check` says
    assert ok and ("known id links: 12 given, 6 applied (5 joined records fuzzy matching kept apart), "
                   "6 quarantined") in text
    assert "fix: a known id link names a system no customers source has" in text


def test_links_that_cannot_be_applied_are_quarantined_with_the_reason(built):
    ws, _ = built
    q = ws.sql("SELECT source_row, column_name, reason, raw_values FROM quarantine "
               "WHERE table_name = 'customer_links' ORDER BY source_row").set_index("source_row")
    assert q.loc[9, "reason"] == "system_a: no customers source has the system 'pos' (the systems are card, web)"
    assert q.loc[10, "reason"] == ("id_a: the system 'web' has no record with the id 'W999' (check the id and the "
                                   "source's `id_prefix`)")
    assert q.loc[11, "reason"] == "the link links a record to itself"
    assert q.loc[12, "reason"] == "the link repeats the link of row 2 (the same two records)"
    assert q.loc[13, "reason"] == "id_a: missing"
    assert q.loc[8, "reason"] == database.ERASED and pd.isna(q.loc[8, "raw_values"])     # nothing of W007 kept
    assert list(q.loc[[9, 10, 11, 12], "column_name"]) == ["system_a", "id_a", "id_b", "id_b"]
    text = " ".join(ws.sql("SELECT coalesce(raw_values, '') AS r FROM quarantine")["r"])
    assert "W007" not in text and "5007" not in text and "eve@mail.org" not in text


def test_an_erasure_covers_every_record_a_link_joins(built):
    ws, plain = built
    kept = set(_person(ws).index)
    assert not {"W007", "C-5007"} & kept                    # the erased account and the card linked to it
    assert "C-5007" in set(_person(plain).index)            # without the link the card is another person
    orders = ws.sql("SELECT count(*) AS n FROM orders o JOIN customer_records r USING (customer_id) "
                    "WHERE r.record_id IN ('W007', 'C-5007')")["n"].iloc[0]
    assert orders == 0
    assert ws.build_summary()["identity_links"]["withheld_by_link"] == 1


def test_erasing_a_linked_person_removes_its_links_and_remembers_both_records(built):
    ws, _ = built
    sb = database.Sandbox(ws)
    try:
        pid = sb.sql("SELECT customer_id FROM customer_records WHERE record_id = 'W001'")["customer_id"].iloc[0]
        removed = database.erase_customer(sb, pid, reason="customer request")
        assert removed["customer_records"] == 2 and removed["customer_links"] == 1
        left = sb.sql("SELECT record_a, record_b FROM customer_links")
        assert not {"W001", "C-5001"} & (set(left["record_a"]) | set(left["record_b"])) and len(left) == 5
        memory = database.load_erasures(sb.workdir)          # a rebuild keeps both records out, link or no link
        assert erasure_keys(["W001"], memory["salt"]) | erasure_keys(["C-5001"], memory["salt"]) <= set(memory["keys"])
    finally:
        sb.close()


def test_a_record_in_very_many_links_is_not_one_person():
    """A placeholder id (0) that a careless crosswalk links to every account would merge strangers: its links are set
    aside with the reason, the other links still apply."""
    import duckdb

    from dbmkit.ingest import ensure_ingest_tables
    con = duckdb.connect()
    ensure_ingest_tables(con)
    n = database.links.MAX_LINKS_PER_RECORD + 2
    rows = pd.DataFrame({"system_a": "web", "id_a": [f"W{i}" for i in range(n)] + ["W100"], "system_b": "card",
                         "id_b": ["0"] * n + ["5"], "kind": None, "note": None, "source_file": "links.csv",
                         "source_row": range(2, n + 3), "source_system": ""})
    con.register("_rows", rows)
    con.execute("CREATE TABLE src_customer_links AS SELECT * FROM _rows")
    con.execute(f"INSERT INTO load_log (table_name, source, rows_read, rows_loaded, rows_quarantined) "
                f"VALUES ('customer_links', 'links.csv', {n + 1}, {n + 1}, 0)")
    recs = pd.DataFrame({"record_id": [f"W{i}" for i in range(n)] + ["W100", "0", "5"],
                         "source_system": ["web"] * (n + 1) + ["card"] * 2})
    applied = database.resolve_links(con, recs, {})
    assert applied[["record_a", "record_b"]].values.tolist() == [["W100", "5"]]
    q = con.execute("SELECT DISTINCT reason FROM quarantine").fetchall()
    assert q == [(f"the record 0 is in {n} links (more than {n - 2}): a placeholder id or a shared card? its links "
                  "were set aside",)]
    assert con.execute("SELECT rows_loaded, rows_quarantined FROM load_log").fetchall() == [(1, n)]
    assert database.link_reason_kind(q[0][0]) == "record in too many links"


def _send(ws, d: Path, name: str) -> pd.DataFrame:
    os.environ["DBMKIT_REPORT_OUT"] = str(d)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plan = C.plan_campaign(ws, **EVERYONE)
            C.export_campaign_list(ws, plan, filename=name, formats=("csv",))
    finally:
        os.environ.pop("DBMKIT_REPORT_OUT", None)
    return pd.read_csv(d / f"{name}.csv", dtype=str)


def test_an_opt_out_holds_for_the_whole_linked_person(built, tmp_path):
    ws, plain = built
    pid = _person(ws)["W006"]
    latest = ws.sql("SELECT * FROM consent_latest WHERE channel = 'email'").set_index("customer_id")
    # W006 said no (2024), its loyalty card yes (2025): the later yes would win inside one person, the link must not
    assert latest.loc[pid, "status"] == "opt_out"
    held = ws.sql("SELECT * FROM consent_uncertain")
    assert held[["customer_id", "channel", "source", "source_row"]].values.tolist() == [[pid, "email", "web.csv", 7]]
    assert pid in set(database.suppression_list(ws, "email")["customer_id"])
    sent = _send(ws, tmp_path, "with_links")
    assert pid not in set(sent["customer_id"])
    assert not {"eve@mail.org", "evd@other.net"} & set(sent["email"].dropna())
    # the linked people who all opted in are sent (the rule does not suppress everybody)
    person = _person(ws)
    assert {person["W001"], person["W002"], person["W003"], person["W008"]} <= set(sent["customer_id"])
    # without the crosswalk the loyalty card alone may be sent: it is the link that carries the opt-out
    alone = _send(plain, tmp_path, "without_links")
    assert _person(plain)["C-5006"] in set(alone["customer_id"])


# ------------------------------------------------------------------------------------------------ the property
FIRST = ["Ann", "Bob", "Cai", "Dee", "Eve", "Fay", "Gus", "Hal"]
LAST = ["Lee", "Moss", "Nash", "Ortiz", "Park", "Quinn", "Reyes", "Stone"]
DATES = ["2024-01-01", "2024-06-01", "2025-01-01", "2025-06-01"]


@st.composite
def linked_client(draw):
    """Persons (each the records fuzzy matching certainly merges: same name, e-mail, phone and postal code, nothing
    shared with another person), spread over two systems; consent flags per record and channel; links between
    random records; some persons erased (the ledger names one of their records)."""
    n = draw(st.integers(2, 7))
    recs, k = [], 0
    for p in range(n):
        for _ in range(draw(st.integers(1, 2))):
            k += 1
            system = draw(st.sampled_from(["web", "card"]))
            recs.append(dict(person=p, system=system, id=f"{k:03d}", first=FIRST[p], last=LAST[p],
                             email=f"p{p}@mail.example.net", phone=f"212555{p:04d}", zip=f"{10000 + p}",
                             signup=draw(st.sampled_from(DATES)),
                             news=draw(st.sampled_from(["yes", "no", ""])),
                             sms=draw(st.sampled_from(["yes", "no", ""]))))
    links = [tuple(draw(st.sampled_from(range(len(recs)))) for _ in range(2))
             for _ in range(draw(st.integers(1, 6)))]
    erased = draw(st.sets(st.integers(0, n - 1), max_size=2))
    return recs, links, erased


def _rec(person: int, system: str, rid: str, signup: str, news: str, sms: str = "") -> dict:
    return dict(person=person, system=system, id=rid, first=FIRST[person], last=LAST[person],
                email=f"p{person}@mail.example.net", phone=f"212555{person:04d}", zip=f"{10000 + person}",
                signup=signup, news=news, sms=sms)


# the cases the rule is for, always tried: a web account that opted out linked to a card that opted in later
# (without the rule the later opt-in would win), and an erased person linked to another
KNOWN_CASES = ([_rec(0, "web", "001", "2024-01-01", "no", "no"), _rec(1, "card", "002", "2025-01-01", "yes", "yes"),
                _rec(2, "web", "003", "2024-01-01", "yes"), _rec(3, "card", "004", "2024-06-01", "yes"),
                _rec(4, "web", "005", "2024-01-01", "yes", "yes")], [(0, 1), (2, 3)], {2})


def _record_id(r: dict) -> str:
    return ("C-" if r["system"] == "card" else "W") + r["id"]


def _write_random(d: Path, recs, links, erased) -> Path:
    df = pd.DataFrame(recs)
    for system in ("web", "card"):
        mine = df[df["system"] == system]
        ids = ("W" + mine["id"]) if system == "web" else mine["id"]
        mine.assign(id=ids).drop(columns=["person", "system"]).to_csv(d / f"{system}.csv", index=False)
        pd.DataFrame({"order": [f"{system}-{i}" for i in range(len(mine))], "cust": ids.tolist(),
                      "date": "2025-09-01", "amount": 30.0}).to_csv(d / f"{system}_orders.csv", index=False)
    rows = []
    for a, b in links:
        ra, rb = recs[a], recs[b]
        rows.append((ra["system"], ("W" if ra["system"] == "web" else "") + ra["id"],
                     rb["system"], ("W" if rb["system"] == "web" else "") + rb["id"]))
    pd.DataFrame(rows, columns=["sa", "ia", "sb", "ib"]).to_csv(d / "links.csv", index=False)
    with _ledger.updating(d / "rand.erasures.json", client="rand") as led:
        for p in erased:
            first = next(r for r in recs if r["person"] == p)
            _ledger.add_keys(led, [_record_id(first)], token_of=_record_id(first), reason="request")
    cols = dict(COLS, phone="phone", sms_consent="sms")
    omap = {"order_id": "order", "customer_id": "cust", "order_ts": "date", "net_amount": "amount"}
    cfg = {"client": "rand", "workdir": str(d / "work"), "analysis_date": AS_OF,
           "privacy": {"erasure_ledger": "rand.erasures.json"},
           "data": {"sources": {
                "customers": [{"path": "web.csv", "source_system": "web", "columns": cols},
                              {"path": "card.csv", "source_system": "card", "id_prefix": "C-", "columns": cols}],
                "orders": [{"path": "web_orders.csv", "source_system": "web", "columns": omap},
                           {"path": "card_orders.csv", "source_system": "card", "id_prefix": "C-", "columns": omap}],
                "customer_links": [{"path": "links.csv", "columns": {"system_a": "sa", "id_a": "ia",
                                                                     "system_b": "sb", "id_b": "ib"}}]}}}
    p = d / "rand.yaml"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def _latest_flag(records: list[dict], field: str) -> str | None:
    """A person's own latest flag (the rules again): each flag at its record's sign-up date, an opt-out wins a tie."""
    ev = [(r["signup"], r[field] == "no", r[field]) for r in records if r[field]]
    return None if not ev else ("opt_out" if max(ev)[1] else "opt_in")


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(client=linked_client())
@example(client=KNOWN_CASES)
def test_no_link_makes_an_opted_out_or_erased_record_reachable(client):
    recs, links, erased = client
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        ws = Workspace(load_config(_write_random(d, recs, links, erased))).ensure_built()
        log = ws.sql("SELECT * FROM load_log")
        assert (log["rows_read"] == log["rows_loaded"] + log["rows_quarantined"]).all()
        # the persons the records make without the links, and who they are with the links (union of linked persons)
        persons = sorted({r["person"] for r in recs})
        group = {p: p for p in persons}

        def root(p):
            while group[p] != p:
                p = group[p]
            return p
        for a, b in links:
            ra, rb = root(recs[a]["person"]), root(recs[b]["person"])
            group[max(ra, rb)] = min(ra, rb)
        members = {p: [q for q in persons if root(q) == root(p)] for p in persons}
        gone = {p for p in persons if any(q in erased for q in members[p])}
        kept = set(ws.sql("SELECT record_id FROM customer_records")["record_id"])
        for r in recs:                           # an erased person and everyone linked to it are withheld
            assert (_record_id(r) in kept) == (r["person"] not in gone), (r, erased, links)
        by_person = {p: [r for r in recs if r["person"] == p] for p in persons}
        out = {ch: {p for p in persons if _latest_flag(by_person[p], field) == "opt_out"}
               for ch, field in (("email", "news"), ("sms", "sms"))}
        record_person = {_record_id(r): r["person"] for r in recs}
        db = ws.sql("SELECT record_id, customer_id FROM customer_records")
        parts_of = db.assign(p=db["record_id"].map(record_person)).groupby("customer_id")["p"].apply(set).to_dict()
        sent = []
        os.environ["DBMKIT_REPORT_OUT"] = str(d / "out")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for ch in ("email", "sms"):
                    try:
                        plan = C.plan_campaign(ws, channel=ch, **EVERYONE)
                    except ValueError as e:                # nobody may be contacted: a valid outcome
                        assert "nobody is left" in str(e)
                        continue
                    C.export_campaign_list(ws, plan, filename=f"list_{ch}", formats=("csv",))
                    sent.append(pd.read_csv(d / "out" / f"list_{ch}.csv", dtype=str))
        finally:
            os.environ.pop("DBMKIT_REPORT_OUT", None)
        for s in sent:
            for r in s.itertuples():
                parts = parts_of[r.customer_id]
                assert not parts & gone, (r.customer_id, parts, erased)
                assert not parts & out[r.channel], (r.customer_id, r.channel, parts, out[r.channel], links)
                detail = r.email if r.channel == "email" else r.phone
                mine = {x["email"] if r.channel == "email" else "+1" + x["phone"] for x in recs
                        if x["person"] in out[r.channel] | gone}
                assert detail not in mine, (r.customer_id, r.channel)
