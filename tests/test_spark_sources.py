"""A client whose sources are Spark SQL queries (``url: spark``) — Parquet and CSV files named in the query
(``parquet.`path` ``, ``csv.`path` WITH ('header' = 'true', 'sep' = ';')``: Spark 4's table options; without them
Spark reads a CSV file without its header) and a table of the Spark session — gives the same database as the same
data given as files: ids keep their leading zeros, amounts their cents, instants become the source zone's local
time. The fingerprint follows the Parquet file's content; a missing path, table or column, a write, a parse error
and a machine without Spark are one message naming the source and the fix, never a traceback.

One local Spark session for all (the session-scoped ``spark_session`` fixture of conftest.py), tiny data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from dbmkit.config import SourceFile, load_config
from dbmkit.ingest import IngestError, source_fingerprint

pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark")]

CUSTOMER_COLUMNS = {"customer_id": "CustNo", "first_name": "First", "last_name": "Last", "email": "Email",
                    "signup_date": "Created"}
ORDER_COLUMNS = {"order_id": "receipt", "customer_id": "member", "order_ts": "placed", "net_amount": "amount"}


def _orders(n_customers: int = 12, n_orders: int = 40, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = rng.integers(0, n_customers, n_orders)
    amount = np.round(rng.gamma(2.0, 20.0, n_orders) + 1, 2)
    amount[:3] = [20.0, 1234.5, 0.5]                  # an integral double, thousands, cents
    return pd.DataFrame({"receipt": [f"R{i:04d}" for i in range(n_orders)],
                         "member": [f"{c * 37:06d}" for c in cust],            # 000000, 000037 …: leading zeros
                         "placed": pd.Timestamp("2024-01-01 09:00") + pd.to_timedelta(rng.integers(0, 500, n_orders) *
                                                                                     1440 + 17, unit="min"),
                         "amount": amount})


def _customers(n: int = 12) -> pd.DataFrame:
    first = ["Anna", "Ben", "Clara", "David", "Eva", "Felix"]
    return pd.DataFrame({"CustNo": [f"{c * 37:06d}" for c in range(n)], "First": [first[c % 6] for c in range(n)],
                         "Last": [f"Smith{c}" for c in range(n)], "Email": [f"p{c}@mail.test.org" for c in range(n)],
                         "Created": [f"2023-0{1 + c % 9}-1{c % 9}" for c in range(n)]})


def _config(d, name: str, customers: dict, orders: dict) -> object:
    cfg = {"client": name, "currency": "EUR", "analysis_date": "2025-06-30",
           "data": {"sources": {"customers": [{**customers, "source_system": "crm", "columns": CUSTOMER_COLUMNS}],
                                "orders": [{**orders, "source_system": "pos", "constants": {"channel": "store"},
                                            "columns": ORDER_COLUMNS}]}},
           "campaign": {"budget": 1000}}
    p = d / f"{name}.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """The same customers (CSV) and orders (Parquet) as file sources and as Spark sources."""
    d = tmp_path_factory.mktemp("spark_sources")
    (d / "data").mkdir()
    _customers().to_csv(d / "data" / "crm.csv", index=False, sep=";")      # dbmkit detects it; Spark is told
    _orders().to_parquet(d / "data" / "orders.parquet", index=False)
    files = _config(d, "spark_src_files", {"path": "data/crm.csv"}, {"path": "data/orders.parquet"})
    data = (d / "data").as_posix()
    spark = _config(d, "spark_src_spark",
                    {"sql": f"SELECT * FROM csv.`{data}/crm.csv` WITH ('header' = 'true', 'sep' = ';')",
                     "url": "spark"},
                    {"sql": f"SELECT * FROM parquet.`{data}/orders.parquet`", "url": "spark:"})
    return {"dir": d, "files": files, "spark": spark}


def _database(config, work) -> dict:
    """The built database's people, records, orders and quarantine, in a stable order."""
    from dbmkit.client_workspace import Workspace
    ws = Workspace(load_config(config, overrides={"workdir": str(work)}))
    ws.ensure_built()
    return {t: ws.sql(f"SELECT * FROM {t} ORDER BY ALL").reset_index(drop=True)
            for t in ("customers", "customer_records", "orders", "quarantine")}


