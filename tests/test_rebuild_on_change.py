"""Staleness by content: a source file edited without changing its size or modification time, and a SQL source
whose rows changed after the build (a new opt-out), make the workspace rebuild, and the build's progress output
names the source that changed."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dbmkit import database
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config

N = 12


def _files(d: Path) -> None:
    pd.DataFrame({"id": [f"K{i:02d}" for i in range(N)], "mail": [f"buyer{i:02d}@shop.org" for i in range(N)]}
                 ).to_csv(d / "customers.csv", index=False)
    pd.DataFrame({"order": [f"A{i:03d}" for i in range(3 * N)], "cust": [f"K{i % N:02d}" for i in range(3 * N)],
                  "date": pd.date_range("2025-01-01", periods=3 * N, freq="D").strftime("%Y-%m-%d"),
                  "total": "19.90"}).to_csv(d / "orders.csv", index=False)


CONFIG = """client: rebuilt
currency: EUR
analysis_date: 2025-06-30
data:
  sources:
    customers:
      - path: customers.csv
        columns: {{customer_id: id, email: mail}}
    orders:
      - path: orders.csv
        columns: {{order_id: order, customer_id: cust, order_ts: date, net_amount: total}}
    consents:
{consents}
"""


def _ws(cfg: Path, tmp_path: Path) -> Workspace:
    return Workspace(load_config(cfg, overrides={"workdir": str(tmp_path / "work")}))


def _suppressed(ws: Workspace) -> set[str]:
    return set(database.suppression_list(ws, "email").query("reason == 'not opted in'")["customer_id"])


def _person(ws: Workspace, record: str) -> str:
    return ws.sql("SELECT customer_id FROM customer_records WHERE record_id = ?", [record])["customer_id"].iloc[0]


def test_a_same_size_same_mtime_edit_is_noticed(tmp_path):
    _files(tmp_path)
    # consent status y/n: an opt-out is a one-byte change, the file keeps its size
    pd.DataFrame({"email": [f"buyer{i:02d}@shop.org" for i in range(N)], "status": "y",
                  "changed": "2025-02-01"}).to_csv(tmp_path / "consents.csv", index=False)
    cfg = tmp_path / "client.yaml"
    cfg.write_text(CONFIG.format(consents="      - path: consents.csv\n        columns: {email: email, status: status, "
                                          "updated_at: changed}\n        constants: {channel: email}"))
    ws = _ws(cfg, tmp_path).ensure_built()
    victim = _person(ws, "K03")
    assert victim not in _suppressed(ws) and not ws.is_stale()
    p = tmp_path / "consents.csv"
    st = os.stat(p)
    text = p.read_text()
    line = "buyer03@shop.org,y,2025-02-01"
    assert line in text
    p.write_text(text.replace(line, "buyer03@shop.org,n,2025-02-01"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))                 # same size, same modification time
    assert os.stat(p).st_size == st.st_size and os.stat(p).st_mtime_ns == st.st_mtime_ns
    assert ws.is_stale()
    assert ws.stale_reasons() == ["source file consents.csv changed"]
    said: list[str] = []
    ws.ensure_built(progress=said.append)
    assert said[0] == "rebuild: source file consents.csv changed" and "ingest" in said
    assert victim in _suppressed(ws)
    said.clear()
    ws.ensure_built(progress=said.append)                            # current now: nothing to do
    assert said == [] and not ws.is_stale()


def _sqlite_source(tmp_path: Path) -> tuple[str, callable]:
    db = tmp_path / "crm.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE consent_log (email TEXT, status TEXT, changed TEXT)")
    con.executemany("INSERT INTO consent_log VALUES (?, 'opt_in', '2025-02-01')",
                    [(f"buyer{i:02d}@shop.org",) for i in range(N)])
    con.commit()
    con.close()

    def opt_out(email):
        c = sqlite3.connect(db)
        c.execute("INSERT INTO consent_log VALUES (?, 'opt_out', '2025-05-01')", (email,))
        c.commit()
        c.close()
    return "sqlite:///crm.db", opt_out


def _duckdb_source(tmp_path: Path) -> tuple[str, callable]:
    db = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE consent_log (email VARCHAR, status VARCHAR, changed VARCHAR)")
    con.executemany("INSERT INTO consent_log VALUES (?, 'opt_in', '2025-02-01')",
                    [[f"buyer{i:02d}@shop.org"] for i in range(N)])
    con.close()

    def opt_out(email):
        c = duckdb.connect(str(db))
        c.execute("INSERT INTO consent_log VALUES (?, 'opt_out', '2025-05-01')", [email])
        c.close()
    return "duckdb:///crm.duckdb", opt_out


@pytest.mark.parametrize("engine", [_sqlite_source, _duckdb_source], ids=["sqlite", "duckdb"])
def test_a_new_opt_out_in_a_sql_source_triggers_a_rebuild(tmp_path, engine):
    _files(tmp_path)
    url, opt_out = engine(tmp_path)
    cfg = tmp_path / "client.yaml"
    cfg.write_text(CONFIG.format(consents=f"      - sql: SELECT email, status, changed FROM consent_log;\n"
                                          f"        url: {url}\n        columns: {{email: email, status: status, "
                                          f"updated_at: changed}}\n        constants: {{channel: email}}"))
    ws = _ws(cfg, tmp_path).ensure_built()
    victim = _person(ws, "K05")
    assert not _suppressed(ws) and not ws.is_stale()
    opt_out("buyer05@shop.org")
    name = f"SQL source consents[0] ({url})"
    assert ws.is_stale()
    assert ws.stale_reasons() == [f"{name} changed"]
    said: list[str] = []
    ws.ensure_built(progress=said.append)
    assert said[0] == f"rebuild: {name} changed"
    assert _suppressed(ws) == {victim}
    assert not ws.is_stale()


def test_a_missing_or_unreadable_source_is_named(tmp_path):
    _files(tmp_path)
    pd.DataFrame({"email": ["buyer01@shop.org"], "status": "y", "changed": "2025-02-01"}).to_csv(
        tmp_path / "consents.csv", index=False)
    cfg = tmp_path / "client.yaml"
    cfg.write_text(CONFIG.format(consents="      - path: consents.csv\n        columns: {email: email, status: status, "
                                          "updated_at: changed}\n        constants: {channel: email}"))
    ws = _ws(cfg, tmp_path).ensure_built()
    (tmp_path / "consents.csv").unlink()
    assert ws.is_stale()
    assert ws.stale_reasons() == ["source file consents.csv is missing"]
