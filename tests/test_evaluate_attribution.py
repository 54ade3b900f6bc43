"""Attribution: orders matched to contacts within the response window, overlap rules, counts of ambiguous cases."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit.evaluate import attribute_responses, attribution_summary, campaign_outcomes, contact_outcomes

T = pd.Timestamp


@pytest.fixture
def overlap():
    """Customer c1 is in campaign A (1 Jan) and B (10 Jan); c2 only in A (as control); c3 in nothing."""
    contacts = pd.DataFrame({"campaign_id": ["A", "A", "B"], "customer_id": ["c1", "c2", "c1"],
                             "group": ["treatment", "control", "treatment"],
                             "contact_ts": [T("2024-01-01 09:00"), T("2024-01-01 09:00"), T("2024-01-10 09:00")]})
    orders = pd.DataFrame({
        "order_id": ["o1", "o2", "o3", "o4", "o5", "o6", "o7"],
        "customer_id": ["c1", "c1", "c1", "c2", "c2", "c3", "c1"],
        "order_ts": [T("2024-01-05"), T("2024-01-12"), T("2024-02-05"), T("2024-01-20"), T("2023-12-31"),
                     T("2024-01-05"), T("2024-01-11")],
        "net_amount": [50.0, 80.0, 20.0, 30.0, 99.0, 10.0, 5.0], "cost": [30.0, 40.0, 10.0, 12.0, 50.0, 5.0, 2.0],
        "status": ["completed", "completed", "completed", "completed", "completed", "completed", "cancelled"]})
    return contacts, orders


def test_most_recent_rule(overlap):
    contacts, orders = overlap
    att = attribute_responses(contacts, orders, window_days=30, rule="most_recent")
    # o1 only in A's window; o2 in A's and B's → B (latest); o3 in B's (window to 9 Feb) only; o4 control of A;
    # o5 before the contact, o6 no contact, o7 cancelled: not attributed
    assert att[["order_id", "campaign_id"]].values.tolist() == [["o1", "A"], ["o2", "B"], ["o4", "A"], ["o3", "B"]]
    assert att.set_index("order_id").loc["o2", "n_candidates"] == 2
    assert att["ambiguous"].tolist() == [False, True, False, False]
    assert att.set_index("order_id").loc["o1", "margin"] == 20.0


def test_first_and_all_rules(overlap):
    contacts, orders = overlap
    first = attribute_responses(contacts, orders, window_days=30, rule="first")
    assert first.set_index("order_id").loc["o2", "campaign_id"] == "A"
    allr = attribute_responses(contacts, orders, window_days=30, rule="all")
    assert sorted(allr.loc[allr["order_id"] == "o2", "campaign_id"]) == ["A", "B"]
    # 'all' keeps every candidate: as many rows as (order, contact) pairs in a window
    assert len(allr) == 5


def test_window_boundaries(overlap):
    contacts, orders = overlap
    # window 4 days from 1 Jan 09:00 → o1 (5 Jan 00:00) is inside, a 3-day window leaves it out
    assert "o1" in set(attribute_responses(contacts, orders, window_days=4)["order_id"])
    assert "o1" not in set(attribute_responses(contacts, orders, window_days=3)["order_id"])


def test_summary_counts_ambiguous_orders(overlap):
    contacts, orders = overlap
    s = attribution_summary(attribute_responses(contacts, orders, window_days=30))
    s = s.set_index(["campaign_id", "group"])
    assert s.loc[("B", "treatment"), "orders"] == 2
    assert s.loc[("B", "treatment"), "ambiguous_orders"] == 1
    assert s.loc[("A", "treatment"), "ambiguous_orders"] == 0
    assert s.loc[("B", "treatment"), "revenue"] == 100.0


def test_contact_outcomes_one_row_per_contact(overlap):
    contacts, orders = overlap
    out = contact_outcomes(contacts.assign(cell=["X", "CTRL", "Y"]), orders, window_days=30, rule="all")
    out = out.set_index(["campaign_id", "customer_id"])
    assert out.loc[("A", "c1"), "responded"] == 1 and out.loc[("A", "c1"), "order_id"] == "o1"
    assert out.loc[("A", "c1"), "revenue"] == 130.0 and out.loc[("A", "c1"), "n_orders"] == 2
    assert out.loc[("A", "c2"), "revenue"] == 30.0
    assert out.loc[("B", "c1"), "revenue"] == 100.0 and bool(out.loc[("B", "c1"), "ambiguous"])
    assert out.loc[("A", "c1"), "cell"] == "X"
    mr = contact_outcomes(contacts, orders, window_days=30, rule="most_recent")
    mr = mr.set_index(["campaign_id", "customer_id"])
    assert mr.loc[("A", "c1"), "revenue"] == 50.0      # o2 went to B


def test_bad_input(overlap):
    contacts, orders = overlap
    with pytest.raises(ValueError, match="rule must be one of"):
        attribute_responses(contacts, orders, rule="last_touch")
    with pytest.raises(KeyError, match="contact_ts"):
        attribute_responses(contacts.drop(columns="contact_ts"), orders)
    with pytest.raises(ValueError, match="window_days"):
        attribute_responses(contacts, orders, window_days=None)


@settings(max_examples=30, deadline=None)
@given(days=st.lists(st.integers(0, 60), min_size=1, max_size=12), contacts_days=st.lists(st.integers(0, 60),
                                                                                          min_size=1, max_size=4))
def test_each_order_is_credited_once_under_a_rule(days, contacts_days):
    contacts = pd.DataFrame({"campaign_id": [f"K{i}" for i in range(len(contacts_days))], "customer_id": "c",
                             "contact_ts": [T("2024-01-01") + pd.Timedelta(days=d) for d in contacts_days]})
    orders = pd.DataFrame({"order_id": [f"o{i}" for i in range(len(days))], "customer_id": "c",
                           "order_ts": [T("2024-01-01 12:00") + pd.Timedelta(days=d) for d in days],
                           "net_amount": 1.0})
    allr = attribute_responses(contacts, orders, window_days=14, rule="all")
    for rule in ("most_recent", "first"):
        one = attribute_responses(contacts, orders, window_days=14, rule=rule)
        assert one["order_id"].is_unique
        assert set(one["order_id"]) == set(allr["order_id"])
        # the credited contact is the latest (earliest) of the candidates
        pick = allr.groupby("order_id")["contact_ts"].agg("max" if rule == "most_recent" else "min")
        assert (one.set_index("order_id")["contact_ts"] == pick.reindex(one["order_id"]).to_numpy()).all()
    assert (allr.groupby("order_id").size() == allr.groupby("order_id")["n_candidates"].first()).all()


def test_past_campaigns_of_the_small_client(small_ws):
    out = campaign_outcomes(small_ws)
    n_contacts = int(small_ws.sql("SELECT count(*) AS n FROM contacts")["n"].iloc[0])
    assert len(out) == n_contacts
    assert set(out["group"]) == {"treatment", "control"}
    # a coupon redemption is an order in the window: every redeemer responded
    assert (out.loc[out["redeemed"] == 1, "responded"] == 1).all()
    # the coupon code catches only part of the treated responders, and never a control (they got no coupon)
    tr = out[out["group"] == "treatment"]
    assert 0.3 < tr["redeemed"].sum() / tr["responded"].sum() < 1.0
    assert out.loc[out["group"] == "control", "redeemed"].sum() == 0
    # response_ts inside the window
    r = out[out["responded"] == 1]
    lag = (pd.to_datetime(r["response_ts"]) - pd.to_datetime(r["contact_ts"])).dt.total_seconds() / 86400
    assert ((lag >= 0) & (lag < r["window_days"])).all()
