"""End to end on Spark (issue 19): ``dbmkit report tests/small_client.yaml --engine spark`` gives the key numbers and
the send file of the same report on DuckDB.

The chapters: 23 (CLV, with the calibration/holdout split), 25 (basket and sequence rules), 31 (the plan and the
send file), 40 (the campaign's results, with the past campaigns attributed) and 41 (uplift from the past campaigns'
contact features, the lessons). 31 builds what it reads and no chapter of the run made — RFM, CLV's table,
segments, the response model's scores, the plan — in its own kernel, so the run goes from the database to the send
file through every analysis. The whole report of the small client (17 chapters, 65 queries of 33 kinds on Spark)
gave byte-identical kpis.json and send file on both engines by hand (2026-12-02, quiet machine: 84 s on DuckDB,
333 s on Spark local[2], a JVM per chapter): too long for the suite; every query is held to DuckDB's result one by
one by the dialect contract (tests/test_spark_contract.py).

* ``kpis.json``: the same names and structure; counts, texts, flags and missing values exactly, numbers to 1e-9
  relative — sums of money add up in another order on Spark (869.1500000000001 vs 869.1500000000002 in the customer
  summary); the key numbers are rounded when recorded, so far they have come out byte for byte the same.
* The send file ``campaign_list.csv``: byte for byte — who is selected, the cells, the control group and the order
  of the rows come from ranks, seeds and explicit tie-breaks, not from the last bit of a sum or the order rows come
  back in.
* Spark really ran: every process logs its Spark queries in ``<workdir>/spark/queries.log`` (the runner the customer
  summary, each chapter's kernel its own); the test checks that each step's queries ran there and that the Parquet
  export holds the base tables. A run with Spark silently unused fails.

Time: 173 s on a quiet machine (2026-12-02, after the shared-CTE split); chapters 23 and 31 alone took 80 s, and
251 s in CI before the split. Marked ``notebooks`` and ``slow``: ``make test-fast`` skips it.

Skipped with the reason when pyspark, sqlglot or Java is missing."""
from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SMALL_CONFIG

from dbmkit.report.schedule import CHAPTER_IO
from dbmkit.sql.spark import QUERY_LOG, unavailable

ROOT = Path(__file__).resolve().parents[1]
PHASES = ["23", "25", "31", "40", "41"]

# the queries each step sends to Spark (at least these)
EXPECTED_ON_SPARK = {
    "customer_summary_db",                                   # the runner, before the chapters
    "calibration_holdout", "yearly_retention",               # 23 CLV
    "purchases_between", "contact_responses",                # 31: the response model's scores it builds
    "campaign_product_rules",                                # 31: the product recommendations
    "campaign_channel_history", "campaign_contact_pressure",     # 31: the plan and the send file
    "association_pairs", "sequence_pairs",                   # 25 baskets and sequences
    "attribute_responses", "contact_outcomes", "contact_categories", "message_kpis",   # 40 the results
    "contact_features", "retention_by_period",               # 41 uplift and the lessons
}


@pytest.fixture(scope="module")
def work_copy(small_ws, tmp_path_factory):
    """A fresh copy of the small client's work folder for each run: the built database without analysis tables (other
    tests of the session may have saved some into ``small_ws``)."""
    from dbmkit.client_workspace import DERIVED
    analysis = set(DERIVED) | {t for r, w in CHAPTER_IO.values() for t in r | w if not t.startswith("file:")}

    def make(name: str) -> Path:
        work = tmp_path_factory.mktemp(name) / "work"
        shutil.copytree(small_ws.workdir, work, ignore=shutil.ignore_patterns("spark", "*.tmp"))
        from dbmkit.client_workspace import Workspace
        from dbmkit.config import load_config
        ws = Workspace(load_config(SMALL_CONFIG, overrides={"workdir": str(work)}))
        with ws.connect(read_only=False) as con:
            tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
            for t in sorted(analysis & tables):
                con.execute(f'DROP TABLE "{t}"')
        assert not ws.stale_reasons()
        return work
    return make


