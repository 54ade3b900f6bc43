"""The client-shape matrix: on any client a consultant can map, every chapter either runs or is skipped with a page
that says why and what data would enable it — never a crash, never silently wrong numbers.

Each shape is a client folder written by ``tests/client_shapes.py`` and run once through ``dbmkit report`` (a
module-scoped fixture per shape; its tests share one xdist worker). The Chinese synthetic shape is the session's
shared Chinese report (``zh_shape_report`` in tests/conftest.py, xdist group ``zh_report``), which the Chinese
edition's tests and the browser tests read too. Shapes:

=====================  ====================================================================  ===========
shape                  what the client gave                                                  chapters
=====================  ====================================================================  ===========
invoice_lines          one invoice-line CSV (Online Retail): no channel, costs, customers    all
orders_only (zh)       one order-level CSV, report in Chinese                                all
customers_orders       two customer files (CRM, web) + two order files; no consents          all
syn500x0               synthetic, 500 people, no past campaigns                              those that depend
                                                                                             on campaigns
syn500x8 (zh)          synthetic, 500 people, 8 campaigns, ``locale: zh`` + ``language: zh``  all + the
                       (the session's shared Chinese report, run with ``--cases``)          case studies
syn2000x4              synthetic, 2,000 people, 4 campaigns (chapter 40 once failed here)    all
syn20000x1 (slow)      synthetic, 20,000 people, 1 campaign                                  all
=====================  ====================================================================  ===========

Kernels draw figures as in a real report (no ``MPLBACKEND=Agg``), so a chart that fails to render fails here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from dbmkit import chapters

sys.path.insert(0, str(Path(__file__).resolve().parent))
import client_shapes as cs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = [c.file for c in chapters.workbook_chapters()]


@dataclass
class ShapeRun:
    name: str
    config: Path
    facts: dict
    out: Path
    work: Path
    returncode: int
    output: str
    status: dict = field(default_factory=dict)
    kpis: dict = field(default_factory=dict)

    @property
    def runs(self) -> dict:
        return {c["file"]: c for c in self.status.get("chapters", [])}

    def page(self, file: str) -> str:
        return (self.out / f"{file}.html").read_text(encoding="utf-8")

    @property
    def ws(self):
        from dbmkit.client_workspace import Workspace
        from dbmkit.config import load_config
        return Workspace(load_config(self.config, overrides={"workdir": str(self.work)}))

    def sql(self, q: str) -> pd.DataFrame:
        return self.ws.sql(q)


def _run_shape(tmp_path_factory, name: str, write, phases: list[str] | None = None) -> ShapeRun:
    d = tmp_path_factory.mktemp(name)
    config, facts = write(d)
    out, work = d / "report", d / "work"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MPLBACKEND", "DBMKIT_CONFIG", "DBMKIT_KPI_FILE", "DBMKIT_REPORT_OUT", "DBMKIT_WORKDIR",
                        "DBMKIT_NOTEBOOKS", "DBMKIT_LANGUAGE")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    cmd = [sys.executable, "-m", "dbmkit.cli", "report", str(config), "--out", str(out), "--workdir", str(work)]
    if phases:
        cmd += ["--phases", *phases]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=3600)
    return _read_run(ShapeRun(name, config, facts, out, work, r.returncode, r.stdout[-6000:] + r.stderr[-6000:]))


def _read_run(run: ShapeRun) -> ShapeRun:
    """The run's status.json and kpis.json, when the report wrote them."""
    out = run.out
    if (out / "status.json").exists():
        run.status = json.loads((out / "status.json").read_text(encoding="utf-8"))
    if (out / "kpis.json").exists():
        run.kpis = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    return run


def _shape_fixture(name: str, write, phases: list[str] | None = None):
    @pytest.fixture(scope="module")
    def fx(tmp_path_factory):
        return _run_shape(tmp_path_factory, name, write, phases)
    return fx


