"""Explore (chapter 20) on tiny hand-made databases: every number is computed by hand or by brute force.

``TinyWS`` is a stand-in workspace over an in-memory DuckDB holding a few hand-made tables; the other
test_explore/segments/basket/models files import it from here.
"""
from __future__ import annotations

from contextlib import contextmanager

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbmkit import explore
from dbmkit.config import load_config

CUSTOMER_COLS = {"customer_id": "", "is_test": False, "acquisition_channel": "store",
                 "signup_date": pd.Timestamp("2024-01-01"),
                 "birth_date": pd.NaT, "gender": "F", "postal_code": "A1", "household_id": None, "city": "X"}


class TinyWS:
    """A workspace stand-in: a config, an analysis date, and hand-made tables in an in-memory DuckDB."""

    def __init__(self, tables: dict[str, pd.DataFrame], as_of: str, **analysis):
        cfg = {"client": "tiny", "analysis_date": as_of, "data": {"synthetic": {"n_people": 100}}}
        if analysis:
            cfg["analysis"] = analysis
        self.cfg = load_config(cfg)
        self.truth = None
        self.language = "en"
        self.currency = "USD"
        self._con = duckdb.connect()
        for name, df in tables.items():
            self._con.register("_t", df)
            self._con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _t')
            self._con.unregister("_t")

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.cfg.analysis_date)

    @contextmanager
    def connect(self, read_only: bool = True):
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def sql(self, query, params=None):
        with self.connect() as con:
            return con.execute(query, params or []).df()

    def table(self, name, build=True):
        return self.sql(f'SELECT * FROM "{name}"')


def customers(ids, **cols) -> pd.DataFrame:
    rows = []
    for i, cid in enumerate(ids):
        r = dict(CUSTOMER_COLS, customer_id=cid)
        for k, v in cols.items():
            r[k] = v[i] if isinstance(v, (list, tuple)) else v
        rows.append(r)
    return pd.DataFrame(rows)


def orders(rows) -> pd.DataFrame:
    """rows: (order_id, customer_id, date, net, status[, channel, cost, original_order_id])."""
    out = []
    for r in rows:
        oid, cid, d, net, status = r[:5]
        ch = r[5] if len(r) > 5 else "web"
        cost = r[6] if len(r) > 6 else 0.0
        orig = r[7] if len(r) > 7 else None
        out.append({"order_id": oid, "customer_id": cid, "order_ts": pd.Timestamp(d) + pd.Timedelta(hours=12),
                    "channel": ch, "store_id": None, "gross_amount": float(net), "discount": 0.0,
                    "net_amount": float(net), "cost": float(cost), "status": status, "original_order_id": orig})
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------------ customers over time
def test_customers_over_time_by_hand():
    # active while the last purchase is at most 30 days old, inactive up to 60, long inactive after
    cust = customers(["a", "b", "c"])
    o = orders([("1", "a", "2024-01-01", 10, "completed"), ("2", "a", "2024-01-20", 10, "completed"),
                ("3", "a", "2024-04-15", 10, "completed"), ("4", "b", "2024-01-10", 10, "completed"),
                ("5", "c", "2024-03-05", 10, "cancelled")])
    ws = TinyWS({"customers": cust, "orders": o}, "2024-05-31")
    f = explore.customers_over_time(ws, active_days=30, long_inactive_days=60).set_index("month")
    # a: active Jan–Feb 19, inactive Feb 20 – Mar 20, long inactive Mar 21 – Apr 14, back Apr 15, inactive May 16
    # b: active Jan 10 – Feb 9, inactive Feb 10 – Mar 10, long inactive from Mar 11; c only cancelled: never a customer
    exp = pd.DataFrame({
        "new_customers": [2, 0, 0, 0, 0], "reactivated": [0, 0, 0, 1, 0], "newly_inactive": [0, 2, 0, 0, 1],
        "newly_long_inactive": [0, 0, 2, 0, 0], "active": [2, 0, 0, 1, 0], "inactive": [0, 2, 0, 0, 1],
        "long_inactive": [0, 0, 2, 1, 1]},
        index=pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"]))
    for c in exp.columns:
        assert f[c].tolist() == exp[c].tolist(), c
    assert f["ever_bought"].tolist() == [2, 2, 2, 2, 2]
    assert f["churn_rate"].iloc[1] == 1.0                 # both active customers of January lapsed in February
    assert explore.customers_active(ws, 30) == 0
    assert explore.customers_active(ws, 50) == 1          # a bought on Apr 15, 46 days before May 31


def _brute_force_states(purchase_days: dict[str, list[int]], month_ends: list[int], a: int, b: int):
    out = []
    for m in month_ends:
        act = lap = lost = 0
        for days in purchase_days.values():
            before = [d for d in days if d <= m]
            if not before:
                continue
            s = m - max(before)
            act += s <= a
            lap += a < s <= b
            lost += s > b
        out.append((act, lap, lost))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(list("abcdefgh")), st.lists(st.integers(0, 420), min_size=1, max_size=6),
                       min_size=1, max_size=6),
       st.integers(5, 90), st.integers(1, 120))
