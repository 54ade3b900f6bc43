"""Model features as of a moment (chapter 26): nothing at or after the snapshot leaks into the features; response
and churn labels by hand."""
from __future__ import annotations

import pandas as pd
import pytest
from test_explore_hand import TinyWS, customers, orders

from dbmkit import models


def _ws():
    cust = customers(["a", "b", "p"], signup_date=[pd.Timestamp("2023-01-01"), pd.Timestamp("2023-06-01"),
                                                   pd.Timestamp("2024-01-01")],
                     birth_date=[pd.Timestamp("1980-03-01"), pd.NaT, pd.Timestamp("2000-01-01")],
                     gender=["F", None, "M"], acquisition_channel=["store", "social", "web"])
    o = orders([("1", "a", "2023-02-01", 100, "completed", "web", 40),
                ("2", "a", "2023-12-01", 50, "completed", "store", 20),
                ("3", "a", "2024-03-10", 80, "completed", "web", 30),      # the response to the campaign below
                ("4", "a", "2023-12-05", 30, "cancelled", "web", 10),
                ("2-R", "a", "2023-12-20", -50, "returned", "store", -20, "2"),
                ("5", "b", "2023-07-01", 20, "completed", "app", 5),
                ("6", "b", "2024-05-01", 20, "completed", "app", 5)])
    campaigns = pd.DataFrame({"campaign_id": ["C1"], "name": ["Spring"], "channel": ["email"], "offer": ["10%"],
                              "start_date": [pd.Timestamp("2024-03-01")], "end_date": [pd.Timestamp("2024-03-15")],
                              "cost_per_contact": [0.1], "fixed_cost": [100.0], "segment": ["all"]})
    contacts = pd.DataFrame({"campaign_id": ["C1", "C1", "C1"],
                             "customer_id": ["a", "b", "p"], "cell": ["E1", "E1", "CTRL"],
                             "group": ["treatment", "treatment", "control"],
                             "contact_ts": pd.to_datetime(["2024-03-01 09:00"] * 3), "channel": ["email"] * 3})
    responses = pd.DataFrame({"campaign_id": ["C1"], "customer_id": ["a"],
                              "response_ts": [pd.Timestamp("2024-03-10 12:00")],
                              "order_id": ["3"], "revenue": [80.0]})
    events = pd.DataFrame({"campaign_id": ["C0", "C0", "C1"], "customer_id": ["a", "a", "a"],
                           "event": ["opened", "clicked", "opened"],
                           "event_ts": pd.to_datetime(["2023-12-02 00:00", "2023-12-02 01:00", "2024-03-01 10:00"])})
    return TinyWS({"customers": cust, "orders": o, "campaigns": campaigns, "contacts": contacts,
                   "responses": responses, "email_events": events}, "2024-06-30")


def test_features_use_only_what_was_known_at_the_snapshot():
    ws = _ws()
    snap = pd.DataFrame({"customer_id": ["a", "a", "b", "p"],
                         "snapshot_ts": pd.to_datetime(["2024-03-01 09:00", "2024-07-01 00:00", "2024-03-01 09:00",
                                                        "2024-03-01 09:00"])})
    f = models.model_features(ws, snap).set_index("snapshot_id")
    a0, a1, b0, p0 = (f.loc[i] for i in range(4))
    # a on the contact day: orders 1 and 2 (completed), the cancelled one and the return count as they should
    assert a0["orders_total"] == 2 and a0["purchase_days"] == 2
    assert a0["revenue_total"] == pytest.approx(100 + 50 - 50)       # the return of order 2 is netted
    assert a0["margin_total"] == pytest.approx(60 + 30 - 30)
    assert a0["return_share"] == pytest.approx(50 / 150)
    assert a0["days_since_last"] == (pd.Timestamp("2024-03-01") - pd.Timestamp("2023-12-01")).days
    assert a0["days_since_first"] == (pd.Timestamp("2024-03-01") - pd.Timestamp("2023-02-01")).days
    assert a0["orders_12m"] == 1 and a0["orders_90d"] == 0          # order 2 was 91 days before
    assert a0["channels_used"] == 2 and a0["never_bought"] == 0
    assert a0["contacts_total"] == 0 and a0["responses_total"] == 0   # the contact itself is not "before"
    assert a0["email_opens_180d"] == 1 and a0["email_clicks_180d"] == 1
    assert a0["age"] == 44 and a0["age_known"] == 1 and a0["gender"] == "F"
    # the same customer today: the response order, the contact and the response are now history
    assert a1["orders_total"] == 3 and a1["contacts_total"] == 1 and a1["responses_total"] == 1
    assert a1["days_since_last"] == (pd.Timestamp("2024-07-01") - pd.Timestamp("2024-03-10")).days
    assert b0["orders_total"] == 1 and b0["gender"] == "U" and b0["age_known"] == 0
    assert p0["never_bought"] == 1 and pd.isna(p0["days_since_last"]) and p0["revenue_total"] == 0
    x, cats = models.design_matrix(f.reset_index())
    assert x.notna().all().all() and "acquisition_channel=social" in x.columns
    x2, _ = models.design_matrix(f.reset_index().iloc[:1], cats)
    assert list(x2.columns) == list(x.columns)                        # scoring data is encoded like training data
    with pytest.raises(KeyError, match="snapshot_ts"):
        models.model_features(ws, snap.drop(columns="snapshot_ts"))


def test_response_labels_and_training_set_by_hand():
    ws = _ws()
    tr = models.response_training_set(ws).set_index("customer_id")
    assert set(tr.index) == {"a", "b"}                                # treated contacts only
    assert tr.loc["a", "responded"] == 1 and tr.loc["b", "responded"] == 0   # b bought in May: outside the window
    assert tr.loc["a", "window_days"] == 14 and tr.loc["a", "ctx_channel"] == "email"
    assert tr.loc["a", "orders_total"] == 2                           # features as of the contact
    leaky = models.response_training_set(ws, features_as_of="today").set_index("customer_id")
    assert leaky.loc["a", "orders_total"] == 3                        # the leak: the response is a feature
    allc = models.response_training_set(ws, group="all")
    assert len(allc) == 3
    with pytest.raises(ValueError, match="features_as_of"):
        models.response_training_set(ws, features_as_of="yesterday")


def test_churn_labels_by_hand():
    ws = _ws()
    c = models.churn_training_set(ws, snapshot="2024-02-29", horizon_days=60).set_index("customer_id")
    assert c.loc["a", "churned"] == 0                                 # bought on 2024-03-10
    assert c.loc["b", "churned"] == 1                                 # next purchase 2024-05-01, after 60 days
    c90 = models.churn_training_set(ws, snapshot="2024-02-29", horizon_days=90).set_index("customer_id")
    assert c90.loc["b", "churned"] == 0
    assert c.loc["p", "churned"] == 1 and c.loc["p", "bought_before"] == 0
    assert c.loc["a", "orders_total"] == 2
    with pytest.raises(ValueError, match="ends after the analysis date"):
        models.churn_training_set(ws, snapshot="2024-06-01", horizon_days=90)
