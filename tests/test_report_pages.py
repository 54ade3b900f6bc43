"""Clean report pages: one money formatter, tables that keep their key columns, a path-free workspace, dbmkit's
notices as notes — and a small report whose pages have no raw printouts (no dict or Series reprs, no workspace
repr or /tmp path, no warning boxes, no "$-" money) and whose long lines wrap in the browser."""
from __future__ import annotations

import html as _html
import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from dbmkit import display, i18n, report
from dbmkit.client_workspace import Workspace
from dbmkit.config import load_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
import consultant_files as cf  # noqa: E402  (the tests' client-file helpers)

pytestmark = pytest.mark.xdist_group("clean_pages_report")
CHROMIUM = Path("/usr/bin/chromium")
M = "\u2212"       # the minus sign


# ------------------------------------------------------------------------------------------------ money and shares
@pytest.mark.parametrize("value, currency, kw, text", [
    (-2500, "USD", {}, f"{M}$2.5k"),
    (2500, "USD", {}, "$2.5k"),
    (0, "USD", {}, "$0"),
    (-0.001, "USD", {}, "$0.00"),                 # rounds to zero: no sign
    (float("nan"), "USD", {}, "–"),
    (None, "EUR", {}, "–"),
    (np.float64(-1_260_000), "EUR", {}, f"{M}€1.3M"),
    (999_999, "USD", {}, "$1M"),
    (25_000, "GBP", {}, "£25k"),
    (950.4, "USD", {}, "$950"),
    (0.85, "USD", {}, "$0.85"),
    (-12_345.6, "USD", {"compact": False}, f"{M}$12,346"),
    (1234.5, "USD", {"compact": False, "decimals": 2}, "$1,234.50"),
    (123_456, "CNY", {"lang": "zh"}, "¥12.3万"),
    (-250_000_000, "CNY", {"lang": "zh"}, f"{M}¥2.5亿"),
    (2500, "CNY", {"lang": "zh"}, "¥2,500"),
    (123_456, "CNY", {"lang": "en"}, "¥123k"),    # 万 only on a Chinese page
    (5000, "CHF", {}, "CHF 5k"),
    (-5, "$", {}, f"{M}$5"),                      # a symbol is kept as it is
    (-7.5, "USD", {"chart": True}, f"{M}\\$7.50"),  # matplotlib: "$" escaped
])
def test_money(value, currency, kw, text):
    assert i18n.money(value, currency, **kw) == text


def test_money_never_puts_the_sign_after_the_symbol():
    for x in np.linspace(-3e6, 3e6, 241):
        for cur, lang in (("USD", "en"), ("CNY", "zh"), ("EUR", "en")):
            s = i18n.money(x, cur, lang=lang)
            assert not re.search(r"[$€¥]-|[$€¥]\u2212", s), s
            assert "-" not in s and (s.startswith(M) == (round(x, 2) < 0)), s


def test_percent():
    assert i18n.percent(0.1234) == "12.3 %"
    assert i18n.percent(-0.005, 2) == f"{M}0.50 %"
    assert i18n.percent(0.02, signed=True) == "+2.0 %"
    assert i18n.percent(-0.0001) == "0.0 %"
    assert i18n.percent(float("nan")) == i18n.percent(None) == "–"


def test_key_numbers_in_money_use_the_formatter():
    assert report.format_kpi("expected_profit", -2500.4, "en", "USD")[1] == f"{M}$2,500"
    assert report.format_kpi("expected_profit", None, "en", "USD")[1] == "–"
    t = report.key_numbers({"expected_profit": -2500.0, "persons": 20087, "top20_revenue_share": 0.6123}, lang="zh",
                           currency="CNY")
    assert t.cells.columns.tolist() == ["关键指标", "数值"]
    assert t.cells["数值"].tolist() == [f"{M}¥2,500", "20,087", "61.2 %"]
    assert "{" not in repr(t) and "<table" in t._repr_html_()


# ------------------------------------------------------------------------------------------------ tables for a page
def _wide(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"segment": [f"s{i}" for i in range(rows)]})
    for k in range(11):
        df[f"c{k}"] = rng.normal(size=rows) * 1000
    df["profit"] = np.linspace(-2500, 2500, rows)
    return df


