"""KPI dashboard: CAC by channel and CLV:CAC, retention/churn, campaign history — recomputed independently."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dbmkit.evaluate import (
    cac_by_channel,
    campaign_economics,
    campaign_history,
    campaign_outcomes,
    kpi_dashboard,
    retention_rates,
)


def test_cac_by_channel_matches_the_customers_table(small_ws):
    c = cac_by_channel(small_ws).set_index("acquisition_channel")
    raw = small_ws.sql("""SELECT acquisition_channel, count(*) AS n, avg(acquisition_cost) AS cac FROM customers
                          WHERE NOT coalesce(is_test, false) AND NOT coalesce(is_staff, false) GROUP BY 1""")
    raw = raw.set_index(raw["acquisition_channel"].fillna("unknown"))
    assert (c["customers"] == raw["n"].reindex(c.index)).all()
    assert np.allclose(c["cac"], raw["cac"].reindex(c.index))
    assert np.allclose(c["clv_to_cac"], c["lifetime_value"] / c["cac"])
    # the synthetic truth: catalogue acquisition is the most expensive, store the cheapest (ACQ_CAC)
    assert c["cac"].idxmax() == "catalog" and c["cac"].idxmin() == "store"
    assert "value_basis" in c.attrs


def test_retention_by_hand(small_ws):
    r = retention_rates(small_ws, period_days=365)
    as_of = small_ws.as_of
    o = small_ws.sql("SELECT customer_id, order_ts FROM orders WHERE status = 'completed'")
    o = o[o["order_ts"] < as_of + pd.Timedelta(days=1)]
    last = r.iloc[-1]
    end = as_of + pd.Timedelta(days=1)
    this = set(o.loc[o["order_ts"] >= end - pd.Timedelta(days=365), "customer_id"])
    prev = set(o.loc[(o["order_ts"] >= end - pd.Timedelta(days=730)) & (o["order_ts"] < end - pd.Timedelta(days=365)),
                     "customer_id"])
    assert last["active"] == len(this) and last["active_previous"] == len(prev)
    assert last["retained"] == len(this & prev)
    assert last["retention_rate"] == pytest.approx(len(this & prev) / len(prev))
    assert last["churn_rate"] == pytest.approx(1 - last["retention_rate"])
    # only periods whose previous period lies inside the three-year history
    assert len(r) == 2
    q = retention_rates(small_ws, period_days=91)
    assert ((q["retention_rate"] > 0.3) & (q["retention_rate"] < 0.95)).all()


def test_campaign_history_equals_the_economics_of_each_campaign(small_ws):
    h = campaign_history(small_ws).set_index("campaign_id")
    assert list(h.index) == sorted(h.index)            # date order = id order for the synthetic campaigns
    out = campaign_outcomes(small_ws, "CMP03")
    camp = small_ws.sql("SELECT * FROM campaigns WHERE campaign_id = 'CMP03'").iloc[0]
    e = campaign_economics(out, camp["cost_per_contact"], camp["fixed_cost"]).iloc[0]
    for col in ("response_rate", "control_response_rate", "lift", "lift_ci_low", "incremental_profit", "roi"):
        assert h.loc["CMP03", col] == pytest.approx(e[col])
    assert h.loc["CMP03", "channel"] == "mail"


def test_dashboard_headline(small_ws):
    d = kpi_dashboard(small_ws)
    assert d.headline["churn_rate"] == pytest.approx(d.retention["churn_rate"].iloc[-1])
    assert d.headline["campaigns"] == len(d.campaigns) == 8
    w = (d.cac["cac"] * d.cac["customers"]).sum() / d.cac["customers"].sum()
    assert d.headline["cac"] == pytest.approx(w)