invoice_lines = _shape_fixture("invoice_lines", cs.invoice_lines)
orders_only = _shape_fixture("orders_only", lambda d: cs.orders_only(d, language="zh"))
customers_orders = _shape_fixture("customers_orders", cs.customers_orders)
syn500x0 = _shape_fixture("syn500x0", lambda d: cs.synthetic(d, 500, 0),
                          phases=["21", "26", "30", "31", "4"])       # the chapters a campaign history changes


@pytest.fixture(scope="module")
def syn500x8zh(zh_shape_report) -> ShapeRun:
    """``cs.synthetic(d, 500, 8, "zh")`` through ``dbmkit report --cases``: the session's shared Chinese report."""
    r = zh_shape_report
    return _read_run(ShapeRun("syn500x8zh", r.config, r.facts, r.out, r.work, r.returncode, r.output))


syn2000x4 = _shape_fixture("syn2000x4", lambda d: cs.synthetic(d, 2000, 4))
syn20000x1 = _shape_fixture("syn20000x1", lambda d: cs.synthetic(d, 20000, 1))

# shape → (chapters it runs, chapters skipped for missing inputs), every other workbook chapter must be "ok"
NO_CAMPAIGNS = {"26_analyze_predict", "40_evaluate_results", "41_evaluate_learn"}
NO_CONTACTS = {"30_plan_campaign", "31_plan_budget_test"}
SHAPES = {
    "invoice_lines": (WORKBOOK, NO_CAMPAIGNS | NO_CONTACTS),
    "orders_only": (WORKBOOK, NO_CAMPAIGNS | NO_CONTACTS | {"25_analyze_baskets"}),
    "customers_orders": (WORKBOOK, NO_CAMPAIGNS | NO_CONTACTS | {"25_analyze_baskets"}),
    "syn500x0": ([c.file for c in chapters.select(["21", "26", "30", "31", "4"])], NO_CAMPAIGNS),
    "syn500x8zh": ([c.file for c in chapters.workbook_chapters(include_cases=True)], set()),   # run with --cases
    "syn2000x4": (WORKBOOK, set()),
    "syn20000x1": (WORKBOOK, set()),
}


# the xdist group of each shape's tests: the Chinese shape shares its report with the Chinese-edition tests
GROUP = {name: "zh_report" if name == "syn500x8zh" else f"shape-{name}" for name in SHAPES}


def _param(name: str):
    marks = [pytest.mark.xdist_group(GROUP[name]), pytest.mark.notebooks]
    if name == "syn20000x1":
        marks.append(pytest.mark.slow)
    return pytest.param(name, marks=marks, id=name)


@pytest.fixture
def shape(request) -> ShapeRun:
    return request.getfixturevalue(request.param)


ALL = pytest.mark.parametrize("shape", [_param(n) for n in SHAPES], indirect=True)


# ------------------------------------------------------------------------------------------ every shape
@ALL
def test_every_chapter_runs_or_is_skipped_with_its_reason(shape):
    assert shape.status, f"{shape.name}: no status.json\n{shape.output}"
    expected, skipped = SHAPES[shape.name]
    runs = shape.runs
    assert list(runs) == list(expected), f"{shape.name}: chapters run {list(runs)}"
    failed = {f: r["message"] for f, r in runs.items() if r["status"] not in ("ok", "skipped")}
    assert not failed, f"{shape.name}: chapters failed: {failed}"
    assert {f for f, r in runs.items() if r["status"] == "skipped"} == skipped & set(expected)
    assert shape.returncode == 0, f"{shape.name}: dbmkit report exited {shape.returncode}\n{shape.output}"
    lang = shape.ws.language
    for f, r in runs.items():
        page = shape.page(f)
        assert "Traceback" not in page, (shape.name, f)
        if r["status"] == "skipped":            # the page names what is missing and how to provide it
            assert r["missing"] and r["message"], (shape.name, f)
            for key in r["missing"]:
                need = chapters.NEEDS[key]
                assert (need.what_zh if lang == "zh" else need.what) in page, (shape.name, f, key)
                assert need.fix.split("`")[1] in page, (shape.name, f, key)