def test_show_keeps_the_key_and_names_the_columns_left_out():
    t = display.show(_wide(20), key="segment", money=["profit"], currency="USD")
    assert t.cells.columns.tolist() == ["segment", "c0", "c1", "c2", "c3", "c4", "c5", "c6"]
    assert t.note == "5 more columns not shown: c7, c8, c9, c10, profit"
    assert t.cells["segment"].tolist()[:2] == ["s0", "s1"]
    chosen = display.show(_wide(20), key="segment", columns=["profit", "c3"], money=["profit"], currency="USD")
    assert chosen.cells.columns.tolist() == ["segment", "profit", "c3"] and chosen.note == ""
    assert chosen.cells["profit"].iloc[0] == f"{M}$2.5k" and chosen.cells["profit"].iloc[-1] == "$2.5k"
    h = chosen._repr_html_()
    assert '<td class="txt" style="text-align:left">s0</td>' in h and 'class="num"' in h
    with pytest.raises(KeyError, match="no column 'nope'.*it has segment"):
        display.show(_wide(3), key="nope")


def test_a_short_wide_table_is_rotated_and_a_long_one_is_cut_to_ten_rows():
    t = display.show(_wide(3), key="segment", money=["profit"], currency="USD")
    assert t.cells.columns.tolist() == ["", "s0", "s1", "s2"]
    assert t.cells[""].tolist()[-1] == "profit" and t.cells.iloc[-1, 1:].tolist() == [f"{M}$2.5k", "$0", "$2.5k"]
    deciles = display.show(pd.DataFrame({"decile": [1, 2], "a": [1, 2]}), key="decile", rotate=True)
    assert deciles.cells.columns.tolist() == ["", "decile 1", "decile 2"]
    long = display.show(pd.DataFrame({"n": range(100)}))
    assert len(long.cells) == 10 and long.note == "the first 10 of 100 rows"


def test_show_of_a_series_and_plain_numbers():
    s = pd.Series({"n_treatment": 9835, "baseline_rate": 0.2103471, "ok": False, "message": "too small"})
    t = display.show(s)
    assert t.cells.columns.tolist() == ["", "value"]
    assert t.cells["value"].tolist() == ["9,835", "0.21", "False", "too small"]
    counts = pd.Series([3, 1], index=pd.Index(["a", "b"], name="stage"), name="customers")
    assert display.show(counts).cells.columns.tolist() == ["stage", "customers"]
    frame = pd.DataFrame({"customer_id": [1001, 1002], "year": [2024, 2025], "amount": [1234.5, np.nan],
                          "when": pd.to_datetime(["2024-01-05", "2024-02-01"])})
    cells = display.show(frame).cells
    assert cells.values.tolist() == [["1001", "2024", "1,234.5", "2024-01-05"], ["1002", "2025", "–", "2024-02-01"]]
    assert display.number(13.292497560288064) == "13.29" and display.number(-2500) == f"{M}2,500"


def test_install_shows_series_as_tables_and_rounds_floats():
    from IPython.core.interactiveshell import InteractiveShell
    ip = InteractiveShell.instance()
    try:
        assert display.install(ip, tables=True)
        data, _ = ip.display_formatter.format(pd.Series({"a": 1.23456, "b": 2.0}, name="x"))
        assert "<table" in data["text/html"] and "1.23" in data["text/html"] and "dtype" not in data["text/html"]
        data, _ = ip.display_formatter.format(13.292497560288064)
        assert data["text/plain"] == "13.29"
        data, _ = ip.display_formatter.format(np.float64(4.285714285714286))
        assert data["text/plain"] == "4.29"
        data, _ = ip.display_formatter.format(pd.DataFrame({"x": [1.5, np.nan]}))
        assert "–" in data["text/html"] and "NaN" not in data["text/html"]
        wide = pd.DataFrame({"group": ["treatment"] * 2, "outcome": ["responded", "revenue"]}
                            | {f"m{i}": [0.5, 1.5] for i in range(8)})
        head = re.search(r"<thead>(.*?)</thead>", display.frame_html(wide)).group(1)
        assert ">responded<" in head and ">revenue<" in head          # rotated, headed by its key
        data, _ = ip.display_formatter.format({"campaign_results": 10803, "uplift_qini": 0.020334})
        assert "<table" in data["text/html"] and "10,803" in data["text/html"] and "0.0203" in data["text/html"]
        data, _ = ip.display_formatter.format({"nested": {"a": 1}})
        assert "text/html" not in data                   # not a flat dict: IPython's own display
    finally:
        InteractiveShell.clear_instance()


