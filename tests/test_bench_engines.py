"""The DuckDB-vs-Spark benchmark (benchmarks/engines.py, run.py's engines section) on a tiny size, so that its code
path cannot rot: the order tables it makes from the synthetic transactions, both engines in their own processes, the
per-query figures, and the check that both gave the same table. Skipped with the reason without pyspark/sqlglot/Java.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from dbmkit.sql.spark import unavailable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import compare  # noqa: E402  (benchmarks/compare.py)
import engines  # noqa: E402  (benchmarks/engines.py)
import run as bench_run  # noqa: E402  (benchmarks/run.py)


def test_order_tables_follow_the_transactions():
    tx = compare.make_transactions(2_000)
    t = engines.order_tables(tx)
    assert len(t["tx"]) == len(t["orders"]) == len(tx)
    assert t["orders"]["order_id"].is_unique
    assert set(t["customers"]["customer_id"]) == set(tx["customer_id"])
    assert set(t["orders"]["status"]) <= {"completed", "returned", "cancelled"}
    assert (t["tx"]["cost"] <= t["tx"]["amount"]).all() and (t["tx"]["cost"] >= 0).all()
    items = t["order_items"]
    assert set(items["order_id"]) == set(t["orders"]["order_id"])           # every order has a line
    assert set(items["product_id"]) <= set(t["products"]["product_id"])
    assert 1.5 < len(items) / len(tx) < 2.1                                  # 1.8 lines per order
    again = engines.order_tables(tx)                                         # seeded
    pd.testing.assert_frame_equal(again["order_items"], items)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_engines_benchmark_on_a_tiny_size(tmp_path, monkeypatch):
    if unavailable():
        pytest.skip(unavailable())
    monkeypatch.setattr(bench_run, "DATA", tmp_path)
    queries = ["customer_summary", "rfm_inputs_as_of"]
    res = bench_run.run_engines(["3k"], queries, timeout=900)
    size = res["sizes"]["3k"]
    assert size["prepare"]["returncode"] == 0
    for engine in ("duckdb", "spark"):
        m = size["engines"][engine]
        assert m["returncode"] == 0, Path(m["log"]).read_text()[-3000:]
        assert m["peak_rss_mb"] > 0 and m["load_mean"] is not None
        assert set(m["inner"]["queries"]) == set(queries)
        for q in queries:
            r = m["inner"]["queries"][q]
            assert r["rows"] > 0 and r["query_best_s"] > 0 and r["peak_mb"] >= r["start_mb"] > 0
    spark = size["engines"]["spark"]["inner"]
    assert spark["jvm_start_s"] > 0
    assert all(spark["queries"][q]["handover_s"] > 0 and spark["queries"][q]["handover_mb"] > 0 for q in queries)
    assert spark["queries"]["rfm_inputs_as_of"]["handover_tables"] == ["customers", "orders"]
    assert {q: size["check"][q]["same"] for q in queries} == {q: True for q in queries}, size["check"]


def test_engines_check_finds_a_difference(tmp_path, monkeypatch):
    a = pd.DataFrame({"customer_id": ["C1", "C2"], "x": [1.0, 2.0]})
    monkeypatch.setattr(engines, "RESULT", {})
    for name, df in (("duck", a), ("same", a.iloc[::-1]), ("off", a.assign(x=[1.0, 2.0 * (1 + 1e-6)]))):
        engines.write_result(df, tmp_path / f"q.{name}.parquet")
    engines.cmd_check(str(tmp_path / "q.duck.parquet"), str(tmp_path / "q.same.parquet"))
    assert engines.RESULT["same"] is True                      # row order does not matter
    engines.cmd_check(str(tmp_path / "q.duck.parquet"), str(tmp_path / "q.off.parquet"))
    assert engines.RESULT["same"] is False and "x: 1 values differ" in engines.RESULT["differences"][0]