def test_spark_sources_build_the_database_the_files_build(spark_session, client):
    d = client["dir"]
    from_files = _database(client["files"], d / "work_files")
    from_spark = _database(client["spark"], d / "work_spark")
    orders = _orders()
    assert len(from_spark["orders"]) == len(orders) == len(from_files["orders"])
    assert from_spark["orders"]["net_amount"].sum() == pytest.approx(orders["amount"].sum(), abs=1e-9)
    records = from_spark["customer_records"]
    assert "000000" in set(records["record_id"]) and "000037" in set(records["record_id"])   # leading zeros kept
    linked = from_spark["orders"].merge(records[["customer_id", "record_id"]], on="customer_id")
    assert dict(zip(linked["order_id"], linked["record_id"])) == dict(zip(orders["receipt"], orders["member"]))
    assert len(from_spark["customers"]) == len(from_files["customers"]) == 12
    assert len(from_spark["quarantine"]) == 0
    assert set(records.pop("source_file")) == {f"sql: SELECT * FROM csv.`{(d / 'data').as_posix()}/crm.csv` "
                                               "WITH ('header' = 'true', 'sep' = ';')"[:65]}
    assert sorted(records.pop("source_row")) == list(range(1, 13))               # a query's rows from 1
    file_records = from_files["customer_records"]
    assert set(file_records.pop("source_file")) == {"data/crm.csv"}
    file_records.pop("source_row")
    for table in ("customers", "orders"):                  # everything else is the same, row for row
        for frame in (from_spark[table], from_files[table]):
            for c in ("source_file", "source_row"):
                frame.pop(c) if c in frame else None
    for table, frame in from_files.items():
        pd.testing.assert_frame_equal(from_spark[table], frame, obj=table)


def test_a_table_of_the_session_with_order_by_numbers_rows_in_that_order(spark_session, tmp_path):
    import duckdb

    from dbmkit.ingest.errors import LoadResult
    from dbmkit.ingest.sql_sources import stage_sql
    spark_session.createDataFrame(_orders().iloc[:5]).createOrReplaceTempView("dbmkit_test_orders")
    spec = SourceFile(sql="SELECT receipt, member, amount FROM dbmkit_test_orders ORDER BY receipt DESC", url="spark",
                      columns=ORDER_COLUMNS)
    con = duckdb.connect()
    stage_sql(con, spec, tmp_path, "stg", LoadResult(table="orders", source="sql", source_system=None))
    rows = con.execute("SELECT _row, receipt, member, amount FROM stg ORDER BY _row").fetchall()
    assert [r[1] for r in rows] == ["R0004", "R0003", "R0002", "R0001", "R0000"]
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert all(isinstance(v, str) for r in rows for v in r[1:])             # every column as text
    by_receipt = {r[1]: r for r in rows}
    assert by_receipt["R0000"][3] == "20.0" and by_receipt["R0001"][3] == "1234.5"


def test_time_zone_aware_timestamps_and_big_amounts_read_as_from_the_file(spark_session, tmp_path):
    """An instant (a Parquet column with a zone; Spark's TIMESTAMP) becomes the local time of the source's zone, as
    the file itself is read, summer time included; an amount Spark writes as 1.23456785E7 keeps its value."""
    from dbmkit.ingest import load_sources
    pd.DataFrame({"receipt": ["A", "B"], "member": ["001", "002"], "amount": [12345678.5, 2.0],
                  "placed": pd.to_datetime(["2024-03-01 09:00:00.000", "2024-07-01 23:30:00.250"]).tz_localize("UTC")
                  }).to_parquet(tmp_path / "tz.parquet", index=False)
    got = {}
    for kind, spec in {"file": {"path": "tz.parquet"},
                       "spark": {"sql": f"SELECT * FROM parquet.`{tmp_path.as_posix()}/tz.parquet`", "url": "spark"}
                       }.items():
        con, log = load_sources({"orders": {**spec, "columns": ORDER_COLUMNS, "timezone": "Europe/Berlin"}},
                                base_dir=tmp_path)
        got[kind] = con.sql("SELECT order_id, customer_id, order_ts, net_amount FROM src_orders "
                            "ORDER BY order_id").fetchall()
        assert "converted to the local time of Europe/Berlin" in str(log["warnings"].iloc[0]), kind
    assert got["spark"] == got["file"]
    assert [str(r[2]) for r in got["spark"]] == ["2024-03-01 10:00:00", "2024-07-02 01:30:00.250000"]
    assert [r[3] for r in got["spark"]] == [12345678.5, 2.0]


