"""dbmkit compare: the key numbers that moved between two reports, by hand-made kpis (the CLI end to end on real
reports is in tests/test_cli_overrides.py)."""
from __future__ import annotations

import json

import pytest

from dbmkit.report.compare import CompareError, compare_kpis, compare_reports, load_report


def _report(d, kpis: dict, **status):
    d.mkdir(parents=True, exist_ok=True)
    (d / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    (d / "status.json").write_text(json.dumps({"client": "acme", **status}), encoding="utf-8")
    return d


def test_changes_by_kind_and_rounding():
    a = {"persons": 20087, "expected_profit": 1500.0, "top20_revenue_share": 0.7151, "gini": 0.686,
         "campaign_roi": 0.52, "old_only": 3}
    b = {"persons": 20087, "expected_profit": -2500.0, "top20_revenue_share": 0.7154, "gini": 0.701,
         "campaign_roi": 0.389, "new_only": 1.5}
    t = compare_kpis(a, b, "en", "USD").set_index("name")
    assert t.loc["persons", "status"] == "same" and t.loc["persons", "change"] == ""
    assert t.loc["expected_profit", "change"] == "−$4,000 (−266.7 %)"
    assert t.loc["top20_revenue_share", "status"] == "same"          # 71.5 % both, as the page rounds it
    assert t.loc["gini", "change"] == "+0.015"
    assert t.loc["campaign_roi", "change"] == "−13.1 pts"
    assert t.loc["old_only", "status"] == "gone" and t.loc["new_only", "status"] == "new"
    assert list(t["status"])[:3] == ["changed", "changed", "changed"]   # what moved comes first


def test_chinese_labels_and_points():
    t = compare_kpis({"top20_revenue_share": 0.60}, {"top20_revenue_share": 0.65}, "zh", "CNY")
    assert t.loc[0, "label"] == "前20%客户收入占比" and t.loc[0, "change"] == "+5.0 个百分点"


def test_text_of_two_folders(tmp_path):
    a = _report(tmp_path / "nov", {"persons": 1000, "gini": 0.5}, as_of="2026-10-31", currency="GBP")
    b = _report(tmp_path / "dec", {"persons": 1100, "gini": 0.5, "expected_profit": 900.0}, as_of="2026-11-30",
                currency="GBP", overrides={"campaign.budget": 500.0})
    text = compare_reports(a, b).splitlines()
    assert text[0] == f"A: {a}  (acme, data as of 2026-10-31)"
    assert text[1] == f"B: {b}  (acme, data as of 2026-11-30, --set campaign.budget=500.0)"
    rows = {x.split("  ")[0]: x for x in text[3:-2]}
    assert rows["Customers (after merge/purge)"].endswith("+100 (+10.0 %)")
    assert rows["Expected profit"].endswith("new") and "£900" in rows["Expected profit"]
    assert "Gini of customer value" not in rows
    assert text[-1] == "1 changed, 1 new, 0 gone, 1 the same (as the pages round them)."
    assert any(x.startswith("Gini of customer value") for x in compare_reports(a, b, show_all=True).splitlines())
    assert "No key number moved" in compare_reports(a, a)


def test_unreadable_reports_are_messages(tmp_path):
    with pytest.raises(CompareError, match="no kpis.json there"):
        load_report(tmp_path)
    (tmp_path / "kpis.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(CompareError, match="not a readable kpis.json"):
        load_report(tmp_path)
