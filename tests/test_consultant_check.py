"""dbmkit check: a readable summary (sources, tables, period, customers), every problem with file, column, row and
the fix, the chapters the report would skip, and exit codes 0 (a report can run) / 1 (it cannot) / 2 (config or
file error)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dbmkit.cli import fix_for

ROOT = Path(__file__).resolve().parents[1]


def _check(cfg: Path, work: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, DBMKIT_WORKDIR=str(work))
    env.pop("DBMKIT_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "dbmkit.cli", "check", str(cfg)], capture_output=True, text=True,
                          cwd=ROOT, env=env)


@pytest.fixture()
def dirty_orders(tmp_path) -> Path:
    n = 200
    df = pd.DataFrame({"Order": [f"A{i}" for i in range(n)], "Customer": [f"K{i % 40}" for i in range(n)],
                       "Date": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%d/%m/%Y"),
                       "Total": [f"{10 + i % 50},{i % 100:02d}" for i in range(n)]})
    df.loc[5, "Date"] = "31/02/2024"            # no such day
    df.loc[7, "Total"] = "12abc"                # not a number
    df.loc[9, "Customer"] = None                # anonymous sale
    df.loc[11, "Order"] = "A10"                 # the same order id twice, different content
    p = tmp_path / "orders.csv"
    df.to_csv(p, index=False, sep=";")
    return p


def _config(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "client.yaml"
    p.write_text("client: checked\ncurrency: EUR\ndata:\n  sources:\n" + body, encoding="utf-8")
    return p


def test_check_reports_problems_with_row_and_fix(tmp_path, dirty_orders):
    cfg = _config(tmp_path, "    orders:\n      - path: orders.csv\n        decimal: ','\n"
                            "        columns: {order_id: Order, customer_id: Customer, order_ts: Date, "
                            "net_amount: Total}\n")
    r = _check(cfg, tmp_path / "work")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "read       200  loaded       197  quarantined       3" in out
    assert "delimiter ';'" in out
    assert "Period: orders from 2024-01-01 to 2024-07-18" in out
    assert "Customers: 40 people, 40 of them with orders" in out
    assert "Anonymous sales (no customer id): 1 orders" in out
    # each problem names the file, the column, the first row and the fix (line 1 is the header: row 7 = index 5)
    assert "orders.csv [order_ts], first at row 7: order_ts: cannot read '31/02/2024' as a date" in out
    assert "fix: set `date_format`" in out
    assert "orders.csv [net_amount], first at row 9: net_amount: '12abc' is not a number" in out
    assert "fix: check `decimal`" in out
    assert "orders.csv [order_id], first at row 13:" in out and "fix: the export repeats rows" in out
    # a sales-only client: the chapters that need more are listed with how to provide it
    assert "25_analyze_baskets: needs order lines with products" in out
    assert "to provide it: map a line-level sales file as `sales_lines`" in out
    assert out.rstrip().endswith("A report can run.")


def test_check_exit_code_1_when_no_report_can_run(tmp_path, dirty_orders):
    # the mapping points order_ts at the amounts: no row has a readable date → nothing loads
    cfg = _config(tmp_path, "    orders:\n      - path: orders.csv\n        decimal: ','\n"
                            "        date_format: '%Y.%m.%d'\n"
                            "        columns: {order_id: Order, customer_id: Customer, order_ts: Total, "
                            "net_amount: Total}\n")
    r = _check(cfg, tmp_path / "work")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "A report cannot run: no orders were loaded" in r.stdout
    assert "as a date" in r.stdout and "fix: set `date_format`" in r.stdout


def test_check_exit_code_2_for_config_and_file_errors(tmp_path, dirty_orders):
    cfg = _config(tmp_path, "    orders:\n      - path: orders.csv\n"
                            "        columns: {order_id: Order, customer_id: Kunde, order_ts: Date, "
                            "net_amount: Total}\n")
    r = _check(cfg, tmp_path / "work")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "the mapping says customer_id ← 'Kunde', but the file has no column 'Kunde'" in r.stderr
    assert "Fix:" in r.stderr and "Customer" in r.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("client: x\ndata:\n  sources:\n    orders: [{path: orders.csv, columns: {amount: Total}}]\n")
    r = _check(bad, tmp_path / "work2")
    assert r.returncode == 2 and "'amount' is not a column of orders (did you mean 'net_amount'?)" in r.stderr


def test_fix_for_known_reasons():
    assert fix_for("order_ts: date in the future (2099-12-24)").startswith("day and month swapped?")
    assert fix_for("quantity: zero quantity").startswith("lines with quantity 0")
    assert fix_for("something new").startswith("look at these rows")
