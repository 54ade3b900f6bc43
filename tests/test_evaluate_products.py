"""Evaluation by product: categories bought in the response window, treated vs control."""
from __future__ import annotations

import pytest

from dbmkit.evaluate import campaign_outcomes, category_lift, category_outcomes


def test_category_outcomes_by_hand(small_ws):
    co = category_outcomes(small_ws, "CMP03")
    out = campaign_outcomes(small_ws, "CMP03")
    assert len(co) == len(out)
    cats = co.attrs["categories"]
    assert cats
    # anyone who bought a category in the window responded
    bought_any = co[cats].max(axis=1)
    assert (co.loc[bought_any == 1, "responded"] == 1).all()
    # one category recomputed in SQL
    cat = cats[0]
    sql = """SELECT DISTINCT c.customer_id FROM contacts c JOIN campaigns k USING (campaign_id)
             JOIN orders o ON o.customer_id = c.customer_id AND o.status = 'completed' AND o.order_ts >= c.contact_ts
              AND o.order_ts < c.contact_ts + (k.end_date - k.start_date) * INTERVAL 1 DAY
             JOIN order_items i USING (order_id) JOIN products p USING (product_id)
             WHERE c.campaign_id = 'CMP03' AND p.category = ?"""
    buyers = set(small_ws.sql(sql, [cat])["customer_id"])
    assert set(co.loc[co[cat] == 1, "customer_id"]) == buyers


def test_category_lift_table(small_ws):
    r = category_lift(small_ws, "CMP03", min_buyers=3)
    assert (r["buyers"] >= 3).all()
    assert r["abs_lift"].is_monotonic_decreasing
    assert (r["p_adjusted"] >= r["p_value"] - 1e-12).all()
    co = category_outcomes(small_ws, "CMP03")
    top = r.iloc[0]
    tr = co[co["group"] == "treatment"][top["category"]].mean()
    ct = co[co["group"] == "control"][top["category"]].mean()
    assert top["value"] == pytest.approx(tr) and top["control_value"] == pytest.approx(ct)


def test_category_lift_without_enough_buyers_keeps_its_columns(small_ws):
    """A small campaign whose contacts bought no category often enough: no rows, but the same columns (chapter 40
    selects them), and the attrs say why."""
    full = category_lift(small_ws, "CMP03", min_buyers=3)
    empty = category_lift(small_ws, "CMP03", min_buyers=10**9)
    assert empty.empty and list(empty.columns) == list(full.columns)
    assert empty.attrs["min_buyers"] == 10**9 and empty.attrs["categories"] > 0
    assert empty.attrs["contacts"] == full.attrs["contacts"] > 0
