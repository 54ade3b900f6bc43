"""Customer value: deciles as CONCEPTS.md defines them, Pareto, Lorenz/Gini, ABC classes, profitability and the
three most profitable groups — hand-computed cases, properties and the small synthetic client's truth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit import value as V
from dbmkit.datasets.truth import truth_person_map


def _s(values, profit=None):
    d = pd.DataFrame({"customer_id": [f"c{i:04d}" for i in range(len(values))], "monetary_total": values})
    if profit is not None:
        d["margin_total"] = profit
    return d


def test_monetary_deciles_by_hand():
    s = _s([float(v) for v in range(1, 21)], [float(v) / 2 for v in range(1, 21)])
    d = V.decile_table(s)
    assert d["customers"].tolist() == [2] * 10
    assert d["value"].tolist()[0] == 20 + 19 and d["value"].tolist()[-1] == 1 + 2
    assert d["value_share"].iloc[0] == pytest.approx(39 / 210)
    assert d["cum_value_share"].iloc[-1] == pytest.approx(1.0)
    assert d["profit_share"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least 10"):
        V.decile_table(_s([1.0, 2.0]))


def test_purchase_deciles_count_the_customers_of_each_tenth_of_sales():
    # one customer makes 50 % of sales, four make 10 % each, ten make 1 % each
    s = _s([500.0] + [100.0] * 4 + [10.0] * 10)
    p = V.purchase_deciles(s)
    assert p["customers"].sum() == 15
    assert p["customers"].tolist() == [1, 0, 0, 0, 0, 1, 1, 1, 1, 10]
    assert p["cum_share_customers"].iloc[0] == pytest.approx(1 / 15)


def test_pareto_gini_lorenz_by_hand():
    s = _s([80.0, 10.0, 5.0, 3.0, 2.0])
    assert V.pareto(s, top_shares=(0.2, 0.4))["value_share"].tolist() == pytest.approx([0.8, 0.9])
    assert V.share_of_customers_for(s, value_share=0.8) == pytest.approx(0.2)
    assert V.share_of_customers_for(s, value_share=0.85) == pytest.approx(0.4)
    assert V.gini([1, 1, 1, 1]) == 0.0
    assert V.gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert V.gini([-5, 0, 0, 10]) == pytest.approx(0.75)            # losses count as zero
    curve = V.lorenz(s, points=101)
    # Gini = 1 − 2 × area under the Lorenz curve (the curve is exact at every customer boundary)
    area = np.trapezoid(curve["cum_share_value"], curve["cum_share_customers"])
    assert 1 - 2 * area == pytest.approx(V.gini(s["monetary_total"]), abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1e5), min_size=10, max_size=300))
def test_value_properties(values):
    s = _s(values)
    g = V.gini(values)
    if sum(values) > 0:
        assert 0 <= g <= 1
        p = V.purchase_deciles(s)
        assert p["customers"].sum() == int((np.asarray(values) > 0).sum())
        assert (np.diff(p["cum_customers"]) >= 0).all()
        d = V.decile_table(s, profit=None)
        assert d["customers"].sum() == len(values) and d["customers"].max() - d["customers"].min() <= 1
        assert (np.diff(d["mean_value"].to_numpy()) <= 1e-9).all()        # decile 1 is the best
        top = V.pareto(s, top_shares=(0.1, 0.2, 0.5))["value_share"].to_numpy()
        assert (np.diff(top) >= -1e-12).all()


def test_abc_classes_value_and_customer_pyramids():
    s = _s([60.0, 25.0, 10.0, 5.0, -3.0], [60.0, 25.0, 10.0, 5.0, -3.0])
    a = V.abc_classes(s)
    assert a["abc_class"].tolist() == ["A", "B", "C", "D", "D"]
    assert a["abc_name"].tolist()[0] == "VIP" and a["abc_name_zh"].tolist()[0] == "VIP顾客"
    big = _s(list(np.arange(1000, 0, -1.0)), list(np.arange(1000, 0, -1.0)))
    c = V.abc_classes(big, by="customers", cuts=(0.01, 0.05, 0.20))
    assert c["abc_class"].value_counts().to_dict() == {"A": 10, "B": 40, "C": 150, "D": 800}
    t = V.abc_table(c)
    assert t["share_customers"].sum() == pytest.approx(1) and t["abc_class"].tolist() == ["A", "B", "C", "D"]
    with pytest.raises(ValueError, match="cuts"):
        V.abc_classes(s, cuts=(0.8, 0.5, 0.9))


def test_abc_classes_feed_the_segments_table():
    """dbmkit.segments calls value.abc_classes(summary) and reads customer_id / abc_class."""
    s = _s([5.0, 1.0, 3.0], [5.0, 1.0, 3.0])
    out = V.abc_classes(s)
    assert {"customer_id", "abc_class"} <= set(out.columns) and len(out) == 3


@pytest.fixture(scope="module")
def prof(small_ws):
    return V.profitability(small_ws, cost_per_return=8.0)


def test_profitability_reconciles_with_orders(small_ws, prof):
    o = small_ws.sql("""SELECT sum(net_amount) FILTER (WHERE status <> 'cancelled') AS net,
                               sum(discount) FILTER (WHERE status = 'completed') AS disc,
                               sum(cost) FILTER (WHERE status <> 'cancelled') AS cost FROM orders""").iloc[0]
    assert prof["net_revenue"].sum() == pytest.approx(o["net"], rel=1e-9)
    assert prof["discounts"].sum() == pytest.approx(o["disc"], rel=1e-9)
    assert prof["product_cost"].sum() == pytest.approx(o["cost"], rel=1e-9)
    # contact costs of the customers who bought (contacted prospects who never bought are not in the table)
    cc = small_ws.sql("""SELECT sum(m.cost_per_contact) AS c FROM contacts k JOIN campaigns m USING (campaign_id)
                         WHERE k."group" <> 'control' AND k.customer_id IN (SELECT customer_id FROM purchases)""")
    assert prof["contact_cost"].sum() == pytest.approx(cc["c"].iloc[0], rel=1e-9)
    row = prof.iloc[0]
    assert row["contribution"] == pytest.approx(row["net_revenue"] - row["product_cost"] - row["contact_cost"]
                                                - 8.0 * row["n_returns"])
    # summary of customers agrees with customer_summary
    s = small_ws.table("customer_summary")
    assert len(prof) == len(s)
    m = prof.merge(s[["customer_id", "margin_total"]], on="customer_id")
    assert np.allclose(m["gross_margin"], m["margin_total"])


def test_price_only_buyers_are_the_truths_deal_seekers(small_ws, prof):
    """The discount-share rule finds the synthetic truth's deal seekers: both precision and recall above 65 %."""
    pmap = truth_person_map(small_ws, one_per="person")      # each true person's database customer
    truth = small_ws.truth["people"][["person_id", "deal_seeker"]].merge(pmap, on="person_id")
    m = prof.merge(truth, on="customer_id")
    tp = (m["price_only"] & m["deal_seeker"]).sum()
    assert tp / m["price_only"].sum() > 0.65 and tp / m["deal_seeker"].sum() > 0.65
    summ = V.profitability_summary(prof).set_index("group")
    assert summ.loc["Price-only buyers", "margin_rate"] < summ.loc["Relationship customers", "margin_rate"]
    assert summ["customers"].sum() == len(prof)


def test_whale_curve_and_three_groups(prof):
    w = V.whale_curve(prof)
    assert w["cum_share_contribution"].iloc[-1] == pytest.approx(1.0)
    assert w["cum_share_contribution"].max() >= 1.0
    g = V.profitable_groups(prof)
    rel = g[~g["price_only"]]
    total = rel["net_revenue"].clip(lower=0).sum()
    top_share = rel.loc[rel["top"], "net_revenue"].sum() / total
    core_share = rel.loc[rel["core"], "net_revenue"].sum() / total
    assert 0.05 < top_share <= 0.10 + rel["net_revenue"].max() / total
    assert 0.35 < core_share < 0.45 + rel["net_revenue"].max() / total
    assert not (g["top"] & g["core"]).any() and not g.loc[g["price_only"], ["top", "core", "declining"]].any().any()
    d = g[g["declining"]]
    assert (d["contribution"] > 0).all() and (d["revenue_12m"] <= 0.5 * d["revenue_prev_12m"]).all()
    # the top group is far smaller than the core group, which is far smaller than the base
    assert g["top"].sum() < g["core"].sum() < len(g) / 2
    t = V.profitable_groups_table(g)
    assert t["group"].tolist() == ["top", "core", "declining"]
