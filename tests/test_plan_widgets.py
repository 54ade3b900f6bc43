"""The explorers of chapters 30–31 degrade to static figures where widgets cannot render, and build live widgets
where they can."""
from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from dbmkit import widgets as W
from dbmkit.campaign import decile_economics


def _deciles():
    df = pd.DataFrame({"customer_id": [f"C{i}" for i in range(50)],
                       "response_score": [0.5 - i / 100 for i in range(50)]})
    df["expected_response"] = df["response_score"] * 0.1
    df["expected_revenue"] = df["expected_response"] * 100
    df["expected_margin"] = df["expected_response"] * 40
    df["contact_cost"] = 0.85
    return decile_economics(df, fixed_cost=10.0)


def test_static_in_report_and_test_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("DBMKIT_KPI_FILE", str(tmp_path / "k.json"))
    assert not W.widgets_available()
    monkeypatch.delenv("DBMKIT_KPI_FILE")
    monkeypatch.setenv("DBMKIT_STATIC_WIDGETS", "1")
    assert not W.widgets_available()
    monkeypatch.delenv("DBMKIT_STATIC_WIDGETS")
    assert not W.widgets_available()             # plain Python: no kernel


@pytest.mark.parametrize("make", [
    lambda **k: W.breakeven_explorer(0.85, 30.0, 0.04, 5000, 1500.0, "USD", **k),
    lambda **k: W.depth_explorer(_deciles(), budget=25.0, currency="USD", **k),
    lambda **k: W.sample_size_explorer(0.2, 0.01, n_total=11000, **k),
])
def test_each_explorer_has_a_static_figure_and_a_live_widget(make):
    fig = make(interactive=False)
    assert isinstance(fig, matplotlib.figure.Figure) and fig.axes and fig.axes[0].get_title(loc="left")
    import ipywidgets
    box = make(interactive=True)
    assert isinstance(box, ipywidgets.VBox)
    sliders = [c for row in box.children if isinstance(row, ipywidgets.HBox) for c in row.children]
    assert len(sliders) >= 5
    sliders[0].value = sliders[0].max                  # moving a slider redraws without error


def test_static_titles_carry_the_numbers():
    fig = W.breakeven_explorer(0.85, 34.0, 0.04, 1000, 0.0, interactive=False)
    assert "2.50%" in fig.axes[0].get_title(loc="left")           # 0.85 / 34 = 2.5 %
    fig = W.sample_size_explorer(0.10, 0.02, control_share=0.5, interactive=False)
    assert "3,841 control" in fig.axes[0].get_title(loc="left")
    fig = W.depth_explorer(_deciles(), budget=None, interactive=False)
    assert "Max profit at" in fig.axes[0].get_title(loc="left")
