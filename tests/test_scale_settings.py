"""Issue 18 (scale): DuckDB's memory cap on the workspace connections, and the customer summary's main channel,
which must not depend on how DuckDB's threads happen to merge (it did with mode())."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit import sql as _sql
from dbmkit.database import store


def test_memory_limit_from_argument_environment_and_default(monkeypatch, tmp_path):
    con = store.limit_memory(duckdb.connect(), tmp_path / "spill", limit="256MB")
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "244.1 MiB"
    assert (tmp_path / "spill").is_dir()
    assert con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0] == str(tmp_path / "spill")
    monkeypatch.setenv(store.MEMORY_ENV, "512MB")
    con = store.connect(tmp_path / "x.duckdb", read_only=False)
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "488.2 MiB"
    con.close()
    monkeypatch.delenv(store.MEMORY_ENV)
    con = store.connect(tmp_path / "x.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] == "1.3 GiB"   # 1.5GB
    con.close()
    con = store.connect(tmp_path / "x.duckdb", read_only=False)       # writes: DuckDB's own limit unless asked
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] != "1.3 GiB"
    con.close()
    monkeypatch.setenv(store.MEMORY_ENV, "default")                  # DuckDB's own choice: 80 % of the memory
    con = store.connect(tmp_path / "x.duckdb")
    assert con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0] != "1.3 GiB"
    con.close()


@pytest.mark.parametrize("bad", ["lots", "2 gallons", "-1GB", "1GB; DROP TABLE x"])
def test_memory_limit_refuses_what_is_not_an_amount(monkeypatch, bad):
    monkeypatch.setenv(store.MEMORY_ENV, bad)
    with pytest.raises(ValueError, match="DBMKIT_DUCKDB_MEMORY must be an amount such as 2GB"):
        store.limit_memory(duckdb.connect())


def test_a_query_that_spills_gives_the_same_result(tmp_path):
    """An aggregation under a small cap (one thread, 40 MB) gives exactly the same groups, counts and sums."""
    q = ("SELECT k % 100000 AS g, count(*) AS n, sum(k) AS s FROM range(3000000) t(k) GROUP BY 1 ORDER BY 1")
    free = duckdb.connect().execute(q).df()
    capped = store.limit_memory(duckdb.connect(), tmp_path / "spill", limit="40MB")
    capped.execute("SET threads = 1")
    assert capped.execute(q).df().equals(free)


def _main_channel(orders: pd.DataFrame) -> pd.DataFrame:
    """main_channel of the customer summary query on these orders (amounts and the customers table made up)."""
    orders = orders.assign(net_amount=10.0, gross_amount=10.0, discount=0.0, cost=4.0)
    customers = pd.DataFrame({"customer_id": sorted(orders["customer_id"].unique())})
    customers = customers.assign(signup_date=pd.Timestamp("2023-01-01"), acquisition_channel="web", is_test=False)
    con = duckdb.connect()
    con.register("orders", orders)
    con.register("customers", customers)
    out = _sql.run(con, "customer_summary_db", {"as_of": pd.Timestamp("2024-12-31").date()})
    return out.loc[out["main_channel"].notna(), ["customer_id", "main_channel"]]


def test_main_channel_hand_computed():
    orders = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "b", "c", "c", "d", "e", "e"],
        "channel": ["web", "store", "web", "store", "web", "app", "store", None, None, "web", "app"],
        "status": ["completed", "completed", "completed", "cancelled", "completed", "completed", "completed",
                   "completed", "completed", "completed", "completed"],
        "order_ts": pd.to_datetime(["2024-01-01"] * 8 + ["2024-02-01", "2024-03-01", "2024-03-01"]),
    })
    orders.loc[4, "order_ts"] = pd.Timestamp("2023-12-01")       # b: web was used first
    got = dict(_main_channel(orders).sort_values("customer_id").values.tolist())
    # a: web twice, store once (its cancelled order does not count); b: a tie, web was used first;
    # c: the order without a channel does not count; d: no channel at all, none; e: a tie on the same day: by name
    assert got == {"a": "web", "b": "web", "c": "store", "e": "app"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["web", "app", "store", "catalog", None]),
                          st.sampled_from(["completed", "completed", "cancelled", "returned"]),
                          st.integers(0, 400)), min_size=1, max_size=80))
def test_main_channel_is_the_most_frequent_ties_to_the_first_used(rows):
    orders = pd.DataFrame(rows, columns=["customer_id", "channel", "status", "day"])
    orders["customer_id"] = "c" + orders["customer_id"].astype(str)
    orders["order_ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(orders.pop("day"), unit="D")
    got = _main_channel(orders).set_index("customer_id")["main_channel"].to_dict()
    ok = orders[(orders["status"] == "completed") & orders["channel"].notna()
                & (orders["order_ts"] <= pd.Timestamp("2024-12-31"))]
    want = {}
    for cid, g in ok.groupby("customer_id"):
        n = g["channel"].value_counts()
        first = g.groupby("channel")["order_ts"].min()
        want[cid] = min(n[n == n.max()].index, key=lambda c: (first[c], c))
    assert got == want