def test_the_fingerprint_follows_the_parquet_file(spark_session, tmp_path):
    path = tmp_path / "orders.parquet"
    _orders().to_parquet(path, index=False)
    spec = SourceFile(sql=f"SELECT * FROM parquet.`{path.as_posix()}`", url="spark", columns=ORDER_COLUMNS)
    before = source_fingerprint(spec, tmp_path)
    assert before.startswith("sql:40:")
    assert source_fingerprint(spec, tmp_path) == before                 # nothing changed: the same
    changed = _orders()
    changed.loc[7, "amount"] += 0.01
    changed.to_parquet(path, index=False)
    assert source_fingerprint(spec, tmp_path) != before                 # one cent: another fingerprint
    _orders().to_parquet(path, index=False)
    assert source_fingerprint(spec, tmp_path) == before                 # the old content again: the old one


@pytest.mark.parametrize("query, said", [
    ("SELECT * FROM parquet.`{d}/no_such_folder/`", "PATH_NOT_FOUND"),
    ("SELECT * FROM lake.no_such_orders", "TABLE_OR_VIEW_NOT_FOUND"),
    ("SELECT no_such_column FROM parquet.`{d}/orders.parquet`", "UNRESOLVED_COLUMN"),
])
def test_a_missing_path_table_or_column_is_one_message_with_the_fix(spark_session, tmp_path, capsys, query, said):
    _orders().to_parquet(tmp_path / "orders.parquet", index=False)
    spec = SourceFile(sql=query.format(d=tmp_path.as_posix()), url="spark", columns=ORDER_COLUMNS)
    with pytest.raises(IngestError) as e:
        source_fingerprint(spec, tmp_path)
    text = str(e.value)
    assert text.startswith("sql source (spark): the Spark query failed: [") and said in text
    assert len(text.split("\n  Fix: ")[0].splitlines()) == 1                  # the first line of Spark's message
    assert "check the table names, paths and column names" in e.value.fix
    err = capsys.readouterr().err
    assert "Traceback" not in text + err and "Py4JJavaError" not in text + err and "at org.apache" not in err
    # the JVM's own warning with the stack trace of a missing path (on the JVM's stderr, out of capsys' reach) is off
    jvm = spark_session.sparkContext._jvm
    sink = jvm.org.apache.logging.log4j.LogManager.getLogger(
        "org.apache.spark.sql.execution.streaming.sinks.FileStreamSink")
    assert str(sink.getLevel()) == "ERROR"


@pytest.mark.parametrize("query, said", [
    ("INSERT INTO dbmkit_test_orders SELECT * FROM dbmkit_test_orders", "the query is a INSERT statement"),
    ("CACHE TABLE dbmkit_test_orders", "the query is a CACHE statement"),
    ("SET spark.sql.ansi.enabled = true", "the query is a SET statement"),
    ("SELECT 1 AS a; DROP TABLE lake.orders", "the query holds 2 statements"),
    ("SELECT reflect('java.lang.System', 'exit', 1)", "the query calls reflect()"),
    ("WITH x AS (SELECT 1 AS a) INSERT OVERWRITE DIRECTORY '{d}/out' USING parquet SELECT * FROM x",
     "the Spark SQL query does not parse"),
    ("FROM range(3) INSERT OVERWRITE DIRECTORY '{d}/out' USING parquet SELECT *", "the Spark SQL query does not parse"),
])
def test_only_one_select_is_run(spark_session, tmp_path, query, said):
    spec = SourceFile(sql=query.format(d=tmp_path.as_posix()), url="spark", columns=ORDER_COLUMNS)
    with pytest.raises(IngestError) as e:
        source_fingerprint(spec, tmp_path)
    assert said in str(e.value) and "a source query only reads" in e.value.fix
    assert "Traceback" not in str(e.value)
    assert not (tmp_path / "out").exists()                              # nothing was written


