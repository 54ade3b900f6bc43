"""A client whose data live in a real PostgreSQL server: the same files loaded into a throwaway server (initdb in a
temporary folder, a free port, password authentication) and read through ``sql:`` sources give the same check, the
same database and the same report numbers as the CSV files themselves. The password comes from the environment
(PGPASSWORD), never from the config; the server refuses writes from a source query.

Skips with the reason where PostgreSQL or the psycopg driver is missing (``.ci/run`` installs both).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import client_shapes as cs  # noqa: E402
import pg_server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLES = {"crm_customers.csv": "crm_customers", "web_accounts.csv": "web_accounts",
          "store_orders.csv": "store_orders", "web_orders.csv": "web_orders"}


@pytest.fixture(scope="module")
def server():
    try:
        s = pg_server.start()
    except pg_server.Unavailable as e:
        pytest.skip(f"no PostgreSQL server for the test: {e}")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def clients(server, tmp_path_factory):
    """The customers + orders shape (two customer systems, two order systems) as CSV files and as a PostgreSQL
    database ``shop`` with one table per file; two configs that differ only in where the data come from."""
    d = tmp_path_factory.mktemp("pg")
    csv_config, facts = cs.customers_orders(d)
    with server.connect() as con:
        con.execute("CREATE DATABASE shop")
    rows = {t: pg_server.load_csv(server, "shop", t, d / f) for f, t in TABLES.items()}
    cfg = yaml.safe_load(csv_config.read_text(encoding="utf-8"))
    cfg["client"] = "shape_customers_orders_pg"
    for specs in cfg["data"]["sources"].values():
        for spec in specs:
            spec["sql"] = f'SELECT * FROM "{TABLES[spec.pop("path")]}"'
            spec["url"] = server.url("shop")
    pg_config = d / "pg_client.yaml"
    pg_config.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return {"dir": d, "csv": csv_config, "pg": pg_config, "facts": facts, "rows": rows}


def _cli(server, *args, password: bool = True) -> subprocess.CompletedProcess:
    env = server.env() if password else {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
    env = {k: v for k, v in env.items() if not k.startswith("DBMKIT_") and k != "MPLBACKEND"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([sys.executable, "-m", "dbmkit.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=1800)


def _database(config: Path, work: Path) -> dict:
    """The built database's people, records and orders, in a stable order."""
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    ws = Workspace(load_config(config, overrides={"workdir": str(work)}))
    return {t: ws.sql(f"SELECT * FROM {t} ORDER BY ALL").reset_index(drop=True)
            for t in ("customers", "customer_records", "orders", "quarantine")}


def test_server_holds_the_files_rows(clients):
    assert clients["rows"]["crm_customers"] + clients["rows"]["web_accounts"] == clients["facts"]["records"]
    assert clients["rows"]["store_orders"] + clients["rows"]["web_orders"] == clients["facts"]["orders"]


def test_check_and_build_give_the_same_database_as_the_files(server, clients):
    d = clients["dir"]
    for kind in ("csv", "pg"):
        r = _cli(server, "check", clients[kind], "--workdir", d / f"work_{kind}")
        assert r.returncode == 0, r.stdout + r.stderr
        r = _cli(server, "build", clients[kind], "--workdir", d / f"work_{kind}")
        assert r.returncode == 0, r.stdout + r.stderr
    from_csv = _database(clients["csv"], d / "work_csv")
    from_pg = _database(clients["pg"], d / "work_pg")
    pg_files = set(from_pg["customer_records"].pop("source_file"))
    assert pg_files == {'sql: SELECT * FROM "crm_customers"', 'sql: SELECT * FROM "web_accounts"'}
    assert set(from_csv["customer_records"].pop("source_file")) == {"crm_customers.csv", "web_accounts.csv"}
    # a file's rows are numbered by line (the header is line 1), a query's rows from 1
    assert (from_pg["customer_records"].pop("source_row") == from_csv["customer_records"].pop("source_row") - 1).all()
    for table, frame in from_csv.items():           # everything else is the same, row for row
        pd.testing.assert_frame_equal(from_pg[table], frame, obj=table)
    assert len(from_pg["orders"]) == clients["facts"]["orders"]
    assert from_pg["orders"]["net_amount"].sum() == pytest.approx(clients["facts"]["net_revenue"], abs=0.01)
    assert len(from_pg["customers"]) == clients["facts"]["people"]
    assert len(from_pg["customer_records"]) == clients["facts"]["records"]