@ALL
def test_key_numbers_are_plain_and_consistent(shape):
    k = shape.kpis
    for name, v in k.items():
        assert v is None or isinstance(v, (int, float, str, bool)), (name, v)
        if isinstance(v, float):
            assert v == v and abs(v) != float("inf"), (name, v)
    if "persons" in k and "customers_active" in k:
        assert k["customers_active"] <= k["persons"]
    if "rows_read" in k:
        assert k["rows_read"] == k["rows_loaded"] + k["rows_quarantined"]
    for share in ("top20_revenue_share", "champions_share", "unprofitable_share", "clv_alive_share"):
        if k.get(share) is not None:
            assert 0 <= k[share] <= 1, (share, k[share])
    if k.get("top20_revenue_share") is not None:
        assert k["top20_revenue_share"] >= 0.2                     # the best fifth hold at least a fifth
    campaigns = SHAPES[shape.name][1].isdisjoint(NO_CAMPAIGNS) and "40_evaluate_results" in shape.runs
    assert ("campaign_lift" in k) == campaigns, shape.name        # no campaign history → no evaluation numbers


# ------------------------------------------------------------------------------------------ the real files
def _net_revenue(run: ShapeRun) -> tuple[float, float]:
    r = run.sql("SELECT (SELECT coalesce(sum(net_amount), 0) FROM sales) AS known, "
                "(SELECT coalesce(sum(net_amount), 0) FROM anonymous_sales) AS anonymous").iloc[0]
    return float(r["known"]), float(r["anonymous"])


@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-invoice_lines")
def test_invoice_lines_numbers_match_the_file(invoice_lines):
    run, f = invoice_lines, invoice_lines.facts
    # the file, read again with pandas: net = quantity × price (cancellations are negative), per known customer
    lines = pd.read_csv(run.config.parent / "online_retail_ii.csv")
    net = lines["Quantity"] * lines["Price"]
    known = lines["Customer ID"].notna()
    got_known, got_anonymous = _net_revenue(run)
    assert got_known == pytest.approx(float(net[known].sum()), abs=0.01) == pytest.approx(f["net_revenue"], abs=0.01)
    assert got_anonymous == pytest.approx(float(net[~known].sum()), abs=0.01)
    monthly = run.sql("SELECT sum(net_amount) AS r FROM orders WHERE status <> 'cancelled'")["r"].iloc[0]
    assert monthly == pytest.approx(got_known, abs=0.01)        # chapter 00's monthly total is the same money
    assert run.kpis["persons"] == f["customers"] == run.kpis["customers_raw"]
    assert run.kpis["households"] is None                        # no addresses: households unknown, not = persons
    assert run.kpis["price_only_share"] is None                  # no discounts in the file: not measured
    assert run.kpis["rows_read"] == len(lines)


@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-invoice_lines")
def test_invoice_lines_pages_say_what_is_missing(invoice_lines):
    notes = {"00_start_here": ["sales_channel"],
             "11_build_clean_merge": ["customer_file", "addresses"],
             "12_build_store_protect": ["consents", "area_demographics"],
             "20_analyze_explore": ["acquisition_channel", "sales_channel", "product_categories", "several_channels"],
             "21_analyze_rfm": ["campaigns"],
             "22_analyze_value": ["product_costs", "discounts", "acquisition_cost"],
             "23_analyze_clv": ["product_costs", "acquisition_cost"],
             "24_analyze_segments": ["demographics", "area_demographics"],
             "25_analyze_baskets": ["product_categories"]}
    for f, keys in notes.items():
        page = invoice_lines.page(f)
        for key in keys:
            assert chapters.NEEDS[key].what in page, (f, key)
    # chapter 25 falls back from subcategories to products: rules exist and pair product codes
    assert invoice_lines.kpis["top_rule_lift"] is not None and invoice_lines.kpis["top_rule_lift"] > 1