# ------------------------------------------------------------------------------------------ workspace and notices
def test_the_workspace_repr_is_a_summary_without_paths(tmp_path):
    ws = Workspace(load_config(cf.sales_only_client(tmp_path)))
    text = repr(ws) + ws._repr_markdown_()
    assert "shop" in text and "database not built yet" in repr(ws)
    assert str(tmp_path) not in text and "/" not in repr(ws) and "db=" not in text


def test_every_notice_class_is_known_to_the_page_exporter():
    import dbmkit.campaign  # noqa: F401  (defines ControlGroupWarning)
    from dbmkit.util import NOTICE_NAMES, Notice

    def subclasses(c):
        return {c, *[s for k in c.__subclasses__() for s in subclasses(k)]}
    assert {c.__name__ for c in subclasses(Notice)} <= NOTICE_NAMES
    from dbmkit.report.pages import notices
    err = ("/tmp/ipykernel_1/2.py:3: ControlGroupWarning: Control group too small: 12 people.\n  plan.power_check()\n"
           "/x/site-packages/pandas/core/frame.py:9: FutureWarning: the default of observed will change\n  g = 1\n"
           "/tmp/ipykernel_1/2.py:3: ControlGroupWarning: Control group too small: 12 people.\n  again()\n")
    assert notices(err) == ["Control group too small: 12 people."]


def test_a_live_explorer_draws_one_chart_at_a_time(monkeypatch):
    import dbmkit.plots
    from dbmkit import widgets
    calls = []
    real = dbmkit.plots.profit_curve
    monkeypatch.setattr(dbmkit.plots, "profit_curve", lambda *a, **k: calls.append(1) or real(*a, **k))
    box = widgets.breakeven_explorer(0.85, 30.0, 0.04, 5000, 1500.0, "USD", interactive=True)
    assert len(calls) == 1                          # drawn once when shown, not once per helper
    sliders = [c for row in box.children if hasattr(row, "children") for c in row.children if hasattr(c, "value")]
    sliders[0].value = sliders[0].max
    assert len(calls) == 2


# ------------------------------------------------------------------------------------------------ a small report
CELLS = [
    ("code", 'config = ""', ["parameters"]),
    ("code", "import dbmkit as dbm\nws = dbm.workspace(config)\nws", []),
    ("markdown", "## Customers (客户)\n\nText; the terms: "
                 "[glossary](../docs/GLOSSARY.md#lifecycle-and-value-terms).", []),
    ("code", "import warnings\nfrom dbmkit.util import Notice\n"
             "warnings.warn('the plan will not pay back at any depth', Notice)\n"
             "warnings.warn('a library default will change', FutureWarning)\n"
             "ws.sql('SELECT count(*) AS n FROM customers')['n'].iloc[0] / 7", []),
    ("code", "ws.sql('SELECT customer_id, count(*) AS orders, sum(net_amount) AS revenue FROM orders "
             "GROUP BY 1 ORDER BY 1').set_index('customer_id')['orders'].head(3)", []),
    ("code", "import pandas as pd\npd.DataFrame({f'column_{i}': [i * 1000.5, -i] for i in range(12)})", []),
    ("code", "print('x' * 600)\nprint(' '.join(['a-very-long-word-without-any-break'] * 40))", []),
    ("code", "dbm.record('expected_profit', -2500.0)\ndbm.record('persons', 30)\n"
             "dbm.report.key_numbers(['expected_profit', 'persons'], ws)", []),
    ("code", "x = 13.292497560288064\ndbm.record('top_rule_lift', x)", []),
    ("code", "dbm.provenance(ws)", []),
]


