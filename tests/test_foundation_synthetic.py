"""The synthetic retailer: deterministic, consistent with its truth, dirty at the configured rates."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dbmkit.clean import email_is_valid
from dbmkit.datasets import CAMPAIGN_PLAN, synthetic


def test_same_seed_same_world(small_world):
    again = synthetic(n_people=1500, seed=3)
    for name in ("customers", "orders", "order_items", "contacts", "email_events", "consents"):
        pd.testing.assert_frame_equal(small_world.tables[name], again.tables[name], obj=name)
    for name in ("web_accounts.csv", "pos_sales.csv", "crm_customers.csv"):
        pd.testing.assert_frame_equal(small_world.raw[name], again.raw[name], obj=name)
    pd.testing.assert_frame_equal(small_world.truth["people"], again.truth["people"])


def test_other_seed_other_world(small_world):
    other = synthetic(n_people=1500, seed=4, raw=False)
    assert not small_world.tables["orders"]["net_amount"].equals(other.tables["orders"]["net_amount"])


def test_world_contents(small_world):
    t, truth = small_world.tables, small_world.truth
    assert len(t["customers"]) == 1500
    assert set(t["orders"]["channel"]) == {"store", "web", "app", "catalog"}
    assert set(t["orders"]["status"]) == {"completed", "cancelled", "returned"}
    assert (t["orders"].loc[t["orders"]["status"] == "returned", "net_amount"] <= 0).all()
    assert len(t["campaigns"]) == 8 and set(t["campaigns"]["channel"]) == {"email", "sms", "mail", "phone"}
    assert set(t["email_events"]["event"]) >= {"sent", "delivered", "bounced", "opened", "clicked", "unsubscribed"}
    assert set(truth["people"]["uplift_type"]) == {"persuadable", "sure_thing", "lost_cause", "do_not_disturb"}
    assert t["area_demographics"]["households"].gt(0).all()
    # buyers make up the configured share; everyone who bought has a first purchase at sign-up or later
    buyers = truth["people"]["buyer"].mean()
    assert 0.84 < buyers < 0.92
    first = t["orders"].groupby("customer_id")["order_ts"].min()
    signup = t["customers"].set_index("customer_id")["signup_date"].reindex(first.index)
    assert (first.dt.normalize() >= pd.to_datetime(signup)).all()


def test_control_groups_are_random_with_the_planned_share(small_world):
    ct = small_world.tables["contacts"]
    share = ct.groupby("campaign_id")["group"].apply(lambda g: (g == "control").mean())
    planned = pd.Series({f"CMP{i + 1:02d}": p["control"] for i, p in enumerate(CAMPAIGN_PLAN)})
    n = ct.groupby("campaign_id").size()
    tol = 4 * np.sqrt(planned.reindex(share.index) * (1 - planned.reindex(share.index)) / n) + 0.01
    assert ((share - planned.reindex(share.index)).abs() <= tol).all()
    assert set(ct.loc[ct["campaign_id"] == "CMP08", "cell"]) == {"A", "B", "CTRL"}


def test_raw_exports_reconcile_with_the_truth(small_world):
    raw, t, rec = small_world.raw, small_world.tables, small_world.truth["records"]
    # every customer record of every system is in the truth, with its person (test accounts have none)
    ids = pd.concat([raw["crm_customers.csv"]["CustNo"], raw["web_accounts.csv"]["account_id"],
                     raw["loyalty_members.xlsx"]["CardNo"]])
    assert set(ids) == set(rec["record_id"])
    assert rec.loc[rec["is_test"], "person_id"].isna().all()
    assert rec.loc[~rec["is_test"], "person_id"].notna().all()
    # loyalty card numbers keep their leading zeros
    assert raw["loyalty_members.xlsx"]["CardNo"].str.startswith("0").all()
    # every order of the truth is in exactly one sales export
    web = raw["web_orders.csv"]
    crm = raw["crm_orders.csv"]
    pos = raw["pos_sales.csv"]
    exported = set(web["order_id"]) | set(crm["OrderNo"]) | set(pos["invoice_no"])
    sales = t["orders"][t["orders"]["status"] != "returned"]
    assert set(sales["order_id"]) <= exported
    # net revenue of completed orders agrees between truth and exports (before dirt on amounts)
    truth_web = t["orders"].query("channel in ['web', 'app'] and status != 'returned'")["net_amount"].sum()
    assert web.loc[~web["account_id"].str.startswith("W99"), "total"].sum() == pytest.approx(truth_web, rel=1e-6)


def test_dirt_rates_as_configured():
    w = synthetic(n_people=4000, seed=8, duplicate_share=0.08, invalid_email_share=0.04)
    rec = w.truth["records"]
    real = rec[rec["person_id"].notna()]
    dup = (real.groupby("person_id").size() > 1).mean()
    assert abs(dup - 0.08) < 0.02
    dirt = w.truth["raw_dirt"]
    has = dirt[dirt["has_email"]]
    assert abs(has["email_invalid"].mean() - 0.04) < 0.012
    # and the invalid ones really fail validation in the web export
    web = w.raw["web_accounts.csv"].merge(dirt, left_on="account_id", right_on="record_id")
    web = web[web["email"].notna()]
    assert (~email_is_valid(web.loc[web["email_invalid"], "email"])).mean() > 0.95
    assert email_is_valid(web.loc[~web["email_invalid"], "email"]).mean() > 0.99


def test_planted_sequence_tv_then_speakers(small_world):
    items = small_world.tables["order_items"].merge(small_world.truth["products"][["product_id", "subcategory_key"]])
    orders = small_world.tables["orders"][["order_id", "customer_id", "order_ts", "status"]]
    x = items.merge(orders)
    x = x[x["status"] == "completed"]
    tv = x[x["subcategory_key"] == "TVs"].groupby("customer_id")["order_ts"].min()
    sp = x[x["subcategory_key"] == "Speakers"][["customer_id", "order_ts"]]
    m = sp.merge(tv.rename("tv_ts"), left_on="customer_id", right_index=True)
    followed = m[(m["order_ts"] > m["tv_ts"]) & (m["order_ts"] <= m["tv_ts"] + pd.Timedelta(days=90))]
    rate = followed["customer_id"].nunique() / len(tv)
    assert 0.25 < rate < 0.60     # planted 30 % plus the base rate of buying speakers anyway


def test_zh_locale():
    w = synthetic(n_people=400, seed=2, locale="zh", n_campaigns=2)
    c = w.tables["customers"]
    assert c["last_name"].str.match(r"^[\u4e00-\u9fff]{1,2}$").all()
    assert c["phone"].dropna().str.match(r"^\+861[3-9]\d{9}$").all()
    assert w.params["currency"] == "CNY"
    assert "客户编号" in w.raw["crm_customers.csv"].columns


def test_truth_future_and_uplift(small_world):
    p = small_world.truth["people"]
    assert (p.loc[~p["buyer"], "future_orders"] == 0).all()
    # alive people buy more in the future year than dead ones
    alive = p[p["buyer"]].groupby("alive_at_end")["future_orders"].mean()
    assert alive[True] > 3 * alive[False]
    u = small_world.truth["campaign_uplift"]
    assert (u.loc[u["uplift_type"] == "do_not_disturb", "true_uplift"] <= 1e-12).all()
    assert (u.loc[u["uplift_type"] == "persuadable", "true_uplift"] >= 0).all()
