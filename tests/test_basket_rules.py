"""Baskets and sequences (chapter 25): pair rules by hand and against mlxtend, sequence rules by hand, and the
planted rules of the synthetic truth found on the small client."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_explore_hand import TinyWS, customers

from dbmkit import basket


def test_pair_rules_by_hand():
    tx = pd.DataFrame({"basket": [1, 1, 2, 2, 3, 4, 4, 5],
                       "item": ["tent", "bag", "tent", "bag", "tent", "stove", "bag", "bag"]})
    r = basket.rules_from_baskets(tx).set_index(["antecedent", "consequent"])
    tb = r.loc[("tent", "bag")]
    # 5 baskets; tent in 3, bag in 4, both in 2
    assert tb["baskets"] == 2 and tb["n_baskets"] == 5
    assert tb["support"] == pytest.approx(2 / 5)
    assert tb["confidence"] == pytest.approx(2 / 3)
    assert tb["lift"] == pytest.approx((2 / 3) / (4 / 5))
    assert tb["leverage"] == pytest.approx(2 / 5 - (3 / 5) * (4 / 5))
    assert tb["conviction"] == pytest.approx((1 - 4 / 5) / (1 - 2 / 3))
    assert r.loc[("bag", "tent"), "confidence"] == pytest.approx(2 / 4)
    assert r.loc[("stove", "bag"), "confidence"] == 1.0 and pd.isna(r.loc[("stove", "bag"), "conviction"])
    assert ("tent", "stove") not in r.index
    # duplicates of an item in a basket count once
    r2 = basket.rules_from_baskets(pd.concat([tx, tx.iloc[:1]])).set_index(["antecedent", "consequent"])
    assert r2.loc[("tent", "bag"), "support"] == pytest.approx(2 / 5)
    filt = basket.rules_from_baskets(tx, min_confidence=0.6)
    assert (filt["confidence"] >= 0.6).all() and len(filt) < len(r)
    with pytest.raises(KeyError, match="no column"):
        basket.rules_from_baskets(tx, item_col="product")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")      # mlxtend's extra metrics divide by zero on tiny data
@settings(max_examples=20, deadline=None)
@given(st.lists(st.sets(st.sampled_from(list("abcdef")), min_size=1, max_size=4), min_size=3, max_size=40))
def test_pair_rules_agree_with_mlxtend(baskets):
    from mlxtend.frequent_patterns import apriori
    from mlxtend.frequent_patterns import association_rules as mx_rules
    tx = pd.DataFrame([(i, it) for i, b in enumerate(baskets) for it in b], columns=["basket", "item"])
    ours = basket.rules_from_baskets(tx)
    onehot = pd.crosstab(tx["basket"], tx["item"]).astype(bool)
    freq = apriori(onehot, min_support=1e-9, use_colnames=True, max_len=2)
    if (freq["itemsets"].map(len) == 2).sum() == 0:
        assert ours.empty
        return
    mx = mx_rules(freq, num_itemsets=len(onehot), metric="support", min_threshold=0)
    mx = mx[(mx["antecedents"].map(len) == 1) & (mx["consequents"].map(len) == 1)].copy()
    mx["antecedent"] = mx["antecedents"].map(lambda s: next(iter(s)))
    mx["consequent"] = mx["consequents"].map(lambda s: next(iter(s)))
    m = ours.merge(mx, on=["antecedent", "consequent"], suffixes=("", "_mx"))
    assert len(m) == len(ours) == len(mx)
    for a, b in (("support", "support_mx"), ("confidence", "confidence_mx"), ("lift", "lift_mx"),
                 ("leverage", "leverage_mx")):
        assert np.allclose(m[a], m[b])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sets(st.sampled_from(list("abcdefg")), min_size=1, max_size=4), min_size=3, max_size=40),
       st.integers(1, 4))
def test_pair_rules_min_count_equals_counting_by_hand(baskets, min_count):
    """Property: the pairs kept with min_count (rare items are dropped before the self-join) are exactly the pairs
    held by at least min_count baskets, with their counts and the full-data supports."""
    tx = pd.DataFrame([(i, it) for i, b in enumerate(baskets) for it in b], columns=["basket", "item"])
    ours = basket.rules_from_baskets(tx, min_count=min_count)
    counts = {}
    for b in baskets:
        for a in b:
            for c in b:
                if a != c:
                    counts[(a, c)] = counts.get((a, c), 0) + 1
    expected = {k: v for k, v in counts.items() if v >= min_count}
    assert dict(zip(zip(ours["antecedent"], ours["consequent"]), ours["baskets"])) == expected
    n_item = {it: sum(it in b for b in baskets) for b in baskets for it in b}
    for a, sup in zip(ours["antecedent"], ours["antecedent_support"]):
        assert sup == pytest.approx(n_item[a] / len(baskets))
    assert (ours["n_baskets"] == len(baskets)).all()


def _seq_ws():
    """Customers buying TVs and speakers on known days (subcategory level)."""
    products = pd.DataFrame({"product_id": ["tv", "sp", "mug"], "name": ["TV", "Speaker", "Mug"],
                             "category": ["E", "E", "K"], "subcategory": ["TVs", "Speakers", "Mugs"],
                             "unit_cost": 1.0, "list_price": 2.0})
    plan = {  # customer: [(day, product), ...]   history 2024-01-01 … as_of 2024-12-31
        "a": [(0, "mug"), (100, "tv"), (110, "sp")],          # TV then speakers 10 days later
        "b": [(0, "mug"), (120, "tv"), (170, "sp")],          # 50 days later
        "c": [(0, "mug"), (130, "tv"), (300, "sp")],          # too late for a 60-day window
        "d": [(0, "mug"), (95, "sp"), (140, "tv")],           # speakers before the TV: the control window
        "e": [(150, "tv"), (155, "sp")],                      # TV is the first purchase: not an anchor
        "f": [(0, "mug"), (340, "tv"), (345, "sp")],          # window runs past the analysis date: not an anchor
    }
    rows, items = [], []
    k = 0
    for cid, buys in plan.items():
        for day, prod in buys:
            k += 1
            rows.append({"order_id": str(k), "customer_id": cid,
                         "order_ts": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day, hours=10),
                         "channel": "web", "store_id": None, "gross_amount": 2.0, "discount": 0.0, "net_amount": 2.0,
                         "cost": 1.0, "status": "completed", "original_order_id": None})
            items.append({"order_id": str(k), "line_no": 1, "product_id": prod, "quantity": 1,
                          "unit_price": 2.0, "discount": 0.0})
    return TinyWS({"customers": customers(list(plan)), "orders": pd.DataFrame(rows), "order_items": pd.DataFrame(items),
                   "products": products}, "2024-12-31")


def test_sequence_rules_by_hand():
    ws = _seq_ws()
    s = basket.sequence_rules(ws, within_days=60, min_count=1).set_index(["antecedent", "consequent"])
    r = s.loc[("TVs", "Speakers")]
    # anchors with TVs: a (day 100), b (120), c (130), d (140); e's TV is a first purchase, f's window is too late
    assert r["anchors"] == 4 and r["hits"] == 2
    assert r["probability"] == pytest.approx(0.5)
    assert r["before_rate"] == pytest.approx(0.25)             # d bought speakers 45 days before the TV
    assert r["excess"] == pytest.approx((0.5 - 0.25) / 0.75)
    assert r["median_lag_days"] == pytest.approx(30.0)         # 10 and 50 days
    # base rate: anchor orders are every non-first order with both windows inside the history — a100, a110,
    # b120, b170, c130, c300, d95, d140, e155 — and speakers follow two of them (a100, b120)
    assert r["n_anchors"] == 9
    assert r["base_rate"] == pytest.approx(2 / 9)
    assert r["lift"] == pytest.approx(0.5 / (2 / 9))
    with pytest.raises(ValueError, match="within_days"):
        basket.sequence_rules(ws, within_days=0)


def test_association_rules_levels_and_errors(small_ws):
    for level in ("category", "subcategory", "product", "product_id"):
        r = basket.association_rules(small_ws, level=level, min_support=0.0)
        assert len(r) and (r["lift"] > 0).all() and r["lift"].is_monotonic_decreasing
    cust = basket.association_rules(small_ws, basket="customer", min_support=0.0)
    orders = basket.association_rules(small_ws, min_support=0.0)
    assert cust["n_baskets"].iloc[0] < orders["n_baskets"].iloc[0]
    with pytest.raises(ValueError, match="level"):
        basket.association_rules(small_ws, level="brand")


def test_planted_basket_rules_are_the_strongest_pairs(small_ws):
    rules = basket.association_rules(small_ws)
    planted = small_ws.truth["planted_rules"]
    found = basket.compare_with_planted(rules, planted, small_ws.truth["products"], kind="basket")
    n = len(found)
    assert found["found"].all()
    assert sorted(found["rank"].astype(int)) == list(range(1, n + 1))   # the planted pairs are the top pairs
    assert (found["lift"] > 2).all()
    # confidence ≈ planted probability + the consequent's base rate among the rest
    base = found["confidence"] - found["planted_probability"]
    assert (base > -0.05).all() and (base < 0.2).all()


def test_planted_sequences_are_found(small_ws):
    planted = small_ws.truth["planted_rules"]
    for w, grp in planted[planted["kind"] == "sequence"].groupby("within_days"):
        seq = basket.sequence_rules(small_ws, within_days=int(w))
        f = basket.compare_with_planted(seq, grp, small_ws.truth["products"], kind="sequence").iloc[0]
        assert f["found"] and f["rank"] <= 3, f.to_dict()
        assert f["lift"] > 1.5
        expected = f["planted_probability"] + (1 - f["planted_probability"]) * f["before_rate"]
        assert f["probability"] == pytest.approx(expected, abs=0.08)
        assert f["excess"] == pytest.approx(f["planted_probability"], abs=0.1)
        # rules that are only basket affinities show no sequence effect
        aff = seq[(seq["antecedent"] == "Tents") & (seq["consequent"] == "Sleeping bags")]
        assert aff.empty or abs(float(aff["excess"].iloc[0])) < 0.1


# --- one scan for several windows, and the per-customer cap (chapter 25 at scale) ---------------------------------
# The single-window query as it was before the multi-window rewrite: the reference the fast query must reproduce.
_REFERENCE_SQL = """
WITH b AS (
    SELECT DISTINCT o.order_id, o.customer_id, CAST(o.order_ts AS DATE) AS d, CAST(p.subcategory AS VARCHAR) AS item
    FROM order_items i JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)
    WHERE o.status = 'completed' AND CAST(o.order_ts AS DATE) <= $as_of AND p.subcategory IS NOT NULL
), bounds AS (SELECT min(d) AS lo FROM b
), firsts AS (SELECT customer_id, min(d) AS first_d FROM b GROUP BY 1
), anchors AS (
    SELECT DISTINCT b.order_id, b.customer_id, b.d FROM b JOIN firsts f USING (customer_id) CROSS JOIN bounds
    WHERE b.d > f.first_d AND b.d - CAST($within AS INTEGER) >= bounds.lo
      AND b.d + CAST($within AS INTEGER) <= CAST($as_of AS DATE)
), follow AS (
    SELECT a.order_id, f.item, min(datediff('day', a.d, f.d)) AS lag_days
    FROM anchors a JOIN b f ON f.customer_id = a.customer_id AND f.d >= a.d
     AND f.d <= a.d + CAST($within AS INTEGER) AND f.order_id <> a.order_id
    GROUP BY 1, 2
), before AS (
    SELECT DISTINCT a.order_id, f.item FROM anchors a JOIN b f ON f.customer_id = a.customer_id AND f.d <= a.d
     AND f.d >= a.d - CAST($within AS INTEGER) AND f.order_id <> a.order_id
), n AS (SELECT count(*) AS n FROM anchors
), base AS (SELECT item, count(*) AS hits FROM follow GROUP BY 1
), ant AS (SELECT DISTINCT b.order_id, b.item FROM b JOIN anchors USING (order_id)
), ant_n AS (SELECT item, count(*) AS anchors FROM ant GROUP BY 1
), pair AS (
    SELECT x.item AS antecedent, f.item AS consequent, count(*) AS hits, median(f.lag_days) AS median_lag_days
    FROM ant x JOIN follow f USING (order_id) WHERE x.item <> f.item GROUP BY 1, 2 HAVING count(*) >= $min_count
), pair_before AS (
    SELECT x.item AS antecedent, f.item AS consequent, count(*) AS hits_before
    FROM ant x JOIN before f USING (order_id) WHERE x.item <> f.item GROUP BY 1, 2
)
SELECT p.antecedent, p.consequent, a.anchors, p.hits, p.hits / a.anchors AS probability,
       coalesce(pb.hits_before, 0) / a.anchors AS before_rate, bs.hits / n.n AS base_rate,
       (p.hits / a.anchors) / (bs.hits / n.n) AS lift,
       (p.hits / a.anchors - coalesce(pb.hits_before, 0) / a.anchors)
         / (1 - coalesce(pb.hits_before, 0) / a.anchors) AS excess,
       p.median_lag_days, n.n AS n_anchors