@pytest.mark.slow
def test_a_report_from_postgresql_has_the_numbers_of_the_report_from_files(server, clients):
    d = clients["dir"]
    kpis = {}
    for kind in ("csv", "pg"):
        out = d / f"report_{kind}"
        r = _cli(server, "report", clients[kind], "--out", out, "--workdir", d / f"rwork_{kind}",
                 "--phases", "20", "21", "22")
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        status = json.loads((out / "status.json").read_text(encoding="utf-8"))
        assert {c["file"]: c["status"] for c in status["chapters"]} == {
            "20_analyze_explore": "ok", "21_analyze_rfm": "ok", "22_analyze_value": "ok"}
        kpis[kind] = {k: v for k, v in json.loads((out / "kpis.json").read_text(encoding="utf-8")).items()
                      if isinstance(v, (int, float)) and not isinstance(v, bool)}
    assert len(kpis["csv"]) >= 5
    assert kpis["pg"] == pytest.approx(kpis["csv"], rel=1e-9)


def test_a_password_in_the_config_is_refused_and_never_printed(server, clients):
    cfg = yaml.safe_load(clients["pg"].read_text(encoding="utf-8"))
    spec = cfg["data"]["sources"]["orders"][0]
    spec["url"] = spec["url"].replace(f"{pg_server.USER}@", f"{pg_server.USER}:{pg_server.PASSWORD}@")
    bad = clients["dir"] / "pg_with_password.yaml"
    bad.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    r = _cli(server, "check", bad, "--workdir", clients["dir"] / "work_bad")
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "holds a password" in out and "PGPASSWORD" in out and "Traceback" not in out
    assert pg_server.PASSWORD not in out


def test_without_the_password_the_message_names_the_server_not_a_traceback(server, clients):
    r = _cli(server, "check", clients["pg"], "--workdir", clients["dir"] / "work_nopw", password=False)
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "sql source (postgresql://dbmkit@127.0.0.1" in out and "Traceback" not in out
    assert "cannot connect to the PostgreSQL server" in out and "no password supplied" in out and "PGPASSWORD" in out


def test_environment_variables_in_the_url(server, clients, monkeypatch):
    from dbmkit.config import SourceFile
    from dbmkit.ingest import IngestError, source_fingerprint
    spec = SourceFile(sql='SELECT * FROM "web_orders"', url=f"postgresql://${{SHOP_USER}}@127.0.0.1:{server.port}/shop",
                      columns={"order_id": "order"})
    monkeypatch.delenv("SHOP_USER", raising=False)
    with pytest.raises(IngestError, match="SHOP_USER, which is not set"):
        source_fingerprint(spec)
    monkeypatch.setenv("SHOP_USER", pg_server.USER)
    monkeypatch.setenv("PGPASSWORD", pg_server.PASSWORD)
    before = source_fingerprint(spec)
    assert before.startswith("sql:")
    with server.connect("shop") as con:                     # the client's data change: the fingerprint follows
        con.execute("UPDATE web_orders SET total = '1.00' WHERE \"order\" = (SELECT min(\"order\") FROM web_orders)")
    assert source_fingerprint(spec) != before


def test_the_server_refuses_a_write_hidden_in_a_select(server, clients, monkeypatch):
    from dbmkit.config import SourceFile
    from dbmkit.ingest import IngestError, source_fingerprint
    monkeypatch.setenv("PGPASSWORD", pg_server.PASSWORD)
    sneaky = SourceFile(sql='WITH gone AS (DELETE FROM "store_orders" RETURNING *) SELECT * FROM gone',
                        url=server.url("shop"), columns={"order_id": "receipt"})
    with pytest.raises(IngestError, match="read-only|read only"):
        source_fingerprint(sneaky)
    with server.connect("shop") as con:
        assert con.execute('SELECT count(*) FROM "store_orders"').fetchone()[0] == clients["rows"]["store_orders"]