def test_customers_over_time_matches_brute_force(purchases, active_days, extra):
    start = pd.Timestamp("2023-01-01")
    as_of = start + pd.Timedelta(days=430)
    rows, k = [], 0
    for cid, days in purchases.items():
        for d in days:
            k += 1
            rows.append((str(k), cid, start + pd.Timedelta(days=d), 5.0, "completed"))
    ws = TinyWS({"customers": customers(sorted(purchases)), "orders": orders(rows)}, str(as_of.date()))
    lost_days = active_days + extra
    f = explore.customers_over_time(ws, active_days=active_days, long_inactive_days=lost_days)
    ends = [min((m + pd.offsets.MonthEnd(0)), as_of) for m in f["month"]]
    expect = _brute_force_states(purchases, [(e - start).days for e in ends], active_days, lost_days)
    got = list(zip(f["active"], f["inactive"], f["long_inactive"]))
    assert got == expect
    # flows explain the stocks
    assert (f["new_customers"].cumsum() == f["ever_bought"]).all()


def test_customers_over_time_rejects_bad_windows():
    ws = TinyWS({"customers": customers(["a"]), "orders": orders([("1", "a", "2024-01-01", 1, "completed")])},
                "2024-02-01")
    with pytest.raises(ValueError, match="active_days < long_inactive_days"):
        explore.customers_over_time(ws, active_days=30, long_inactive_days=10)


# ------------------------------------------------------------------------------------------------ churn
def test_churn_by_channel_by_hand():
    cust = customers(["a", "b", "c", "d", "e"], acquisition_channel=["web", "web", "store", "store", "store"])
    o = orders([("1", "a", "2024-01-10", 5, "completed"), ("2", "a", "2024-03-01", 5, "completed"),   # retained
                ("3", "b", "2024-01-20", 5, "completed"),                                           # churned
                ("4", "c", "2023-06-01", 5, "completed"),            # not active at the start (too long ago)
                ("5", "d", "2024-02-01", 5, "completed"), ("6", "d", "2024-02-20", 5, "cancelled"),  # churned
                ("7", "e", "2024-02-10", 5, "completed"), ("8", "e", "2024-04-01", 5, "completed")])  # retained
    ws = TinyWS({"customers": cust, "orders": o}, "2024-05-01")
    c = explore.churn_by_channel(ws, period_days=60, active_days=90).set_index("group")   # start = 2024-03-02
    assert c.loc["web", ["active_at_start", "retained", "churned"]].tolist() == [2, 0, 2]   # a bought on Mar 1
    assert c.loc["store", ["active_at_start", "retained", "churned"]].tolist() == [2, 1, 1]
    assert c.loc["(all)", "churn_rate"] == pytest.approx(3 / 4)
    assert c.loc["web", "index"] == pytest.approx(100 * 1.0 / 0.75)
    with pytest.raises(ValueError, match="column of customers"):
        explore.churn_by_channel(ws, by="favourite_colour")


# ------------------------------------------------------------------------------------------------ revenue
def _shop():
    cust = customers(["a", "b"], acquisition_channel=["web", "store"])
    o = orders([("1", "a", "2024-01-05", 100, "completed", "web", 60),
                ("2", "a", "2024-02-07", 50, "completed", "app", 20),
                ("3", "b", "2024-02-08", 30, "completed", "store", 10),
                ("4", "b", "2024-02-09", 70, "cancelled", "store", 30),
                ("1-R", "a", "2024-02-10", -100, "returned", "web", -60, "1")])
    products = pd.DataFrame({"product_id": ["p1", "p2", "p3"], "name": ["Tent", "Bag", "Mug"],
                             "category": ["Outdoor", "Outdoor", "Kitchen"], "subcategory": ["Tents", "Bags", "Mugs"],
                             "unit_cost": [30.0, 10.0, 5.0], "list_price": [60.0, 20.0, 10.0]})
    items = pd.DataFrame({"order_id": ["1", "1", "2", "3", "4"], "line_no": [1, 2, 1, 1, 1],
                          "product_id": ["p1", "p2", "p3", "p3", "p1"], "quantity": [1, 2, 5, 3, 1],
                          "unit_price": [60.0, 20.0, 10.0, 10.0, 70.0], "discount": [0.0, 0.0, 0.0, 0.0, 0.0]})
    return TinyWS({"customers": cust, "orders": o, "products": products, "order_items": items}, "2024-02-29")