FROM pair p JOIN ant_n a ON a.item = p.antecedent JOIN base bs ON bs.item = p.consequent CROSS JOIN n
LEFT JOIN pair_before pb ON pb.antecedent = p.antecedent AND pb.consequent = p.consequent
ORDER BY excess DESC, hits DESC, antecedent, consequent
"""


def _reference(ws, within, min_count):
    with ws.connect() as con:
        df = con.execute(_REFERENCE_SQL, {"as_of": ws.as_of.date(), "within": int(within),
                                          "min_count": int(min_count)}).df()
    for c in ("probability", "before_rate", "base_rate", "lift", "excess", "median_lag_days"):
        df[c] = df[c].astype(float)
    return df


def _assert_same(fast: pd.DataFrame, ref: pd.DataFrame):
    pd.testing.assert_frame_equal(fast.reset_index(drop=True), ref.reset_index(drop=True), check_dtype=False)


def test_sequence_windows_match_the_one_window_query_on_the_small_client(small_ws):
    planted = small_ws.truth["planted_rules"]
    windows = sorted({30, int(small_ws.cfg.analysis.sequence_days),
                      *planted.loc[planted["kind"] == "sequence", "within_days"].astype(int)})
    seqs = basket.sequence_rules_by_window(small_ws, windows)
    assert sorted(seqs) == windows
    for w in windows:
        assert seqs[w].attrs["within_days"] == w
        assert len(seqs[w]) > 0
        _assert_same(seqs[w], _reference(small_ws, w, 10))
    # the one-window function is the same query
    _assert_same(basket.sequence_rules(small_ws, within_days=windows[0]), seqs[windows[0]])


def test_sequence_windows_by_hand_and_errors():
    ws = _seq_ws()
    seqs = basket.sequence_rules_by_window(ws, [60, 30, 60, 200], min_count=1)
    assert sorted(seqs) == [30, 60, 200]
    r60 = seqs[60].set_index(["antecedent", "consequent"]).loc[("TVs", "Speakers")]
    assert r60["anchors"] == 4 and r60["hits"] == 2 and r60["median_lag_days"] == pytest.approx(30.0)
    # 30 days: only a's speakers (10 days) follow; d's speakers (45 days before) are outside the control window
    r30 = seqs[30].set_index(["antecedent", "consequent"]).loc[("TVs", "Speakers")]
    assert r30["hits"] == 1 and r30["before_rate"] == 0
    # 200 days: no TV anchor has 200 days of history before it → no rule at all
    assert seqs[200].empty
    for w in (30, 60, 200):
        _assert_same(seqs[w], _reference(ws, w, 1))
    for bad in ([0, 30], [], ["soon"]):
        with pytest.raises(ValueError, match="window"):
            basket.sequence_rules_by_window(ws, bad)
    with pytest.raises(ValueError, match="max_anchors"):
        basket.sequence_rules_by_window(ws, [30], max_anchors=0)


_DAYS = st.lists(st.tuples(st.integers(0, 360), st.sampled_from(["tv", "sp", "mug"])), min_size=1, max_size=7)


@settings(max_examples=25, deadline=None)
@given(plan=st.lists(_DAYS, min_size=1, max_size=6),
       windows=st.lists(st.integers(1, 150), min_size=1, max_size=3, unique=True))
def test_sequence_windows_equal_the_one_window_query(plan, windows):
    """Property: every window read off the single scan equals the one-window query (without a cap)."""
    products = _seq_ws().sql("SELECT * FROM products")
    rows, items = [], []
    for c, buys in enumerate(plan):
        for k, (day, prod) in enumerate(buys):
            oid = f"{c}-{k}"
            rows.append({"order_id": oid, "customer_id": f"c{c}",
                         "order_ts": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day),
                         "channel": "web", "store_id": None, "gross_amount": 2.0, "discount": 0.0, "net_amount": 2.0,
                         "cost": 1.0, "status": "completed", "original_order_id": None})
            items.append({"order_id": oid, "line_no": 1, "product_id": prod, "quantity": 1, "unit_price": 2.0,
                          "discount": 0.0})
    ws = TinyWS({"customers": customers([f"c{c}" for c in range(len(plan))]), "orders": pd.DataFrame(rows),
                 "order_items": pd.DataFrame(items), "products": products}, "2024-12-31")
    seqs = basket.sequence_rules_by_window(ws, windows, min_count=1)
    for w in windows:
        _assert_same(seqs[w], _reference(ws, w, 1))


def test_a_wholesale_buyer_contributes_at_most_max_anchors():
    """One customer with 40 repeat orders of TVs and speakers: with max_anchors=5 only 5 of them are anchors,
    the same 5 on every run."""
    products = _seq_ws().sql("SELECT * FROM products")
    rows, items = [], []
    for k in range(41):
        oid = f"w{k}"
        rows.append({"order_id": oid, "customer_id": "big",
                     "order_ts": pd.Timestamp("2024-01-01") + pd.Timedelta(days=3 * k),
                     "channel": "web", "store_id": None, "gross_amount": 2.0, "discount": 0.0, "net_amount": 2.0,
                     "cost": 1.0, "status": "completed", "original_order_id": None})
        items.append({"order_id": oid, "line_no": 1, "product_id": "tv" if k % 2 else "sp", "quantity": 1,
                      "unit_price": 2.0, "discount": 0.0})
    ws = TinyWS({"customers": customers(["big"]), "orders": pd.DataFrame(rows), "order_items": pd.DataFrame(items),
                 "products": products}, "2024-12-31")
    full = basket.sequence_rules(ws, within_days=5, min_count=1)
    capped = basket.sequence_rules(ws, within_days=5, min_count=1, max_anchors=5)
    # every repeat order with 5 days of history before it: all but day 0 (the first purchase) and day 3
    assert full["n_anchors"].iloc[0] == 39
    assert capped["n_anchors"].max() <= 5
    assert capped["anchors"].max() <= 5
    again = basket.sequence_rules(ws, within_days=5, min_count=1, max_anchors=5)
    _assert_same(capped, again)
    _assert_same(full, _reference(ws, 5, 1))                 # far below the default cap nothing changes
