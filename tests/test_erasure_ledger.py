"""The client's erasure ledger: an erasure made in one work folder (``dbmkit erase`` or ``erase_customer`` on a
workspace) keeps the person out of every build and every export of the client in any other work folder; the ledger
holds salted hashes only; older per-workdir memories are still honoured and migrate into the ledger."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dbmkit import campaign, database
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config

ROOT = Path(__file__).resolve().parents[1]
N = 30
# the person who asks to be erased: two source records (C001 in the CRM, C031 on the web) with one e-mail address
VICTIM = {"ids": ["C001", "C031"], "email": "ann.victim@mail.com", "phone": "+12125550101", "first": "Ann",
          "last": "Victim"}


def _client(d: Path) -> Path:
    """A small client: customers (one person with two records), orders, e-mail consents by address."""
    first = ["Ann"] + [f"Name{i}" for i in range(2, N + 1)]
    last = ["Victim"] + [f"Person{i}" for i in range(2, N + 1)]
    cust = pd.DataFrame({
        "id": [f"C{i:03d}" for i in range(1, N + 1)], "first": first, "last": last,
        "mail": ["Ann.Victim@Mail.com"] + [f"person{i}@mail.com" for i in range(2, N + 1)],
        "tel": ["(212) 555-0101"] + [f"(212) 555-{100 + i:04d}" for i in range(2, N + 1)],
        "zip": [f"{10000 + i}" for i in range(1, N + 1)], "street": [f"{i} Main Street" for i in range(1, N + 1)],
        "birth": ["1980-05-01"] + [f"19{60 + i}-01-0{1 + i % 9}" for i in range(2, N + 1)]})
    dup = pd.DataFrame([{"id": "C031", "first": "Ann", "last": "Victim", "mail": "ann.victim@mail.com",
                         "tel": None, "zip": "10001", "street": "1 Main St", "birth": "1980-05-01"}])
    pd.concat([cust, dup], ignore_index=True).to_csv(d / "customers.csv", index=False)
    ids = [f"C{i:03d}" for i in range(1, N + 1)] + ["C031"]
    orders = pd.DataFrame({"order": [f"O{k:04d}" for k in range(len(ids) * 3)],
                           "cust": [c for c in ids for _ in range(3)],
                           "date": pd.date_range("2025-01-01", periods=len(ids) * 3, freq="D").strftime("%Y-%m-%d"),
                           "total": [f"{20 + k % 17}.50" for k in range(len(ids) * 3)]})
    orders.to_csv(d / "orders.csv", index=False)
    emails = ["ANN.VICTIM@mail.com"] + [f"person{i}@mail.com" for i in range(2, N + 1)]
    pd.DataFrame({"email": emails, "status": "y", "changed": "2025-01-01"}).to_csv(d / "consents.csv", index=False)
    cfg = d / "ledgertest.yaml"
    cfg.write_text("""client: ledgertest
currency: USD
analysis_date: 2025-06-30
data:
  sources:
    customers:
      - path: customers.csv
        columns: {customer_id: id, first_name: first, last_name: last, email: mail, phone: tel, postal_code: zip,
                  street: street, birth_date: birth}
    orders:
      - path: orders.csv
        columns: {order_id: order, customer_id: cust, order_ts: date, net_amount: total}
    consents:
      - path: consents.csv
        columns: {email: email, status: status, updated_at: changed}
        constants: {channel: email}
