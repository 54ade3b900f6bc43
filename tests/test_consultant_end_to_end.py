"""new-client → check → report on sales files in shapes the code never saw: the drafted config loads the file
correctly (customers, orders, revenue, dates, returns, anonymous sales match the file), `check` says a report can
run, and `report --phases 1 2` completes on this minimal client — chapters whose inputs are missing are skipped
with a page saying how to provide them, no chapter fails, no page shows raw contact details."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dbmkit import privacy

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], env: dict, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dbmkit.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=timeout)


def _db(work: Path, sql: str) -> pd.DataFrame:
    import duckdb
    con = duckdb.connect(str(work / "marketing.duckdb"), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def _check_database(kind: str, work: Path, facts: dict) -> None:
    """What the database holds after `check` must be what the file says."""
    one = _db(work, """SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM orders) AS orders,
        (SELECT sum(net_amount) FROM sales) AS net_revenue, (SELECT min(order_ts) FROM orders) AS first,
        (SELECT max(order_ts) FROM orders) AS last,
        (SELECT count(*) FROM orders WHERE status = 'returned') AS returns,
        (SELECT count(*) FROM orders WHERE status = 'cancelled') AS cancelled,
        (SELECT count(*) FROM anonymous_sales) AS anonymous""").iloc[0]
    assert one["customers"] == facts["customers"]
    assert one["net_revenue"] == pytest.approx(facts["net_revenue"], abs=0.02)
    assert str(one["first"]) == facts["first"] and str(one["last"]) == facts["last"]    # dates read the right way
    if kind == "online_retail":
        assert one["orders"] == facts["invoices"]                       # one order per invoice of a known customer
        assert one["returns"] == facts["returns"]                       # 'C' invoices with negative quantities
        assert one["anonymous"] == facts["anonymous_invoices"]          # no CustomerID → anonymous sales
    elif kind == "chinese":
        assert one["cancelled"] == facts["cancelled"]
        assert one["orders"] == facts["orders"] + facts["returns"]      # a returned order = its sale + the return
        channels = set(_db(work, "SELECT DISTINCT channel FROM orders")["channel"])
        assert channels == {"store", "web", "app"}                       # 门店 / 线上 / 小程序
    else:
        assert one["orders"] == facts["orders"]


@pytest.mark.notebooks
@pytest.mark.parametrize("kind", list(cf.WRITERS))
def test_new_client_check_report_on_an_unseen_file(kind, tmp_path):
    path, facts = cf.WRITERS[kind](tmp_path)
    env = dict(os.environ, MPLBACKEND="Agg")
    for k in ("DBMKIT_CONFIG", "DBMKIT_KPI_FILE", "DBMKIT_REPORT_OUT", "DBMKIT_NOTEBOOKS"):
        env.pop(k, None)
    work = tmp_path / "work"
    env["DBMKIT_WORKDIR"] = str(work)
    name = f"client_{kind}"
    r = _run(["new-client", name, str(path), "--dir", str(tmp_path / "clients")], env)
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "clients" / f"{name}.yaml"

    r = _run(["check", str(cfg)], env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert ("A report can run." in r.stdout or "可以生成报告。" in r.stdout) and "Traceback" not in r.stderr
    assert re.search(r"Period: orders from \d{4}-\d\d-\d\d|时间范围：订单自\d{4}年\d{1,2}月\d{1,2}日", r.stdout)
    _check_database(kind, work, facts)

    out = tmp_path / "report"
    r = _run(["report", str(cfg), "--out", str(out), "--phases", "1", "2"], env)
    status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    runs = {c["file"]: c for c in status["chapters"]}
    failed = {f: c["message"] for f, c in runs.items() if c["status"] == "failed"}
    assert not failed, f"chapters failed on a minimal client: {failed}"
    assert r.returncode == 0, r.stdout[-2000:]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert any(c["status"] == "ok" for c in runs.values())
    # chapters whose inputs this sales-only client lacks are skipped, with a page saying how to provide them
    assert runs["26_analyze_predict"]["status"] == "skipped"
    skipped = [f for f, c in runs.items() if c["status"] == "skipped" and c.get("missing")]
    for f in skipped:
        page = (out / f"{f}.html").read_text(encoding="utf-8")
        assert ("如何提供" if kind == "chinese" else "How to provide it") in page and "dbmkit check" in page
        assert f"{f}.html" in index
    if kind in ("chinese", "european", "excel"):                     # order files have no order lines
        assert runs["25_analyze_baskets"]["status"] == "skipped"
    # no raw e-mail or phone number on any page (the Chinese file carries the buyers' mobile numbers)
    for page in out.glob("*.html"):
        text = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", page.read_text(encoding="utf-8"))
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
        assert privacy.find_pii(re.sub(r"<[^>]+>", " ", text)) == [], page.name
