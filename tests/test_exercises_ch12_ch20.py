"""Chapters 12 and 20 "Your turn" on the small client: each expected value has the right kind, an answer computed
independently here (pandas or SQL) is accepted, the usual wrong answers are rejected and each diagnosis names the
mistake it was written for."""
from __future__ import annotations

import pandas as pd
import pytest

import dbmkit as dbm
from dbmkit import exercises as E
from dbmkit.exercises import ch12, ch20


def fb(ex_id, answer, ws, **ctx):
    return E.check(ex_id, answer, ws, **ctx)


@pytest.fixture(scope="module")
def people(small_ws):
    return int(len(small_ws.sql("SELECT customer_id FROM customers")))


def test_every_exercise_has_meta_and_at_least_half_build_or_decide():
    E.load_all()
    for mod, chapter in ((ch12, "12"), (ch20, "20")):
        ids = [i for i in E.REGISTRY if i.startswith(chapter + ".")]
        assert len(ids) >= 4 and set(ids) <= set(mod.META)
        active = [i for i in ids if E.REGISTRY[i].title.startswith(("Build", "Decide", "SQL"))]
        assert 2 * len(active) >= len(ids)


def test_12_1_revenue_table(small_ws):
    sales = small_ws.sql("SELECT channel, net_amount FROM sales")
    hand = (sales.groupby("channel", as_index=False)["net_amount"].sum().rename(columns={"net_amount": "revenue"})
            .sort_values("revenue", ascending=False))
    assert fb("12.1", hand, small_ws).correct is True
    assert fb("12.1", hand.sort_values("revenue"), small_ws).correct is False


def test_12_2_multichannel_customers_and_the_orders_mistake(small_ws):
    s = small_ws.sql("SELECT customer_id, channel, order_id FROM sales WHERE net_amount > 0")
    hand = int((s.groupby("customer_id")["channel"].nunique() >= 2).sum())
    assert isinstance(ch12._multichannel(small_ws), int)
    assert fb("12.2", hand, small_ws).correct is True
    two_orders = int((s.groupby("customer_id")["order_id"].nunique() >= 2).sum())
    assert two_orders != hand
    wrong = fb("12.2", two_orders, small_ws)
    assert wrong.correct is False and wrong.diagnosis == "other_count" and "two orders" in wrong.message
    assert fb("12.2", hand + 1, small_ws).correct is False


def test_12_3_emailable_and_its_diagnoses(small_ws, people):
    sup = dbm.database.suppression_list(small_ws, "email")
    hand = people - sup["customer_id"].nunique()
    assert fb("12.3", hand, small_ws).correct is True
    assert len(sup) != sup["customer_id"].nunique()                 # several reasons per customer on this client
    rows = fb("12.3", people - len(sup), small_ws)
    assert rows.correct is False and "distinct customer_id" in rows.message
    suppressed = fb("12.3", sup["customer_id"].nunique(), small_ws)
    assert suppressed.correct is False and "suppressed customers" in suppressed.message


def test_12_4_stale_and_the_purchases_only_mistake(small_ws):
    expected = ch12._stale(small_ws)
    assert isinstance(expected, int)
    assert fb("12.4", float(expected), small_ws).correct is True
    assert fb("12.4", expected + 1, small_ws).correct is False
    q = """SELECT count(*) AS n FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o
           WHERE o.customer_id = c.customer_id AND CAST(o.order_ts AS DATE) >= ?)"""
    purchases_only = int(small_ws.sql(q, [(small_ws.as_of - pd.DateOffset(years=2)).date()])["n"].iloc[0])
    diag = ch12.META["12.4"]["diagnoses"][0][0]
    assert diag(purchases_only, expected, small_ws) is (purchases_only != expected)
    assert diag(expected, expected, small_ws) is False