""", encoding="utf-8")
    return cfg


def _ws(cfg: Path, workdir: Path) -> Workspace:
    return Workspace(load_config(cfg, overrides={"workdir": str(workdir)}))


def _erase_cli(cfg: Path, workdir: Path, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for k in ("DBMKIT_WORKDIR", "DBMKIT_CONFIG"):
        env.pop(k, None)
    return subprocess.run([sys.executable, "-m", "dbmkit.cli", "erase", str(cfg), "--workdir", str(workdir), *args],
                          capture_output=True, text=True, cwd=ROOT, env=env)


def _assert_victim_absent(ws: Workspace, rebuilt: bool = True) -> None:
    """Not in customers or their records, no consent, no order linked to them: nothing names the person (a rebuild
    withholds their source rows in quarantine, without their values)."""
    with ws.connect() as con:
        recs = con.execute("SELECT record_id, customer_id FROM customer_records").df()
        assert not set(VICTIM["ids"]) & set(recs["record_id"])
        people = con.execute("SELECT customer_id, email, phone, first_name, last_name FROM customers").df()
        assert VICTIM["email"] not in set(people["email"]) and VICTIM["phone"] not in set(people["phone"])
        assert not ((people["first_name"] == "Ann") & (people["last_name"] == "Victim")).any()
        # every consent belongs to a remaining person; the victim's consent row is withheld
        consents = con.execute("SELECT DISTINCT customer_id FROM consents").df()
        assert set(consents["customer_id"]) <= set(people["customer_id"])
        assert len(consents) == N - 1
        withheld = con.execute("SELECT table_name, count(*) AS n FROM quarantine WHERE reason LIKE 'erased person%' "
                               "GROUP BY 1").df().set_index("table_name")["n"].to_dict()
        if rebuilt:
            assert withheld == {"consents": 1, "customers": 2, "orders": 6}, withheld
        # the victim's orders are not linked to anyone
        victim_orders = [f"O{k:04d}" for k in (0, 1, 2, N * 3, N * 3 + 1, N * 3 + 2)]
        linked = con.execute("SELECT order_id FROM orders").df()["order_id"]
        assert not set(victim_orders) & set(linked)


def _ledger_text(cfg: Path) -> str:
    p = cfg.parent / "ledgertest.erasures.json"
    assert p.exists(), "the ledger lives beside the client's config"
    return p.read_text(encoding="utf-8")


def _assert_no_personal_data(text: str) -> None:
    for v in (VICTIM["email"], "Ann.Victim", "ANN.VICTIM", VICTIM["phone"], "555-0101", "5550101", *VICTIM["ids"],
              "Victim"):
        # as a word of its own: a salted hash is hex and may hold "c001" by chance
        assert not re.search(rf"(?<![0-9a-z]){re.escape(v.lower())}(?![0-9a-z])", text.lower()), v


@pytest.fixture()
def client(tmp_path) -> Path:
    return _client(tmp_path)


def test_erase_by_email_in_one_workdir_keeps_the_person_out_of_another(client, tmp_path):
    before = _ws(client, tmp_path / "C").ensure_built()           # a work folder built before the erasure
    assert len(database.find_persons(before, email=VICTIM["email"])) == 1
    r = _erase_cli(client, tmp_path / "A", "--email", " Ann.VICTIM@mail.COM ", "--reason",
                   "request by ann.victim@mail.com")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "erased 1 person" in r.stdout and VICTIM["email"] not in r.stdout.lower()
    _assert_victim_absent(_ws(client, tmp_path / "A"), rebuilt=False)        # erased in place
    # a fresh work folder: the raw files still hold the person; the build keeps them out
    fresh = _ws(client, tmp_path / "B")
    assert fresh.ensure_built().build_summary()["erased_records"] == 2
    _assert_victim_absent(fresh)
    # the ledger: hashes only, one log entry for the erasure, the reason's e-mail masked
    text = _ledger_text(client)
    _assert_no_personal_data(text)
    led = json.loads(text)
    assert led["client"] == "ledgertest" and len(led["log"]) == 1 and "a***@mail.com" in led["log"][0]["reason"]
    assert all(len(k) == 24 for k in led["keys"])
    with _ws(client, tmp_path / "A").connect() as con:
        audit = con.execute("SELECT * FROM audit_log").df()
    assert len(audit) == 1 and VICTIM["email"] not in audit.to_string().lower()


def test_an_export_of_a_workdir_built_before_the_erasure_applies_the_ledger(client, tmp_path):
    ws = _ws(client, tmp_path / "C").ensure_built()
    people = ws.sql("SELECT customer_id FROM customers ORDER BY customer_id")["customer_id"]
    ws.save("campaign_contacts", pd.DataFrame({
        "campaign_id": "NEW-1", "customer_id": people, "cell": "all", "group": "treatment", "channel": "email",
        "offer": "WELCOME", "contact_ts": pd.Timestamp("2025-07-07 10:00"), "expected_response": 0.05,
        "expected_profit": 1.0, "recommended_product": None}))
    victim = database.find_persons(ws, email=VICTIM["email"])
    assert _erase_cli(client, tmp_path / "A", "--email", VICTIM["email"]).returncode == 0
    assert "erasure ledger" in " ".join(ws.stale_reasons())        # the other work folder knows it is behind
    sent = campaign.export_campaign_list(ws)                       # the open workspace, not rebuilt
    assert len(sent) == N - 1 and not set(victim) & set(sent["customer_id"])
    files = list((tmp_path / "C" / "exports").glob("campaign_list.*"))
    assert files and all(VICTIM["email"] not in f.read_bytes().decode("utf-8", "ignore").lower()
                         for f in files if f.suffix == ".csv")
    assert not ws.is_stale()                                       # the ledger is applied to this database now


def test_erase_by_phone(client, tmp_path):
    r = _erase_cli(client, tmp_path / "A", "--phone", "212.555.0101")
    assert r.returncode == 0, r.stdout + r.stderr
    fresh = _ws(client, tmp_path / "B").ensure_built()
    _assert_victim_absent(fresh)
    _assert_no_personal_data(_ledger_text(client))


def test_erase_by_customer_id_erases_the_record_and_the_merged_person(client, tmp_path):
    r = _erase_cli(client, tmp_path / "A", "--customer-id", "C031")     # the web record only
    assert r.returncode == 0, r.stdout + r.stderr
    fresh = _ws(client, tmp_path / "B").ensure_built()
    _assert_victim_absent(fresh)                                   # the CRM record C001 went with it
    _assert_no_personal_data(_ledger_text(client))


def test_a_new_record_of_an_erased_person_is_kept_out(client, tmp_path):
    assert _erase_cli(client, tmp_path / "A", "--customer-id", "C001").returncode == 0
    # later the client's file brings a new record of the person: new id, new e-mail, no phone — same name,
    # birth date and address, so merge/purge links it to the erased records and it is withheld with them
    cust = pd.read_csv(client.parent / "customers.csv", dtype=str)
    new = pd.DataFrame([{"id": "C099", "first": "Ann", "last": "Victim", "mail": "ann.new@other.com", "tel": None,
                         "zip": "10001", "street": "1 Main Street", "birth": "1980-05-01"}])
    pd.concat([cust, new]).to_csv(client.parent / "customers.csv", index=False)
    fresh = _ws(client, tmp_path / "B").ensure_built()
    assert "C099" not in set(fresh.sql("SELECT record_id FROM customer_records")["record_id"])
    assert fresh.build_summary()["erased_records"] == 3


def test_nobody_found_is_still_recorded(client, tmp_path):
    r = _erase_cli(client, tmp_path / "A", "--email", "not.yet@mail.com")
    assert r.returncode == 0 and "nobody with this e-mail address" in r.stdout
    cust = pd.read_csv(client.parent / "customers.csv", dtype=str)
    new = pd.DataFrame([{"id": "C077", "first": "Not", "last": "Yet", "mail": "Not.Yet@mail.com"}])
    pd.concat([cust, new]).to_csv(client.parent / "customers.csv", index=False)
    fresh = _ws(client, tmp_path / "B").ensure_built()
    assert "C077" not in set(fresh.sql("SELECT record_id FROM customer_records")["record_id"])
    assert "not.yet" not in _ledger_text(client).lower()


def test_erase_customer_on_a_workspace_writes_the_ledger_but_a_sandbox_does_not(client, tmp_path):
    ws = _ws(client, tmp_path / "A").ensure_built()
    victim = database.find_persons(ws, customer_id="C001")
    sb = database.Sandbox(ws, tmp_path / "sb")
    database.erase_customer(sb, victim, reason="trying it out")
    assert not (client.parent / "ledgertest.erasures.json").exists()    # tried in a sandbox: stays there
    sb.close()
    database.erase_customer(ws, victim, reason="customer request")      # what chapter 12 would do for real
    assert not ws.is_stale()                                            # applied in place, no rebuild needed
    _assert_no_personal_data(_ledger_text(client))
    _assert_victim_absent(_ws(client, tmp_path / "B").ensure_built())


def test_an_old_workdir_memory_is_honoured_and_migrates_into_the_ledger(client, tmp_path):
    # an erasure from before the ledger: remembered in <workdir>/erasures.json only
    old = _ws(client, tmp_path / "old").ensure_built()
    victim = database.find_persons(old, customer_id="C001")
    with old.connect(read_only=False) as con:
        database.erase_customer(con, victim, old.workdir)              # a connection: no ledger
    assert not (client.parent / "ledgertest.erasures.json").exists()
    rebuilt = old.ensure_built(force=True)                             # its own memory is still honoured …
    _assert_victim_absent(rebuilt)
    led = json.loads(_ledger_text(client))                             # … and now shared through the ledger
    assert led["imported"] and led["log"][0]["how"] == "import"
    _assert_victim_absent(_ws(client, tmp_path / "B").ensure_built())


def test_another_clients_ledger_is_refused(client, tmp_path):
    other = tmp_path / "other.erasures.json"
    other.write_text(json.dumps({"format": database.ledger.LEDGER_FORMAT, "client": "someone_else", "salt": "s",
                                 "keys": [], "imported": [], "log": []}))
    text = client.read_text().replace("currency: USD", f"currency: USD\nprivacy:\n  erasure_ledger: {other.name}")
    client.write_text(text)
    r = _erase_cli(client, tmp_path / "A", "--email", VICTIM["email"])
    assert r.returncode == 2 and "someone_else" in r.stderr
