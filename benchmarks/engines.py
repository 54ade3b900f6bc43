"""DuckDB and Spark side by side on the same rendered SQL: ``python benchmarks/engines.py COMMAND …``.

    prepare TX DB               a DuckDB database from compare.py's synthetic transactions (Parquet): tx (the
                                transactions with a cost), orders (one per transaction, a status), customers (a few
                                test accounts), products (12 categories × 40 products) and order_items (1.8 lines
                                per order, a favourite category per customer)
    run ENGINE DB DIR [Q,…] [R]  the queries Q (keys of QUERIES, comma-separated; default all) on ENGINE (duckdb |
                                spark: Spark local[2] through dbmkit.sql.spark.SparkEngine) over DB, one after
                                another in this process, each R times; each result to DIR/<query>.<engine>.parquet
                                with its dtypes beside it (….dtypes.json)
    check DUCK SPARK            the two results are the same table (dbmkit.sql.same_result: same rows after
                                ordering by every column, ids equal, same NULLs and dtypes, numbers to 1e-9 relative)

Inner figures (JSON into ``BENCH_RESULT``, as in compare.py), per query: DuckDB ``query_s`` (each run: execute +
fetch into pandas); Spark ``handover_s`` (the tables the query reads, exported from DuckDB as Parquet and registered
as Spark views — each query pays its own here; the workbook exports base tables once per build) and ``query_s``
(each run of ``SparkEngine.run``: translation, Spark's planning and execution, the result back as Arrow, cast to
DuckDB's dtypes, into pandas); for both the peak resident memory of the process tree during the query (the JVM
included; ``measure.PeakMemory``) and the load before and after. Once per Spark process: ``jvm_start_s`` (the
session: JVM launch and Spark's start) and ``first_job_s`` (a 1,000-row table handed over and grouped: the first
job's class loading and code generation, which the first query would otherwise carry). The parent (``run.py``)
measures each process as a whole: wall time, CPU, peak memory of the process tree (``measure.run_measured``) and the
machine's mean load.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from dbmkit import sql as dsql

AS_OF = dt.date(2026, 6, 30)            # compare.AS_OF: the synthetic transactions end here
R = dsql.Raw
RESULT: dict = {}
ENGINES = ("duckdb", "spark")
# the Spark session of the benchmark: local[2] (the machine's cores) with a 2 GB driver heap (the default 1 GB
# spills the 10M order lines' joins to disk)
SPARK_MASTER = "local[2]"
SPARK_CONF = {"spark.driver.memory": "2g"}

# query → (parameters, identifiers), as the workbook passes them (rfm.py, clv/holdout.py, basket.py)
QUERIES: dict[str, tuple[dict, dict]] = {
    "customer_summary": ({"as_of": AS_OF, "unit": 1},
                         dict(tx=R("tx"), customer="customer_id", ts="ts", amount="amount",
                              day_cost=R('sum(CAST("cost" AS DOUBLE))'), margin=R("sum(amount - cost)"))),
    "calibration_holdout": ({"cal_end": dt.date(2025, 12, 31), "holdout_end": AS_OF, "unit": 1},
                            dict(tx=R("tx"), customer="customer_id", ts="ts", amount="amount", cost="cost")),
    "rfm_inputs_as_of": ({"dates": [dt.date(2025, 9, 30), dt.date(2025, 12, 31), dt.date(2026, 3, 31), AS_OF]},
                         dict(dates=R("(SELECT unnest($dates) AS as_of)"))),
    "association_pairs": ({"start": dt.date(2025, 7, 1), "as_of": AS_OF, "min_count": 20},
                          dict(baskets=R("SELECT DISTINCT CAST(o.order_id AS VARCHAR) AS basket, "
                                         "CAST(p.subcategory AS VARCHAR) AS item FROM order_items i JOIN orders o "
                                         "USING (order_id) LEFT JOIN products p USING (product_id) WHERE o.status = "
                                         "'completed' AND CAST(o.order_ts AS DATE) BETWEEN $start AND $as_of AND "
                                         "p.subcategory IS NOT NULL"))),
    "sequence_pairs": ({"as_of": AS_OF, "windows": [30, 90], "min_count": 20, "max_anchors": 3},
                       dict(item=R("p.category"))),
}

N_CATEGORIES, PER_CATEGORY, PER_SUBCATEGORY = 12, 40, 8


def _save_result() -> None:
    out = os.environ.get("BENCH_RESULT")
    if out:
        Path(out).write_text(json.dumps(RESULT, default=str))
    print(json.dumps(RESULT, default=str))


def order_tables(tx: pd.DataFrame, seed: int = 7) -> dict[str, pd.DataFrame]:
    """The workbook's order tables made from synthetic transactions (customer_id, ts, amount), seeded.

    >>> tx = pd.DataFrame({"customer_id": ["C1", "C2", "C1"], "ts": pd.to_datetime(["2026-01-02"] * 3),
    ...                    "amount": [10.0, 20.0, 30.0]})
    >>> t = order_tables(tx)
    >>> sorted(t), len(t["orders"]), len(t["customers"])
    (['customers', 'order_items', 'orders', 'products', 'tx'], 3, 2)
    """
    rng = np.random.default_rng(seed)
    n = len(tx)
    amount = tx["amount"].to_numpy(float)
    t = pd.DataFrame({"customer_id": tx["customer_id"], "ts": tx["ts"], "amount": amount,
                      "cost": np.round(amount * rng.uniform(0.35, 0.65, n), 2)})
    status = np.array(["completed", "returned", "cancelled"])[rng.choice(3, n, p=[0.94, 0.03, 0.03])]
    orders = pd.DataFrame({"order_id": np.arange(1, n + 1, dtype=np.int64), "customer_id": tx["customer_id"],
                           "order_ts": tx["ts"], "status": pd.array(status, dtype="str"), "net_amount": amount})
    codes, ids = pd.factorize(tx["customer_id"], sort=True)
    customers = pd.DataFrame({"customer_id": pd.array(np.asarray(ids), dtype="str"),
                              "is_test": rng.random(len(ids)) < 0.001})
    n_products = N_CATEGORIES * PER_CATEGORY
    pid = np.arange(n_products)
    cat = pid // PER_CATEGORY
    sub = (pid % PER_CATEGORY) // PER_SUBCATEGORY + 1
    products = pd.DataFrame({"product_id": pd.array([f"P{i:04d}" for i in pid], dtype="str"),
                             "category": pd.array([f"Category {c + 1:02d}" for c in cat], dtype="str"),
                             "subcategory": pd.array([f"Category {c + 1:02d}/{k}" for c, k in zip(cat, sub)],
                                                     dtype="str")})
    lines = 1 + rng.poisson(0.8, n)
    line_order = np.repeat(np.arange(n), lines)
    favourite = rng.integers(0, N_CATEGORIES, len(ids))[codes[line_order]]
    m = len(line_order)
    line_cat = np.where(rng.random(m) < 0.6, favourite, rng.integers(0, N_CATEGORIES, m))
    w = 1.0 / np.arange(1, PER_CATEGORY + 1)
    line_pid = line_cat * PER_CATEGORY + rng.choice(PER_CATEGORY, m, p=w / w.sum())
    items = pd.DataFrame({"order_id": orders["order_id"].to_numpy()[line_order],
                          "product_id": products["product_id"].to_numpy()[line_pid]})
    return {"tx": t, "orders": orders, "customers": customers, "products": products, "order_items": items}


def cmd_prepare(tx_path: str, db: str) -> None:
    import duckdb
    t0 = time.perf_counter()
    tables = order_tables(pd.read_parquet(tx_path))
    RESULT["make_s"] = round(time.perf_counter() - t0, 2)
    tmp = Path(db + ".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, df in tables.items():
            con.register("_df", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _df')
            con.unregister("_df")
            RESULT[f"rows_{name}"] = len(df)
    finally:
        con.close()
    os.replace(tmp, db)
    RESULT["prepare_s"] = round(time.perf_counter() - t0, 2)
    RESULT["db_mb"] = round(Path(db).stat().st_size / 2**20, 1)


def write_result(df: pd.DataFrame, out: Path) -> None:
    """A result as Parquet, with its pandas dtypes beside it (Parquet does not keep every one of them)."""
    df.to_parquet(out, index=False)
    Path(str(out) + ".dtypes.json").write_text(json.dumps({c: str(t) for c, t in df.dtypes.items()}))


def cmd_run(engine: str, db: str, out_dir: str, queries: str = ",".join(QUERIES), repeats: str = "1") -> None:
    """Every query of ``queries`` (comma-separated) on ``engine`` in this process, one after another."""
    import duckdb
    import psutil
    from measure import PeakMemory, tree_cpu
    if engine not in ENGINES:
        raise SystemExit(f"unknown engine {engine!r}; choose from {ENGINES}")
    names = [q for q in queries.split(",") if q]
    unknown = sorted(set(names) - set(QUERIES))
    if unknown:
        raise SystemExit(f"unknown queries {unknown}; choose from {sorted(QUERIES)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(db, read_only=True)
    eng = None
    export = out / f"spark_export_{os.getpid()}"
    RESULT["queries"] = {}
    try:
        if engine == "spark":
            from dbmkit.sql.spark import SparkEngine
            shutil.rmtree(export, ignore_errors=True)
            eng = SparkEngine(SPARK_MASTER, export_dir=export, conf=SPARK_CONF)
            RESULT["spark"] = {"master": SPARK_MASTER, **SPARK_CONF}
            with PeakMemory() as m:
                t = time.perf_counter()
                eng.spark                                               # noqa: B018 - starts the JVM and session
                RESULT["jvm_start_s"] = round(time.perf_counter() - t, 3)
            RESULT["jvm_start_peak_mb"] = m.peak_mb
            # Spark's first job in a JVM pays its own start (classes, code generation, the first Parquet read): a tiny
            # table through the same hand-over and a grouped query, so the queries below are not charged with it
            t = time.perf_counter()
            warm = duckdb.connect()
            warm.execute("CREATE TABLE bench_warmup AS SELECT range AS x, range * 0.5 AS y FROM range(1000)")
            eng.expose(warm, ["bench_warmup"], "warmup")
            eng.spark.sql("SELECT x % 7 AS k, sum(y) AS s FROM bench_warmup GROUP BY 1").toArrow()
            warm.close()
            RESULT["first_job_s"] = round(time.perf_counter() - t, 3)
        for name in names:
            params, idents = QUERIES[name]
            sql = dsql.render(name, **idents)
            r: dict = {"load_1m_before": round(os.getloadavg()[0], 2)}
            cpu0 = tree_cpu(psutil.Process())
            times = []
            with PeakMemory() as m:
                if eng is None:
                    for _ in range(int(repeats)):
                        t = time.perf_counter()
                        df = con.execute(sql, params).df()
                        times.append(time.perf_counter() - t)
                else:
                    from dbmkit.sql.dialect import tables_of
                    stamp = f"bench-{os.getpid()}-{name}"              # each query hands over its own tables
                    tables = sorted(tables_of(sql))
                    t = time.perf_counter()
                    eng.expose(con, tables, stamp)
                    r["handover_s"] = round(time.perf_counter() - t, 3)
                    r["handover_tables"] = tables
                    files = [f for t_ in tables for f in [export / f"{t_}.parquet", *(export / f"{t_}.parquet")
                                                          .glob("**/*")] if f.is_file()]
                    r["handover_mb"] = round(sum(f.stat().st_size for f in files) / 2**20, 3)
                    for _ in range(int(repeats)):
                        t = time.perf_counter()
                        df = eng.run(con, name, sql, params, stamps=stamp)
                        times.append(time.perf_counter() - t)
            r.update({"query_s": [round(v, 3) for v in times], "query_first_s": round(times[0], 3),
                      "query_best_s": round(min(times), 3), "peak_mb": m.peak_mb, "start_mb": m.start_mb,
                      "cpu_s": round(tree_cpu(psutil.Process()) - cpu0, 2), "rows": len(df),
                      "load_1m_after": round(os.getloadavg()[0], 2)})
            write_result(df, out / f"{name}.{engine}.parquet")
            RESULT["queries"][name] = r
            RESULT["tree_cpu_s"] = round(tree_cpu(psutil.Process()), 2)      # the JVM's included
            _save_result()                  # so far: a run stopped at its timeout keeps the queries it finished
    finally:
        con.close()
        if eng is not None:
            from dbmkit.sql.spark import stop_sessions
            stop_sessions()
            shutil.rmtree(export, ignore_errors=True)


def read_result(path: str) -> tuple[pd.DataFrame, dict]:
    """A result written by :func:`write_result` and its dtypes as they were."""
    return pd.read_parquet(path), json.loads(Path(path + ".dtypes.json").read_text())


def cmd_check(duck: str, spark: str) -> None:
    from dbmkit.sql.same_result import differences, ordered
    a, ta = read_result(duck)
    b, tb = read_result(spark)
    problems = differences(ordered(a), ordered(b), Path(spark).stem)
    if ta != tb:
        problems.append(f"dtypes as returned: {ta} vs {tb}")
    RESULT.update({"rows": len(a), "rows_spark": len(b), "same": not problems, "differences": problems[:10]})


COMMANDS = {"prepare": cmd_prepare, "run": cmd_run, "check": cmd_check}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    COMMANDS[argv[0]](*argv[1:])
    _save_result()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