def test_12_5_best_channel_in_english_or_chinese(small_ws, people):
    reach = {ch: people - dbm.database.suppression_list(small_ws, ch)["customer_id"].nunique()
             for ch in ("email", "sms", "mail")}
    best = max(reach, key=reach.get)
    zh = {"email": "邮件", "sms": "短信", "mail": "直邮"}
    assert fb("12.5", best, small_ws).correct is True
    assert fb("12.5", zh[best], small_ws).correct is True
    assert fb("12.5", best.upper(), small_ws).correct is True
    for other in set(reach) - {best}:
        assert fb("12.5", other, small_ws).correct is False
    rows = {ch: len(dbm.database.suppression_list(small_ws, ch)) for ch in reach}
    fewest = min(rows, key=rows.get)
    diag = ch12.META["12.5"]["diagnoses"][0][0]
    assert diag(fewest, best, small_ws) is (fewest != best)


def test_20_1_active_customers_by_hand(small_ws):
    days = small_ws.cfg.analysis.active_days
    o = small_ws.sql("SELECT customer_id, order_ts, status FROM orders")
    c = small_ws.sql("SELECT customer_id, is_test FROM customers")
    o = o.merge(c, on="customer_id")
    d = pd.Timestamp(small_ws.as_of.date())
    win = o[(o["status"] == "completed") & (o["order_ts"].dt.normalize() <= d)
            & (o["order_ts"].dt.normalize() >= d - pd.Timedelta(days=days)) & ~o["is_test"].fillna(False)]
    hand = int(win["customer_id"].nunique())
    assert fb("20.1", hand, small_ws, active_days=None).correct is True
    wrong = fb("20.1", len(win), small_ws, active_days=None)            # orders, not customers
    assert len(win) != hand and wrong.correct is False and wrong.diagnosis == "other_count"
    cs = small_ws.table("customer_summary")
    assert fb("20.1", int((cs["days_since_last"] <= days).sum()), small_ws).correct is True   # the pandas form
    assert fb("20.1", hand + 3, small_ws).correct is False


def test_20_2_worst_channel_by_rate_not_by_number(small_ws):
    c = dbm.explore.churn_by_channel(small_ws, period_days=365)
    c = c[c["group"] != "(all)"]
    rate = c.assign(r=c["churned"] / c["active_at_start"]).sort_values("r", ascending=False)["group"].iloc[0]
    assert fb("20.2", rate, small_ws, period_days=365).correct is True
    zh = {"affiliate": "联盟推广", "social": "社交媒体", "web_search": "搜索引擎", "referral": "推荐", "store": "门店",
          "catalog": "目录/电话"}
    if rate in zh:
        assert fb("20.2", zh[rate], small_ws, period_days=365).correct is True
    biggest = c.sort_values("churned", ascending=False)["group"].iloc[0]
    diag = ch20.META["20.2"]["diagnoses"][0][0]
    assert diag(biggest, rate, small_ws, period_days=365) is (biggest != rate)
    if biggest != rate:
        assert "churn RATE" in fb("20.2", biggest, small_ws, period_days=365).message


def test_20_3_per_order_ratio_and_its_diagnoses(small_ws):
    cs = small_ws.table("customer_summary")
    multi, single = cs[cs["channels_used"] >= 2], cs[cs["channels_used"] < 2]
    per_order = (multi["monetary_total"].sum() / multi["n_orders"].sum()) / (
        single["monetary_total"].sum() / single["n_orders"].sum())
    assert fb("20.3", per_order, small_ws).correct is True
    assert "per customer" in fb("20.3", multi["monetary_total"].mean() / single["monetary_total"].mean(),
                                small_ws).message
    assert "divided single by multi" in fb("20.3", 1 / per_order, small_ws).message


def test_20_4_peak_month(small_ws):
    cs = small_ws.table("customer_summary")
    month = cs["first_purchase"].dt.to_period("M").value_counts().idxmax().strftime("%Y-%m")
    assert fb("20.4", month, small_ws).correct is True
    assert fb("20.4", "1999-01", small_ws).correct is False


def test_20_5_multichannel_share_and_the_count_mistake(small_ws):
    cs = small_ws.table("customer_summary")
    n = int((cs["channels_used"] > 1).sum())
    share = n / len(cs)
    assert isinstance(ch20._multi_share(small_ws), float)
    assert fb("20.5", share, small_ws).correct is True
    assert fb("20.5", 100 * share, small_ws).correct is True          # an unambiguous percent is accepted
    count = fb("20.5", n, small_ws)
    assert count.correct is False and "number of multi-channel customers" in count.message
    assert fb("20.5", share * 1.02, small_ws).correct is False

