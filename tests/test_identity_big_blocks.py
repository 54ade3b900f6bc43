"""Large identity blocks (a key shared by more than identity.MAX_BLOCK records): records with the same key and the
same full name are still compared (one person registered 100 times merges), different people behind one generic
address are not merged, and every large block is reported — in the linkage report, the build report, chapter 11's
numbers (the build summary) and ``dbmkit check`` — never skipped silently."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from dbmkit import identity
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config
from dbmkit.privacy import find_pii

ROOT = Path(__file__).resolve().parents[1]
FIRST = ["Anna", "Boris", "Chen", "Dana", "Emil", "Fatima", "Goran", "Hana", "Ivan", "Julia"]
LAST = ["Keller", "Lopez", "Meyer", "Novak", "Okafor", "Petrov", "Quinn", "Rossi", "Sato", "Tanaka"]


def _records(n: int, email, first, last, **extra) -> pd.DataFrame:
    base = {c: [None] * n for c in ("phone", "birth_date", "postal_code", "street")}
    base.update(record_id=[f"R{k:04d}" for k in range(n)], source_system="web", email=email, first_name=first,
                last_name=last)
    base.update(extra)
    return pd.DataFrame(base)


def test_one_person_registered_100_times_with_one_email_is_one_person():
    recs = _records(100, "jo.miller@mail.com", "Jo", "Miller")
    assert len(recs) > identity.MAX_BLOCK
    rep: dict = {}
    linked = identity.resolve_identities(recs, report=rep)
    assert linked["customer_id"].nunique() == 1
    lb = rep["large_blocks"]
    assert lb[["block", "records", "name_groups", "compared", "not_compared"]].values.tolist() == [
        ["e-mail", 100, 1, 100, 0]]
    assert lb["key"].iloc[0] == "j***@mail.com" and bool(lb["windowed"].iloc[0])   # 100 > 60: in a window


def test_a_name_group_far_over_the_limit_is_compared_in_linear_time():
    recs = _records(1000, "jo.miller@mail.com", "Jo", "Miller")
    pairs = identity.candidate_pairs(recs)
    m = identity.MAX_BLOCK
    assert len(pairs) == sum(1000 - d for d in range(1, m))               # each with its m - 1 next, not n²/2
    assert identity.resolve_identities(recs)["customer_id"].nunique() == 1


def test_100_different_people_sharing_info_at_shop_are_not_merged_and_the_block_is_reported():
    names = [(f, la) for f in FIRST for la in LAST]                      # 100 different people
    recs = _records(100, "info@shop.com", [f for f, _ in names], [la for _, la in names])
    rep: dict = {}
    linked = identity.resolve_identities(recs, report=rep)
    assert linked["customer_id"].nunique() == 100
    lb = rep["large_blocks"]
    assert lb[["block", "key", "records", "name_groups", "compared", "not_compared"]].values.tolist() == [
        ["e-mail", "i***@shop.com", 100, 100, 0, 100]]
    lines = identity.large_block_summary(lb)
    assert "1 large block" in lines[0] and "100 of its records" in lines[0] and "i***@shop.com" in lines[1]
    assert find_pii("\n".join(lines)) == []


def test_same_name_records_in_a_shared_block_are_compared_on_all_their_fields():
    """Two different Anna Kellers behind info@shop.com: compared (same key, same name), but their birth dates and
    postal codes differ, so the comparison keeps them apart; the two records of one Dana Novak, who share nothing
    but the address and the name, merge."""
    first = ["Anna", "Anna", "Dana", "Dana"] + [f"P{k}" for k in range(66)]
    last = ["Keller", "Keller", "Novak", "Novak"] + [f"Q{k}" for k in range(66)]
    dob = ["1950-01-01", "1999-09-09", None, None] + [None] * 66
    zips = ["10001", "94110", None, None] + [None] * 66
    recs = _records(70, "info@shop.com", first, last, birth_date=dob, postal_code=zips)
    linked = identity.resolve_identities(recs)
    person = linked.set_index("record_id")["customer_id"]
    assert person["R0000"] != person["R0001"] and person["R0002"] == person["R0003"]
    assert linked["customer_id"].nunique() == 69


def _client(d: Path) -> Path:
    """A client file: 100 records of one person with one e-mail, and 100 shop staff orders under info@shop.com."""
    names = [(f, la) for f in FIRST for la in LAST]
    cust = pd.DataFrame({"id": [f"S{k:03d}" for k in range(100)] + [f"M{k:03d}" for k in range(100)],
                         "first": [f for f, _ in names] + ["Jo"] * 100,
                         "last": [la for _, la in names] + ["Miller"] * 100,
                         "mail": ["info@shop.com"] * 100 + ["Jo.Miller@mail.com"] * 100})
    cust.to_csv(d / "customers.csv", index=False)
    ids = list(cust["id"])
    pd.DataFrame({"order": [f"A{k:04d}" for k in range(len(ids))], "cust": ids,
                  "date": "2025-03-01", "total": "10.00"}).to_csv(d / "orders.csv", index=False)
    cfg = d / "blocks.yaml"
    cfg.write_text("""client: blocks
currency: EUR
analysis_date: 2025-06-30
data:
  sources:
    customers:
      - path: customers.csv
        columns: {customer_id: id, first_name: first, last_name: last, email: mail}
    orders:
      - path: orders.csv
        columns: {order_id: order, customer_id: cust, order_ts: date, net_amount: total}
""", encoding="utf-8")
    return cfg


def test_the_build_and_dbmkit_check_report_large_blocks(tmp_path):
    cfg = _client(tmp_path)
    ws = Workspace(load_config(cfg, overrides={"workdir": str(tmp_path / "work")})).ensure_built()
    assert ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0] == 101    # 100 staff + Jo Miller
    summary = ws.build_summary()
    assert summary["identity_large_blocks"] == 2 and summary["identity_not_compared"] == 100
    blocks = {(b["block"], b["key"]): b for b in summary["identity_large_block_list"]}
    assert blocks[("e-mail", "i***@shop.com")]["not_compared"] == 100
    assert blocks[("e-mail", "j***@mail.com")]["compared"] == 100
    env = dict(os.environ, DBMKIT_WORKDIR=str(tmp_path / "work"), PYTHONPATH=str(ROOT))
    env.pop("DBMKIT_CONFIG", None)
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "check", str(cfg)], capture_output=True, text=True,
                       cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "merge/purge: 2 large blocks" in r.stdout and "100 of their records had no same-name partner" in r.stdout
    assert "e-mail i***@shop.com: 100 records, 100 names, 0 compared, 100 not compared" in r.stdout
    assert "info@shop.com" not in r.stdout and "jo.miller@mail.com" not in r.stdout.lower()