def report(work: Path, out: Path, *engine: str) -> subprocess.CompletedProcess:
    """``dbmkit report`` of the small client's chapters ``PHASES``, one after another, in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBMKIT_")}
    r = subprocess.run([sys.executable, "-m", "dbmkit.cli", "report", str(SMALL_CONFIG), *engine, "--out", str(out),
                        "--workdir", str(work), "--jobs", "1", "--phases", *PHASES],
                       env=env, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    return r


def differences(a, b, path: str = "") -> list[str]:
    """Where two key-number structures differ: numbers (not flags) to 1e-9 relative, everything else exactly."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in the DuckDB run" for k in a.keys() - b.keys()]
        out += [f"{path}.{k}: only in the Spark run" for k in b.keys() - a.keys()]
        for k in sorted(a.keys() & b.keys()):
            out += differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        same = (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return [] if same else [f"{path}: {a!r} vs {b!r}"]
    if type(a) is not type(b) or a != b:                        # counts, texts, flags, None: exactly, same type
        return [f"{path}: {a!r} ({type(a).__name__}) vs {b!r} ({type(b).__name__})"]
    return []


def test_differences_are_found():
    assert differences({"n": 3, "x": 0.1 + 0.2, "s": "a"}, {"n": 3, "x": 0.3, "s": "a"}) == []
    assert differences({"n": 3}, {"n": 3.0}) and differences({"x": 1.0}, {"x": 1.0 + 1e-6})
    assert differences({"a": [1, 2]}, {"a": [1]}) and differences({"a": None}, {"a": 0})
    assert differences({"a": 1}, {"b": 1}) == [".a: only in the DuckDB run", ".b: only in the Spark run"]


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_the_spark_report_gives_the_duckdb_report(work_copy, tmp_path):
    why = unavailable()
    if why:
        pytest.skip(why)
    duck_out, spark_out, spark_work = tmp_path / "duckdb", tmp_path / "spark", work_copy("spark_run")
    report(work_copy("duckdb_run"), duck_out)
    r = report(spark_work, spark_out, "--engine", "spark")
    assert "engine: Spark (local[2]) runs the transaction-level queries" in r.stdout

    # Spark ran: the runner and each chapter's kernel logged their queries, the base tables were exported
    log = [line.split("\t") for line in (spark_work / "spark" / QUERY_LOG).read_text(encoding="utf-8").splitlines()]
    ran = {q[3] for q in log}
    assert EXPECTED_ON_SPARK <= ran, f"not run on Spark: {sorted(EXPECTED_ON_SPARK - ran)}"
    assert len({q[1] for q in log}) == 1 + len(PHASES), "not every chapter's kernel (and the runner) used Spark"
    assert {"orders.parquet", "customers.parquet", "contacts.parquet", "campaigns.parquet"} <= {
        p.name for p in (spark_work / "spark").iterdir()}

    def chapters(out):
        return [(c["file"], c["status"]) for c in json.loads((out / "status.json").read_text("utf-8"))["chapters"]]
    assert chapters(duck_out) == chapters(spark_out) == [
        ("23_analyze_clv", "ok"), ("25_analyze_baskets", "ok"), ("31_plan_budget_test", "ok"),
        ("40_evaluate_results", "ok"), ("41_evaluate_learn", "ok")]
    a = json.loads((duck_out / "kpis.json").read_text(encoding="utf-8"))
    b = json.loads((spark_out / "kpis.json").read_text(encoding="utf-8"))
    assert {"clv_total", "clv_holdout_error", "planned_contacts", "expected_roi"} <= set(a)
    assert differences(a, b) == []
    send = (duck_out / "campaign_list.csv").read_bytes()
    assert len(send.splitlines()) > 100
    assert (spark_out / "campaign_list.csv").read_bytes() == send