@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-orders_only")
def test_orders_only_numbers_and_chinese_notes(orders_only):
    run, f = orders_only, orders_only.facts
    orders = pd.read_csv(run.config.parent / "orders.csv")
    assert _net_revenue(run) == (pytest.approx(float(orders["Total"].sum()), abs=0.01), 0.0)
    assert run.kpis["persons"] == f["customers"] == orders["Customer"].nunique()
    assert run.sql("SELECT count(*) AS n FROM orders")["n"].iloc[0] == len(orders)
    page = run.page("00_start_here")
    assert chapters.NEEDS["sales_channel"].what_zh in page and "数据中没有" in page
    assert "本节已跳过" in run.page("20_analyze_explore")
    assert chapters.NEEDS["order_items"].what_zh in run.page("25_analyze_baskets")


@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-customers_orders")
def test_customers_orders_many_sources_merge_to_the_true_people(customers_orders):
    run, f = customers_orders, customers_orders.facts
    # 481 records from two systems (a fifth of the people in both, same e-mail) → the 400 people
    assert run.kpis["customers_raw"] == f["records"]
    assert run.kpis["persons"] == f["people"]
    assert _net_revenue(run)[0] == pytest.approx(f["net_revenue"], abs=0.01)
    by_source = run.sql("SELECT source_system, count(*) AS n FROM orders GROUP BY 1").set_index("source_system")["n"]
    store = pd.read_csv(run.config.parent / "store_orders.csv")
    web = pd.read_csv(run.config.parent / "web_orders.csv")
    assert by_source.to_dict() == {"pos": len(store), "web": len(web)}
    # channels are known: chapter 00 splits revenue by them, no note; consents are not: 30/31 say so
    assert chapters.NEEDS["sales_channel"].what not in run.page("00_start_here")
    assert chapters.NEEDS["consents"].what in run.page("30_plan_campaign")
    assert chapters.NEEDS["contact_details"].what not in run.page("30_plan_campaign")


# ------------------------------------------------------------------------------------------ the synthetic clients
def _check_synthetic(run: ShapeRun):
    k, ws = run.kpis, run.ws
    people = ws.truth["people"]
    with_records = int(ws.truth["records"]["person_id"].nunique())
    # merge/purge finds the people with records, within its error (precision and recall above 0.9)
    assert k["identity_precision"] > 0.9 and k["identity_recall"] > 0.9
    assert abs(k["persons"] - with_records) <= 0.05 * with_records, (k["persons"], with_records)
    assert with_records <= len(people) == run.facts["n_people"]
    n_campaigns = run.sql("SELECT count(*) AS n FROM campaigns")["n"].iloc[0]
    assert n_campaigns == run.facts["n_campaigns"]
    if n_campaigns:
        assert -1 <= k["campaign_lift"] <= 1 and k["campaign_lift_ci_low"] <= k["campaign_lift_ci_high"]
        assert k["campaign_lift_ci_low"] <= k["campaign_true_lift"] + 0.1      # the truth is not far outside
    assert k["clv_total"] > 0


@pytest.mark.notebooks
@pytest.mark.xdist_group("zh_report")
def test_syn500x8zh_numbers(syn500x8zh):
    _check_synthetic(syn500x8zh)
    assert syn500x8zh.ws.language == "zh" and syn500x8zh.ws.currency == "CNY"
    assert '<html lang="zh-CN">' in syn500x8zh.page("40_evaluate_results")


@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-syn2000x4")
def test_syn2000x4_numbers(syn2000x4):
    _check_synthetic(syn2000x4)


@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-syn500x0")
def test_syn500x0_plans_without_campaign_history(syn500x0):
    k = syn500x0.kpis
    assert "rfm_breakeven_customers" not in k                   # the RFM cell table needs past contacts
    assert k["planned_contacts"] > 0 and k["campaign_net"] <= k["campaign_gross"]
    assert chapters.NEEDS["campaigns"].what in syn500x0.page("21_analyze_rfm")
    # no past campaigns: chapter 31's profit has no interval, and its page says why
    assert k["expected_profit_ci_low"] is None and k["mailing_depth_deciles_ci_high"] is None
    assert "No past campaigns with a control group to measure the response rates on" in \
        syn500x0.page("31_plan_budget_test")


@pytest.mark.slow
@pytest.mark.notebooks
@pytest.mark.xdist_group("shape-syn20000x1")
def test_syn20000x1_numbers(syn20000x1):
    _check_synthetic(syn20000x1)