def test_without_spark_the_message_names_what_to_install(monkeypatch, tmp_path):
    from dbmkit.sql import spark
    monkeypatch.setattr(spark, "missing", lambda: ("java", ""))
    spec = SourceFile(sql="SELECT * FROM lake.orders", url="spark", columns=ORDER_COLUMNS)
    with pytest.raises(IngestError) as e:
        source_fingerprint(spec, tmp_path)
    text = str(e.value)
    assert text.startswith("sql source (spark): a Spark source needs Spark, which cannot start here: no Java runtime")
    assert "pip install 'dbmkit[spark]'" in e.value.fix and "openjdk-17-jre-headless" in e.value.fix
    assert "`path:` sources" in e.value.fix
    monkeypatch.setattr(spark, "missing", lambda: ("module", "pyspark"))
    with pytest.raises(IngestError, match="pyspark is not installed"):
        source_fingerprint(spec, tmp_path)


def test_a_master_may_name_environment_variables_and_hides_a_token(monkeypatch, tmp_path):
    from dbmkit.ingest.sql_sources import shown_url
    monkeypatch.delenv("SPARK_HOST", raising=False)
    spec = SourceFile(sql="SELECT * FROM lake.orders", url="sc://${SPARK_HOST}:15002", columns=ORDER_COLUMNS)
    with pytest.raises(IngestError, match="SPARK_HOST, which is not set"):
        source_fingerprint(spec, tmp_path)
    assert shown_url("sc://h:15002/;token=abc123") == "sc://h:15002/;token=***"


def test_the_master_comes_from_the_url_or_the_client_engine():
    def spec(engine, url="spark"):
        cfg = load_config({"client": "m", "engine": engine, "data": {"sources": {"orders": [
            {"sql": "SELECT * FROM lake.orders", "url": url, "columns": ORDER_COLUMNS}]}}})
        return cfg.data.sources["orders"][0]
    assert spec("duckdb").spark_master == "local[2]"
    assert spec({"kind": "spark", "master": "local[1]", "conf": {"spark.executor.memory": "2g"}}).spark_master == \
        "local[1]"
    assert spec({"kind": "spark", "conf": {"spark.executor.memory": "2g"}}).spark_conf == \
        {"spark.executor.memory": "2g"}
    assert spec({"kind": "spark", "master": "local[1]"}, "sc://spark.acme.internal:15002").spark_master == \
        "sc://spark.acme.internal:15002"
    assert spec("duckdb", "spark://spark.acme.internal:7077").spark_master == "spark://spark.acme.internal:7077"
    copied = spec({"kind": "spark", "master": "local[1]"}).model_copy(update={"sql": "SELECT 1"})
    assert copied.spark_master == "local[1]"              # the fingerprint's wrapped copy runs on the same session


def test_the_messages_read_in_chinese():
    from dbmkit import messages
    for en, fix, zh in [
        ("a Spark source needs Spark, which cannot start here: no Java runtime found (no java on PATH, no JAVA_HOME)",
         "install pip install 'dbmkit[spark]' (pyspark>=4.0 and sqlglot) and a Java 17 runtime (Debian/Ubuntu: "
         "apt-get install openjdk-17-jre-headless); or export the data as Parquet or CSV files and give them as "
         "`path:` sources", "Spark 数据源需要 Spark，但此机器无法启动 Spark：找不到 Java 运行环境"),
        ("the Spark query failed: [PATH_NOT_FOUND] Path does not exist: file:/data/x.", None, "Spark 查询失败："),
        ("the Spark SQL query does not parse: [PARSE_SYNTAX_ERROR] Syntax error at or near 'INSERT'.", None,
         "Spark SQL 查询无法解析："),
        ("the query calls reflect(), but a source query may only read (one SELECT)", None, "查询调用了 reflect()"),
    ]:
        label = "sql source (spark)"
        text = messages.ingest_error_text(f"{label}: {en}" + (f"\n  Fix: {fix}" if fix else ""), label, None, None,
                                          fix, "zh")
        assert zh in text, text
        if fix:
            assert "pip install 'dbmkit[spark]'" in text and "请安装" in text and "`path:`" in text, text
