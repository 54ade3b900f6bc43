"""Sections on thin data: the needs that a section checks (dbmkit.chapters.has / missing_note / note), and charts
that degrade instead of failing or dropping money when a dimension is missing."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from dbmkit import chapters, explore, plots  # noqa: E402

DIMENSIONS = ["customer_file", "addresses", "sales_channel", "several_channels", "acquisition_channel",
              "acquisition_cost", "product_categories", "product_costs", "discounts", "demographics"]


@pytest.fixture(scope="module")
def half_channel_ws(tmp_path_factory):
    """An order file whose channel column is filled for half of the orders only; nothing else."""
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    d = tmp_path_factory.mktemp("half_channel")
    n = 200
    pd.DataFrame({"order": [f"O{i}" for i in range(n)], "customer": [f"C{i % 40}" for i in range(n)],
                  "date": pd.date_range("2024-01-03", periods=n, freq="3D").strftime("%Y-%m-%d"),
                  "amount": np.round(10 + np.arange(n) * 0.5, 2),
                  "channel": ["web" if i % 4 == 0 else ("store" if i % 4 == 1 else "") for i in range(n)]}
                 ).to_csv(d / "orders.csv", index=False)
    cfg = load_config({"client": "half", "data": {"sources": {"orders": [{"path": str(d / "orders.csv"), "columns": {
        "order_id": "order", "customer_id": "customer", "order_ts": "date", "net_amount": "amount",
        "channel": "channel"}}]}}, "workdir": str(d / "work")})
    return Workspace(cfg).ensure_built()


def test_dimension_needs_on_a_bare_order_file(half_channel_ws):
    ws = half_channel_ws
    got = {k: chapters.has(ws, k) for k in DIMENSIONS}
    assert got == {k: k in ("sales_channel", "several_channels") for k in DIMENSIONS}


def test_dimension_needs_on_the_synthetic_client(small_ws):
    assert all(chapters.has(small_ws, k) for k in DIMENSIONS)


def test_monthly_revenue_keeps_orders_without_a_channel(half_channel_ws):
    ws = half_channel_ws
    m = explore.monthly_revenue(ws, by="channel")
    total = ws.sql("SELECT sum(net_amount) AS r FROM orders WHERE status <> 'cancelled'")["r"].iloc[0]
    assert set(m["group"]) == {"web", "store", "(unknown)"}
    assert m["revenue"].sum() == pytest.approx(total)
    assert explore.monthly_revenue(ws)["revenue"].sum() == pytest.approx(total)
    fig = plots.revenue_over_time(m)
    assert sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts()) == ["(unknown)", "Store", "Web"]
    one = plots.revenue_over_time(explore.monthly_revenue(ws))           # one total: no legend
    assert one.axes[0].get_legend() is None
    # a frame whose groups are all missing (a sales file without channels) still draws its total
    nan_groups = m.assign(group=None)
    assert plots.revenue_over_time(nan_groups).axes[0].collections


def test_segment_profile_chart_leaves_out_features_without_an_average():
    prof = pd.DataFrame({"cluster": [1, 2], "customers": [10, 30], "share": [0.25, 0.75],
                         "n_orders": [180.0, 73.0], "discount_share": [np.nan, np.nan]})
    fig = plots.segment_profile_chart(prof, {1: "Loyal", 2: "Occasional"})
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["Orders"]
    assert any("Discount share" in t.get_text() for t in fig.texts)           # named below the chart


def test_notes_in_the_chapters_language():
    en = chapters.missing_note("sales_channel").data
    assert en.startswith("> **This section was skipped:**") and "`channel`" in en
    zh = chapters.missing_note("sales_channel", "zh").data
    assert zh.startswith("> **本节已跳过：**") and chapters.NEEDS["sales_channel"].what_zh in zh
    inst = chapters.missing_note("product_costs", "en", instead=("Margins are estimated.", "毛利按估算。")).data
    assert inst.startswith("> **Not in the client's data:** product costs") and "Margins are estimated." in inst
    assert "毛利按估算。" in chapters.missing_note("product_costs", "zh", instead=("x", "毛利按估算。")).data
    assert chapters.note(("Too few buyers.", "购买者太少。"), "en").data == "> **Note:** Too few buyers."
    assert chapters.note("购买者太少。", "zh").data == "> **说明：** 购买者太少。"