def test_revenue_by_period_and_bridge_by_hand():
    ws = _shop()
    p = explore.revenue_by_period(ws, "month").set_index("period")
    jan, feb = p.loc[pd.Timestamp("2024-01-01")], p.loc[pd.Timestamp("2024-02-01")]
    assert (jan["customers"], jan["orders"], jan["revenue"], jan["new_customers"]) == (1, 1, 100.0, 1)
    # February: a's second order and the return of January's order, b's first order; b's cancelled order ignored
    assert (feb["customers"], feb["orders"], feb["revenue"], feb["new_customers"]) == (2, 2, -20.0, 1)
    assert feb["revenue_new"] == 30.0 and feb["revenue_returning"] == -50.0
    assert feb["margin"] == pytest.approx((50 - 20) + (30 - 10) + (-100 + 60))
    b = explore.revenue_bridge(p.reset_index().assign(revenue=[100.0, 160.0]), complete_only=False)
    r = b.iloc[0]
    assert r["customers_effect"] + r["frequency_effect"] + r["order_value_effect"] == pytest.approx(60.0)
    assert r["frequency_effect"] == pytest.approx(0.0)   # 1 order per customer in both months


@given(st.lists(st.tuples(st.integers(1, 500), st.integers(1, 5), st.floats(5, 500)), min_size=2, max_size=6))
def test_revenue_bridge_effects_add_up(rows):
    t = pd.DataFrame({"period": range(len(rows)), "customers": [c for c, _, _ in rows],
                      "orders": [c * f for c, f, _ in rows], "revenue": [c * f * a for c, f, a in rows]})
    b = explore.revenue_bridge(t)
    total = b[["customers_effect", "frequency_effect", "order_value_effect"]].sum(axis=1)
    assert np.allclose(total, b["change"], rtol=1e-9, atol=1e-6)


def test_revenue_by_category_takes_returns_from_the_original_lines():
    ws = _shop()
    cat = explore.revenue_by(ws, "category").set_index("group")
    # Outdoor: order 1 (60 + 40) returned in full → 0; Kitchen: 50 + 30
    assert cat.loc["Outdoor", "revenue"] == pytest.approx(0.0)
    assert cat.loc["Kitchen", "revenue"] == pytest.approx(80.0)
    assert cat.loc["Kitchen", "margin"] == pytest.approx(80 - 8 * 5.0)
    ch = explore.revenue_by(ws, "channel")
    assert ch["revenue"].sum() == pytest.approx(cat["revenue"].sum())
    seg = pd.DataFrame({"customer_id": ["a", "b"], "tier": ["gold", "silver"]})
    s = explore.revenue_by(ws, "segment", segments=seg, segment_col="tier").set_index("group")
    assert s.loc["gold", "revenue"] == pytest.approx(50.0) and s.loc["silver", "revenue"] == pytest.approx(30.0)
    monthly = explore.revenue_by(ws, "channel", period="month")
    assert set(monthly["period"].dt.month) == {1, 2}
    with pytest.raises(ValueError, match="segments="):
        explore.revenue_by(ws, "segment")
    with pytest.raises(ValueError, match="choose one of"):
        explore.revenue_by(ws, "weather")


def test_multichannel_spend_by_hand():
    s = pd.DataFrame({"channels_used": [1, 1, 2, 3], "monetary_total": [100.0, 50.0, 400.0, 200.0],
                      "n_orders": [2, 1, 4, 2], "margin_total": [40.0, 20.0, 160.0, 80.0],
                      "revenue_12m": [10.0, 0.0, 90.0, 30.0]})
    m = explore.multichannel_spend(s).set_index("channels")
    assert m.loc["single", "revenue_per_customer"] == 75.0
    assert m.loc["multi", "revenue_per_customer"] == 300.0
    assert m.loc["multi", "revenue_per_order"] == pytest.approx(600 / 6)
    assert m.loc["3", "customers"] == 1 and m.loc["single", "share"] == 0.5
    with pytest.raises(KeyError, match="customer_summary"):
        explore.multichannel_spend(s.drop(columns="n_orders"))


def test_churn_period_fits_a_short_history():
    cust = customers(["a", "b"])
    o = orders([("1", "a", "2024-01-01", 5, "completed"), ("2", "a", "2024-03-20", 5, "completed"),
                ("3", "b", "2024-02-01", 5, "completed")])
    ws = TinyWS({"customers": cust, "orders": o}, "2024-05-30", active_days=60)
    with pytest.raises(ValueError, match="history is too short"):
        explore.churn_by_channel(ws, period_days=365)
    c = explore.churn_by_channel(ws, period_days=None)
    # 150 days of history and a 60-day activity window: churn over the last 90 days (start 2024-03-01)
    assert c.attrs == {"period_days": 90, "active_days": 60}
    assert c.set_index("group").loc["(all)", ["active_at_start", "churned"]].tolist() == [2, 1]
