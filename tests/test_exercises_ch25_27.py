"""The "Your turn" exercises of chapters 25–27 (issue 15) on the small client: each expected value has the right
kind, an answer computed independently here (pandas, by hand) is accepted, the usual mistakes are rejected, and each
diagnosis in ``META`` fires on the mistake it names and not on the right answer."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import dbmkit as dbm
from dbmkit.exercises import REGISTRY, ch25, ch26, ch27, check, load_all

KINDS = {"count", "share", "percent", "money", "number", "label", "choice", "table", "set"}


@pytest.fixture(scope="module")
def ws(small_ws):
    load_all()
    return small_ws


def _diag(meta_id: str, module, fragment: str):
    """The diagnosis function of ``meta_id`` whose message contains ``fragment``."""
    found = [f for f, msg in module.META[meta_id]["diagnoses"] if fragment in msg]
    assert len(found) == 1, (meta_id, fragment)
    return found[0]


def test_meta_is_complete_and_diagnoses_never_raise(ws):
    for module, ids in ((ch25, ["25.1", "25.2", "25.3", "25.4"]), (ch26, ["26.1", "26.2", "26.3", "26.4"]),
                        (ch27, ["27.1", "27.2", "27.3", "27.4"])):
        assert sorted(module.META) == ids
        for i in ids:
            assert i in REGISTRY
            meta = module.META[i]
            assert meta["kind"] in KINDS
            assert meta["diagnoses"], i
            for fn, msg in meta["diagnoses"]:
                assert msg and isinstance(msg, str)
                for junk in (None, "abc", float("nan"), [1, 2]):
                    assert fn(junk, 1.0, ws) in (True, False)      # no context, junk answer: no exception
    # counts are exact in the decorator too
    for i in ("26.3", "26.4"):
        assert REGISTRY[i].rel_tol == 0 and REGISTRY[i].abs_tol == 0


# ------------------------------------------------------------------------------------------------ chapter 25
@pytest.fixture(scope="module")
def baskets(ws):
    """(order, subcategory) pairs of completed orders, read row by row and de-duplicated with pandas."""
    rows = ws.sql("SELECT i.order_id, o.status, o.order_ts, p.subcategory FROM order_items i "
                  "JOIN orders o USING (order_id) LEFT JOIN products p USING (product_id)")
    rows = rows[(rows["status"] == "completed") & rows["subcategory"].notna()
                & (pd.to_datetime(rows["order_ts"]).dt.normalize() <= ws.as_of.normalize())]
    return rows[["order_id", "subcategory"]].drop_duplicates()


@pytest.fixture(scope="module")
def pair(baskets):
    freq = baskets.groupby("subcategory")["order_id"].nunique().sort_values(ascending=False)
    a, c = freq.index[0], freq.index[1]
    by_order = baskets.groupby("order_id")["subcategory"].agg(set)
    n = len(by_order)
    with_a = int(by_order.map(lambda s: a in s).sum())
    with_c = int(by_order.map(lambda s: c in s).sum())
    both = int(by_order.map(lambda s: a in s and c in s).sum())
    return {"a": a, "c": c, "n": n, "with_a": with_a, "with_c": with_c, "both": both,
            "ctx": {"level": "subcategory", "antecedent": a, "consequent": c}}


def test_25_1_to_3_support_confidence_lift_by_hand(ws, pair):
    k, ctx = pair, pair["ctx"]
    support, confidence = k["both"] / k["n"], k["both"] / k["with_a"]
    lift = confidence / (k["with_c"] / k["n"])
    for i, right in (("25.1", support), ("25.2", confidence), ("25.3", lift)):
        exp = REGISTRY[i].expected(ws, **ctx)
        assert isinstance(exp, float) and exp == pytest.approx(right, rel=1e-12)
        assert check(i, right, ws, **ctx).correct is True
    # the chapter's helper counts the same pair the same way
    r = dbm.basket.association_rules(ws, level="subcategory", min_support=0.0)
    row = r[(r["antecedent"] == k["a"]) & (r["consequent"] == k["c"])].iloc[0]
    assert row["support"] == pytest.approx(support) and row["lift"] == pytest.approx(lift)
    # usual mistakes: rejected, and diagnosed
    mistakes = {
        "25.1": [(k["both"], "number of baskets with both"), (confidence, "that is the confidence")],
        "25.2": [(support, "divided by all baskets"), (k["both"] / k["with_c"], "C → A")],
        "25.3": [(confidence, "this is the confidence"),
                 (confidence / (k["with_a"] / k["n"]), "divided the confidence by P(A)")],
    }
    for i, wrongs in mistakes.items():
        right = {"25.1": support, "25.2": confidence, "25.3": lift}[i]
        for wrong, fragment in wrongs:
            assert check(i, wrong, ws, **ctx).correct is False
            fn = _diag(i, ch25, fragment)
            assert fn(wrong, right, ws, **ctx) is True
            assert fn(right, right, ws, **ctx) is False


def test_25_default_pair_is_the_strongest_rule(ws):
    r = dbm.basket.association_rules(ws, level="subcategory")
    k = ch25.pair_counts(ws)
    assert (k["antecedent"], k["consequent"]) == (r["antecedent"].iloc[0], r["consequent"].iloc[0])
    assert REGISTRY["25.3"].expected(ws) == pytest.approx(float(r["lift"].iloc[0]))


def test_25_4_mailing_profit(ws):
    ctx = {"n_contacts": 20000, "cost": ws.cfg.economics.cost_per_contact["mail"], "margin": 30.0, "p_c": 0.01,
           "rule_lift": 1.3}
    extra_buyers = 20000 * 0.01 * 0.3                      # 60 extra buyers at best
    right = extra_buyers * 30.0 - 20000 * ctx["cost"]
    exp = REGISTRY["25.4"].expected(ws, **ctx)
    assert exp == pytest.approx(right) and exp < 0          # a paid mailing does not pay for a weak rule
    assert check("25.4", right, ws, **ctx).correct is True
    # by e-mail the same rule pays
    assert REGISTRY["25.4"].expected(ws, **{**ctx, "cost": ws.cfg.economics.cost_per_contact["email"]}) > 0
    wrongs = [(20000 * 0.01 * 1.3 * 30 - 20000 * ctx["cost"], "counted every C purchase"),
              (extra_buyers * 30.0, "left out the cost"),
              (20000 * 0.3 * 30 - 20000 * ctx["cost"], "lift is a ratio")]
    for wrong, fragment in wrongs:
        assert check("25.4", wrong, ws, **ctx).correct is False
        fn = _diag("25.4", ch25, fragment)
        assert fn(wrong, exp, ws, **ctx) is True and fn(right, exp, ws, **ctx) is False


# ------------------------------------------------------------------------------------------------ chapter 26
@pytest.fixture(scope="module")
def model(ws):
    train = dbm.models.response_training_set(ws)
    return dbm.models.response_model(ws, data=train, prefer="gbm"), train


def test_26_1_hand_lift():
    y = ch26.EXAMPLE_Y
    right = (sum(y[:4]) / 4) / (sum(y) / len(y))
    assert check("26.1", right).correct is True
    assert check("26.1", sum(y[:4]) / 4).correct is False
    fn = _diag("26.1", ch26, "response rate")
    assert fn(sum(y[:4]) / 4, right) is True and fn(right, right) is False


def _lift_by_hand(y, score, k):
    d = pd.DataFrame({"y": np.asarray(y, float), "s": np.asarray(score, float)})
    d = d.iloc[np.argsort(-d["s"].to_numpy(), kind="stable")]
    return d["y"].iloc[:k].mean() / d["y"].mean()


def test_26_2_top_decile_lift_on_the_holdout(ws, model):
    resp, train = model
    ctx = {"result": resp, "data": train}
    t = resp.test
    right = _lift_by_hand(t["y"], t["score"], math.ceil(len(t) / 10))
    exp = REGISTRY["26.2"].expected(ws, **ctx)
    assert isinstance(exp, float) and exp == pytest.approx(right)
    assert check("26.2", right, ws, **ctx).correct is True
    assert exp == pytest.approx(float(dbm.models.gains_table(t["y"], t["score"])["lift"].iloc[0]))
    # a top 10 % rounded down is another correct reading, offered to the engine as an alternative
    floor = _lift_by_hand(t["y"], t["score"], len(t) // 10)
    alts = [fn(ws, **ctx) for fn in ch26.META["26.2"]["accept"]]
    assert any(a == pytest.approx(floor) for a in alts)
    # mistakes
    g = dbm.models.gains_table(t["y"], t["score"])
    over_bottom = g["response_rate"].iloc[0] / g["response_rate"].iloc[-1]
    rate = right * t["y"].mean()
    lowest = _lift_by_hand(t["y"], -t["score"], math.ceil(len(t) / 10))
    tr = train[~train["campaign_id"].isin(set(t["campaign_id"]))]
    on_training = _lift_by_hand(tr["responded"], resp.score(tr), math.ceil(len(tr) / 10))
    assert abs(on_training / right - 1) > 0.02
    for wrong, fragment in ((over_bottom, "bottom decile"), (rate, "response rate"), (lowest, "lowest scores"),
                            (on_training, "training data")):
        assert check("26.2", wrong, ws, **ctx).correct is False
        fn = _diag("26.2", ch26, fragment)
        assert fn(wrong, exp, ws, **ctx) is True and fn(right, exp, ws, **ctx) is False


def test_26_3_at_risk_and_quiet(ws):
    st = dbm.segments.lifecycle_stage(ws.table("customer_summary"), lost_days=ws.cfg.analysis.active_days)
    d = st.merge(ws.table("scores"), on="customer_id")
    right = int(((d["lifecycle_stage"] == "at_risk") & (d["churn_score"] > 0.5)).sum())
    exp = REGISTRY["26.3"].expected(ws)
    assert isinstance(exp, int) and exp == right
    assert check("26.3", right, ws).correct is True
    assert check("26.3", right + 1, ws).correct is False            # exact
    s = ws.table("customer_summary").merge(ws.table("scores"), on="customer_id")
    active = int(((s["days_since_last"] <= ws.cfg.analysis.active_days) & (s["churn_score"] > 0.5)).sum())
    all_at_risk = int((d["lifecycle_stage"] == "at_risk").sum())
    for wrong, fragment in ((active, "active customers"), (all_at_risk, "every at-risk")):
        assert wrong != right
        assert check("26.3", wrong, ws).correct is False
        fn = _diag("26.3", ch26, fragment)
        assert fn(wrong, exp, ws) is True and fn(right, exp, ws) is False


def test_26_4_breakeven_depth(ws, model):
    resp, _ = model
    cost, margin = 2.5, 20.0
    ctx = {"result": resp, "cost": cost, "margin": margin}
    t = resp.test.sort_values("score", ascending=False, kind="stable").reset_index(drop=True)
    groups = np.arange(len(t)) * 10 // len(t)                    # deciles of equal size, highest scores first
    rates = t.groupby(groups)["y"].mean().to_numpy()
    right = 0
    while right < 10 and rates[right] >= cost / margin:
        right += 1
    exp = REGISTRY["26.4"].expected(ws, **ctx)
    assert isinstance(exp, int) and exp == right and 0 < right < 10
    assert check("26.4", right, ws, **ctx).correct is True
    cum = int((np.cumsum(t.groupby(groups)["y"].sum()) / np.cumsum(t.groupby(groups).size()) >= cost / margin).sum())
    above_one = 0
    while above_one < 10 and rates[above_one] >= t["y"].mean():
        above_one += 1
    for wrong, fragment in ((cum, "cumulative"), (above_one, "lift above 1")):
        assert wrong != right
        assert check("26.4", wrong, ws, **ctx).correct is False
        fn = _diag("26.4", ch26, fragment)
        assert fn(wrong, exp, ws, **ctx) is True and fn(right, exp, ws, **ctx) is False
    # mailing nothing when even decile 1 loses money
    assert REGISTRY["26.4"].expected(ws, result=resp, cost=margin * (rates[0] + 0.01), margin=margin) == 0


# ------------------------------------------------------------------------------------------------ chapter 27
def test_27_1_index_by_hand(ws):
    g = dbm.profiles.profile_groups(ws.table("customer_summary"), lost_days=ws.cfg.analysis.active_days)
    d = g.merge(dbm.profiles.customer_attributes(ws), on="customer_id")
    has = d["first_order_band"] == "Q1"
    is_def = d["group"] == "defector"
    share, base = has[is_def].mean(), has.mean()
    right = 100 * share / base
    exp = REGISTRY["27.1"].expected(ws)
    assert isinstance(exp, float) and exp == pytest.approx(right)
    ix = dbm.profiles.index_table(d, "first_order_band")
    assert float(ix.loc[(ix["group"] == "defector") & (ix["value"] == "Q1"), "index"].iloc[0]) == pytest.approx(right)
    assert check("27.1", right, ws).correct is True
    wrongs = [(share, "defectors' share"), (right / 100, "ratio × 100"),
              (100 * share / has[~is_def].mean(), "other customers"), (100 * is_def[has].mean(), "who defected")]
    for wrong, fragment in wrongs:
        assert check("27.1", wrong, ws).correct is False
        fn = _diag("27.1", ch27, fragment)
        assert fn(wrong, exp, ws) is True and fn(right, exp, ws) is False


def test_27_2_seasonal_index_by_hand(ws):
    y = dbm.forecast.monthly_series(ws)
    v = y.to_numpy()
    trend = np.full(len(v), np.nan)
    w = np.r_[0.5, np.ones(11), 0.5] / 12
    for t in range(6, len(v) - 6):
        trend[t] = float(np.dot(w, v[t - 6:t + 7]))
    ratio = pd.Series(v / trend, index=[p.month for p in y.index]).dropna()
    by_month = ratio.groupby(level=0).mean()
    right = 100 * by_month[12] / by_month.mean()
    exp = REGISTRY["27.2"].expected(ws, month=12)
    assert isinstance(exp, float) and exp == pytest.approx(right)
    si = dbm.forecast.seasonal_indices(dbm.forecast.decompose(y)).set_index("month_of_year")["index"]
    assert si[12] == pytest.approx(right)
    assert check("27.2", right, ws, month=12).correct is True
    raw = 100 * by_month[12]
    plain = y.groupby([p.month for p in y.index]).mean()
    vs_avg = 100 * plain[12] / plain.mean()
    assert abs(raw / right - 1) > 1e-3 and abs(vs_avg / right - 1) > 2e-3
    wrongs = ((right / 100, "seasonal factor"), (raw, "mean of the twelve"), (vs_avg, "with the average month"))
    for wrong, fragment in wrongs:
        assert check("27.2", wrong, ws, month=12).correct is False
        fn = _diag("27.2", ch27, fragment)
        assert fn(wrong, exp, ws, month=12) is True and fn(right, exp, ws, month=12) is False


def test_27_3_naive_mape_by_hand(ws):
    y = dbm.forecast.monthly_series(ws).to_numpy()
    h = 6
    actual, forecast = y[-h:], y[-h - 12:-12]
    right = float(np.mean(np.abs(forecast - actual) / actual))
    exp = REGISTRY["27.3"].expected(ws, horizon=h)
    assert 0 < exp < 1 and exp == pytest.approx(right)
    assert check("27.3", right, ws, horizon=h).correct is True
    last_month = y[-h - 1:-1]
    wrongs = [(float(np.mean(np.abs(forecast - actual) / forecast)), "divided by the forecast"),
              (float(np.mean((forecast - actual) / actual)), "signs"),
              (float(np.mean(np.abs(last_month - actual) / actual)), "month before")]
    for wrong, fragment in wrongs:
        assert check("27.3", wrong, ws, horizon=h).correct is False
        fn = _diag("27.3", ch27, fragment)
        assert fn(wrong, exp, ws, horizon=h) is True and fn(right, exp, ws, horizon=h) is False


def test_27_4_forecast_method_choice(ws):
    y = dbm.forecast.monthly_series(ws)
    h = 6
    mapes = {}
    for m, f in dbm.forecast.METHODS.items():
        fc = f(y.iloc[:-h], h).to_numpy()
        mapes[m] = float(np.mean(np.abs(fc - y.iloc[-h:].to_numpy()) / y.iloc[-h:].to_numpy()))
    best = min(mapes, key=mapes.get)
    letter = {"seasonal_naive": "a", "seasonal_naive_growth": "b", "holt_winters": "c"}[best]
    exp = REGISTRY["27.4"].expected(ws, horizon=h)
    assert exp == letter and exp in ch27.META["27.4"]["choices"]
    assert check("27.4", letter, ws, horizon=h).correct is True
    assert check("27.4", letter.upper(), ws, horizon=h).correct is True
    for other in set("abc") - {letter}:
        assert check("27.4", other, ws, horizon=h).correct is False
    # the diagnoses name the wrong reasons, and never fire on the right letter
    totals = {m: float(dbm.forecast.forecast(y, h, m)["forecast"].sum()) for m in dbm.forecast.METHODS}
    top = {"seasonal_naive": "a", "seasonal_naive_growth": "b", "holt_winters": "c"}[max(totals, key=totals.get)]
    optimistic = _diag("27.4", ch27, "promises the most")
    assert optimistic(top, exp, ws, horizon=h) is (top != letter)
    for fragment, wrong in (("most elaborate", "c"), ("simplicity", "a")):
        fn = _diag("27.4", ch27, fragment)
        assert fn(wrong, exp, ws) is (wrong != letter)
        assert fn(letter, exp, ws) is False
    assert optimistic(letter, exp, ws, horizon=h) is False


def test_worked_solutions_run_in_the_notebooks_namespace_and_are_accepted(ws, pair, model):
    """The solutions shown to instructors run with the chapters' variables and pass their own check."""
    from dbmkit.exercises.instructor import solutions
    resp, train = model
    ns = {"dbm": dbm, "ws": ws, "np": np, "level": "subcategory", "a_item": pair["a"], "c_item": pair["c"],
          "resp": resp, "train": train, "cost_per_contact": 2.5, "margin_per_response": 20.0,
          "y": dbm.forecast.monthly_series(ws), "horizon": 6, "EXAMPLE_Y": ch26.EXAMPLE_Y,
          "n_contacts": 20000, "p_c": 0.01, "rule_lift": 1.3, "margin": 30.0,
          "cost": ws.cfg.economics.cost_per_contact["mail"]}
    ctx = {"25.1": pair["ctx"], "25.2": pair["ctx"], "25.3": pair["ctx"],
           "25.4": {k: ns[k] for k in ("n_contacts", "p_c", "rule_lift", "margin", "cost")},
           "26.2": {"result": resp, "data": train}, "26.4": {"result": resp, "cost": 2.5, "margin": 20.0},
           "27.2": {"month": 12}, "27.3": {"horizon": 6}, "27.4": {"horizon": 6}}
    for i in ["25.1", "25.2", "25.3", "25.4", "26.1", "26.2", "26.3", "26.4", "27.1", "27.2", "27.3", "27.4"]:
        exec(solutions()[i]["solution"], ns)                    # 25.2/25.3 reuse k of 25.1, as in the notebook
        assert check(i, ns["answer"], ws, **ctx.get(i, {})).correct is True, i