@pytest.fixture(scope="module")
def clean_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("clean_pages")
    cfg = cf.sales_only_client(d)
    nbdir = d / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [(nbformat.v4.new_code_cell if k == "code" else nbformat.v4.new_markdown_cell)(
        src, metadata={"tags": tags} if tags else {}) for k, src, tags in CELLS]
    nbformat.write(nb, str(nbdir / "21_analyze_rfm.ipynb"))
    mp = pytest.MonkeyPatch()
    mp.setenv("DBMKIT_NOTEBOOKS", str(nbdir))
    try:
        res = report.run_report(cfg, out=d / "rep", workdir=d / "work", phases=["21"], progress=False)
    finally:
        mp.undo()
    return res, d / "rep"


def output_areas(page: str) -> str:
    """The HTML of the pages' output areas (what the chapter's code printed or displayed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+", " ", page)
    parts = re.split(r'<div class="[^"]*jp-OutputArea-output\b', page)[1:]
    return " ".join(re.split(r'<div class="jp-Cell\b', p)[0] for p in parts)


def test_the_page_has_no_raw_printouts(clean_report):
    res, out = clean_report
    assert res.ok, [r.message for r in res.runs]
    page = (out / "21_analyze_rfm.html").read_text(encoding="utf-8")
    shown = _html.unescape(output_areas(page))
    assert shown.strip()
    assert "Workspace(" not in page and "db=" not in shown
    assert "/tmp/" not in _html.unescape(re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    assert str(out.parent) not in page
    assert "{'" not in shown and "dtype:" not in shown and "Name: orders" not in shown
    assert not re.search(r"[$€£¥]-\d", shown) and f"{M}$2,500" in shown
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page and "FutureWarning" not in page
    assert "Note:" in shown and "the plan will not pay back at any depth" in shown      # the notice, in prose
    assert "4.29" in shown and "4.285714" not in shown                                  # 30 / 7, rounded
    assert "NaN" not in shown and "column_11" in shown                                  # every column, sticky key
    assert "Workspace of 'shop'" in shown or "persons" in shown
    label = report.KPI_INFO["top_rule_lift"][0]
    assert f"<strong>{label}:</strong> 13.3" in output_areas(page)       # a bare recorded number, in words


def test_long_lines_wrap_and_wide_tables_scroll_in_their_box(clean_report, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed")
    _, out = clean_report
    page = out / "21_analyze_rfm.html"
    script = """<script>window.addEventListener('load', function () {
  var over = [];
  document.querySelectorAll('pre').forEach(function (e) {
    if (e.scrollWidth > e.clientWidth + 1) over.push(e.textContent.slice(0, 40)); });
  var page = document.documentElement.scrollWidth <= window.innerWidth + 1;
  var t = document.querySelector('table.dataframe');
  var key = t ? getComputedStyle(t.querySelector('tbody tr > :first-child')).position : '';
  document.documentElement.setAttribute('data-check', JSON.stringify({over: over, page: page, key: key,
    pres: document.querySelectorAll('pre').length}));
});</script>"""
    copy = tmp_path / page.name
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900", "--virtual-time-budget=10000",
           "--dump-dom", copy.as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    m = re.search(r'data-check="([^"]*)"', r.stdout)
    assert m, r.stderr[-500:]
    got = json.loads(_html.unescape(m.group(1)))
    assert got["pres"] >= 1 and got["over"] == [], got
    assert got["page"], "the page is wider than the window"
    assert got["key"] == "sticky"


def test_money_in_charts_is_written_like_tables():
    import matplotlib.pyplot as plt

    from dbmkit import plots
    fig, ax = plots.new_figure()
    ax.plot([0, 1], [-2500, 2500])
    plots.money_axis(ax, "y", "USD")
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
    assert any(lb.startswith(M) for lb in labels) and not any("$-" in lb or "-$" in lb for lb in labels), labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no "glyph missing" for the minus sign
        fig, ax = plots.new_figure()
        ax.set_title(i18n.money(-2500, "USD", chart=True))
        fig.canvas.draw()
        plt.close(fig)


def test_glossary_links_reach_the_glossary_page_beside_the_chapters(clean_report):
    res, out = clean_report
    page = (out / "21_analyze_rfm.html").read_text(encoding="utf-8")
    assert 'href="glossary.html#s-lifecycle-and-value-terms"' in page and "docs/GLOSSARY.md" not in page
    glossary = (out / "glossary.html").read_text(encoding="utf-8")
    assert 'id="s-lifecycle-and-value-terms"' in glossary and "冠军客户" in glossary
