"""Sandboxed sources: a SQL source only reads its own database (no file writes, no other databases, no extensions,
no settings), and a relative file path stays inside the client's folder or the project folder above it."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from dbmkit.config import SourceFile, load_config
from dbmkit.ingest import IngestError, load_source

ROOT = Path(__file__).resolve().parents[1]
COLS = {"order_id": "id", "order_ts": "day", "net_amount": "amount"}


@pytest.fixture
def dbs(tmp_path):
    src = duckdb.connect(str(tmp_path / "shop.duckdb"))
    src.execute("CREATE TABLE sales AS SELECT * FROM (VALUES ('00042', DATE '2024-01-02', 12.5), "
                "('00043', DATE '2024-01-03', 3.0)) t(id, day, amount)")
    src.close()
    sq = sqlite3.connect(tmp_path / "shop.db")
    sq.execute("CREATE TABLE sales (id TEXT, day TEXT, amount REAL)")
    sq.executemany("INSERT INTO sales VALUES (?, ?, ?)", [("00042", "2024-01-02", 12.5), ("00043", "2024-01-03", 3)])
    sq.commit()
    sq.close()
    (tmp_path / "secret.csv").write_text("id,day,amount\nX,2024-01-01,1\n")
    return tmp_path


def _load(tmp_path, sql, url):
    con = duckdb.connect()
    return con, load_source(con, "orders", SourceFile(sql=sql, url=url, columns=COLS), base_dir=tmp_path)


def _refused(tmp_path, sql, url) -> str:
    with pytest.raises(IngestError) as e:
        _load(tmp_path, sql, url)
    msg = str(e.value)
    assert msg.startswith(f"sql source ({url}): ") and "\n  Fix: " in msg, msg
    assert "only read" in msg or "outside its database" in msg, msg
    return msg


# ------------------------------------------------------------------------------------------------ DuckDB
@pytest.mark.parametrize("sql,named", [
    ("COPY sales TO '{d}/stolen.csv'", "COPY"),
    ("COPY (SELECT * FROM sales) TO '{d}/stolen.parquet' (FORMAT parquet)", "COPY"),
    ("EXPORT DATABASE '{d}/dump'", "EXPORT DATABASE"),
    ("ATTACH '{d}/other.duckdb' AS other", "ATTACH"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("PRAGMA database_list", "PRAGMA"),
    ("SET enable_external_access = true", "SET"),
    ("SELECT * FROM sales; COPY sales TO '{d}/stolen.csv'", "2 statements"),
    ("CREATE TABLE x AS SELECT 1", "CREATE TABLE"),
])
def test_duckdb_query_that_writes_attaches_or_configures_is_refused(dbs, sql, named):
    msg = _refused(dbs, sql.format(d=dbs), "duckdb:///shop.duckdb")
    assert named in msg
    assert not (dbs / "stolen.csv").exists() and not (dbs / "stolen.parquet").exists()
    assert not (dbs / "dump").exists() and not (dbs / "other.duckdb").exists()


def test_duckdb_query_reads_its_own_tables_but_no_file_outside_its_database(dbs):
    for sql in ("SELECT * FROM read_csv('{d}/secret.csv')", "SELECT * FROM '{d}/secret.csv'",
                "SELECT id, day, amount FROM sales UNION ALL SELECT * FROM read_csv_auto('/etc/hostname')",
                "SELECT file AS id, '2024-01-01' AS day, 1 AS amount FROM glob('{d}/*')"):
        assert "outside its database" in _refused(dbs, sql.format(d=dbs), "duckdb:///shop.duckdb"), sql
    for sql in ("SELECT * FROM sales;", "WITH s AS (SELECT * FROM sales) SELECT * FROM s", "FROM sales",
                "-- the shop's sales\nSELECT id, day, amount FROM shop.main.sales WHERE amount > 0"):
        con, res = _load(dbs, sql, "duckdb:///shop.duckdb")
        assert res.rows_read == res.rows_loaded == 2, sql
        assert con.execute("SELECT min(order_id) FROM src_orders").fetchall()[0][0] == "00042"


# ------------------------------------------------------------------------------------------------ SQLite
@pytest.mark.parametrize("sql,named", [
    ("ATTACH DATABASE '{d}/other.db' AS other", "ATTACH"),
    ("PRAGMA table_info(sales)", "PRAGMA"),
    ("PRAGMA writable_schema = 1", "PRAGMA"),
    ("DELETE FROM sales", "DELETE"),
    ("CREATE TABLE x (a)", "CREATE TABLE"),
    ("SELECT * FROM sales; DROP TABLE sales", "2 statements"),
])
def test_sqlite_query_that_writes_or_attaches_is_refused_clearly(dbs, sql, named):
    msg = _refused(dbs, sql.format(d=dbs), "sqlite:///shop.db")
    assert named in msg and "NoneType" not in msg
    assert not (dbs / "other.db").exists()


def test_sqlite_attach_hidden_after_a_comment_gets_a_clear_message(dbs):
    msg = _refused(dbs, f"/* monthly */ ATTACH '{dbs}/other.db' AS o", "sqlite:///shop.db")
    assert "ATTACH" in msg and "TypeError" not in msg
    con, res = _load(dbs, "WITH s AS (SELECT * FROM sales) SELECT * FROM s;", "sqlite:///shop.db")
    assert res.rows_loaded == 2


def test_sqlite_functions_that_reach_outside_are_refused(dbs):
    msg = _refused(dbs, "SELECT load_extension('/tmp/evil') AS id, 1 AS day, 1 AS amount", "sqlite:///shop.db")
    assert "load_extension" in msg or "not authorized" in msg


# ------------------------------------------------------------------------------------------------ file paths
def _orders(folder: Path, name="orders.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("Invoice,Date,Amount\n1,2024-01-05,5\n")
    return {"order_id": "Invoice", "order_ts": "Date", "net_amount": "Amount"}


def test_relative_path_escaping_the_client_folder_is_refused_inside_is_read(tmp_path):
    cols = _orders(tmp_path / "outside")
    base = tmp_path / "project" / "clients"
    with pytest.raises(IngestError) as e:
        load_source(duckdb.connect(), "orders", SourceFile(path="../../outside/orders.csv", columns=cols),
                    base_dir=base)
    msg = str(e.value)
    assert msg.startswith("../../outside/orders.csv: the path '../../outside/orders.csv' leads outside the client's")
    assert "absolute path" in msg and "Fix:" in msg
    with pytest.raises(IngestError, match="leads outside the client's folder"):
        load_source(duckdb.connect(), "orders", SourceFile(path="data/../../../outside/orders.csv", columns=cols),
                    base_dir=base)
    # inside the client's folder, in the project's data folder beside it, or absolute on purpose: read
    _orders(base / "acme")
    _orders(tmp_path / "project" / "data" / "acme")
    for path in ("acme/orders.csv", "./acme/../acme/orders.csv", "../data/acme/orders.csv",
                 str(tmp_path / "outside" / "orders.csv")):
        res = load_source(duckdb.connect(), "orders", SourceFile(path=path, columns=cols), base_dir=base)
        assert res.rows_loaded == 1, path


def test_sql_database_file_escaping_the_client_folder_is_refused(dbs):
    base = dbs / "a" / "b"
    base.mkdir(parents=True)
    with pytest.raises(IngestError, match=r"sql source \(sqlite:///\.\./\.\./shop\.db\): the path .* leads outside"):
        load_source(duckdb.connect(), "orders", SourceFile(sql="SELECT * FROM sales", url="sqlite:///../../shop.db",
                                                           columns=COLS), base_dir=base)
    con, res = _load(base, "SELECT * FROM sales", f"sqlite:///{dbs / 'shop.db'}")   # absolute: on purpose
    assert res.rows_loaded == 2


def test_the_shipped_real_data_configs_stay_inside_the_project():
    from dbmkit.ingest.files import client_path
    for name in ("cdnow.yaml", "complete_journey.yaml"):
        cfg = load_config(ROOT / "clients" / name)
        for specs in cfg.data.sources.values():
            for sp in specs:
                assert client_path(sp.path, cfg.base_dir, sp.path) == cfg.resolve(sp.path)
