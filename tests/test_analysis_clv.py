"""CLV: BTYD models on simulated data and on the synthetic client (against its truth), the clv table, the simple
CLV formulas, input checks and properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dbmkit as dbm
from dbmkit import clv
from dbmkit.clv import BetaGeo, ConvergenceError, GammaGamma, ModifiedBetaGeo, NotFittedError, ParetoNBD
from dbmkit.datasets.truth import truth_future

TRUE = {"r": 0.9, "alpha": 36.0, "a": 0.55, "b": 5.5}   # the synthetic retailer's population parameters (days)


def simulate(n: int, params: dict, modified: bool, days: int = 1095, seed: int = 0) -> pd.DataFrame:
    """Customers of a BG/NBD (or MBG/NBD) world observed for a uniform 1…days since their first purchase."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    T = rng.uniform(1, days, n)
    t = np.zeros(n)
    x = np.zeros(n)
    last = np.zeros(n)
    alive = ~(rng.random(n) < p) if modified else np.ones(n, bool)    # MBG: may leave right after the first buy
    while alive.any():
        i = np.flatnonzero(alive)
        t[i] += rng.exponential(1 / lam[i])
        ok = t[i] <= T[i]
        x[i[ok]] += 1
        last[i[ok]] = t[i[ok]]
        alive[i[~ok]] = False
        died = rng.random(ok.sum()) < p[i[ok]]
        alive[i[ok][died]] = False
    return pd.DataFrame({"frequency": x, "recency": last, "T": T})


def _within(model, truth: dict, k: float = 3.5, bias: float = 0.0):
    """Every parameter within k standard errors (on the log scale) plus an allowance for known bias."""
    sm = model.summary().set_index("parameter")
    for name, true in truth.items():
        se_log = sm.loc[name, "std_error"] / sm.loc[name, "estimate"]
        gap = abs(np.log(sm.loc[name, "estimate"] / true))
        assert gap <= k * se_log + bias, (name, sm.loc[name, "estimate"], true, se_log)


# ------------------------------------------------------------------------------------------ simulated worlds
def test_bgnbd_recovers_a_simulated_bgnbd_world():
    d = simulate(20000, TRUE, modified=False, seed=1)
    _within(BetaGeo().fit(d["frequency"], d["recency"], d["T"]), TRUE)


def test_mbgnbd_recovers_a_simulated_mbgnbd_world_and_fits_it_better():
    d = simulate(20000, TRUE, modified=True, seed=2)
    m = ModifiedBetaGeo().fit(d["frequency"], d["recency"], d["T"])
    _within(m, TRUE)
    b = BetaGeo().fit(d["frequency"], d["recency"], d["T"])
    assert m.log_likelihood_ > b.log_likelihood_
    assert clv.fit_purchase_model(d["frequency"], d["recency"], d["T"]).model_name == "MBG/NBD"


def test_gamma_gamma_recovers_simulated_spend():
    rng = np.random.default_rng(3)
    p, q, g = 6.0, 4.0, 15.0
    x = rng.poisson(3, 20000) + 1
    nu = rng.gamma(q, 1 / g, len(x))
    z = rng.gamma(p * x, 1 / (nu * x))                    # mean of x purchases, each Gamma(p, nu)
    gg = GammaGamma().fit(x, z)
    sm = gg.summary().set_index("parameter")
    for name, true in {"p": p, "q": q, "gamma": g}.items():
        se_log = sm.loc[name, "std_error"] / sm.loc[name, "estimate"]
        assert abs(np.log(sm.loc[name, "estimate"] / true)) <= 3.5 * se_log
    # weighted unique rows = the same fit
    df = pd.DataFrame({"x": x, "z": np.round(z, 0) + 1})
    u = df.groupby(["x", "z"]).size().reset_index(name="n")
    a = GammaGamma().fit(df["x"], df["z"])
    b = GammaGamma().fit(u["x"], u["z"], weights=u["n"])
    assert a.params_ == pytest.approx(b.params_, rel=1e-5)
    assert a.log_likelihood_ == pytest.approx(b.log_likelihood_, rel=1e-9)


def test_conditional_expectation_for_a_new_customer_is_the_unconditional_one():
    d = simulate(5000, TRUE, modified=True, seed=4)
    for cls in (BetaGeo, ModifiedBetaGeo):
        m = cls().fit(d["frequency"], d["recency"], d["T"])
        for t in (10.0, 100.0, 365.0):
            new = float(m.expected_purchases_new(t))
            assert float(m.expected_purchases(t, 0, 0, 0)) == pytest.approx(new, rel=1e-9)
        probs = m.probability_of_purchases(np.arange(600), 365.0)
        assert probs.sum() == pytest.approx(1.0, abs=1e-6)
        assert (probs * np.arange(600)).sum() == pytest.approx(float(m.expected_purchases_new(365.0)), rel=1e-6)


# ------------------------------------------------------------------------------------------ the synthetic client
@pytest.fixture(scope="module")
def summary(small_ws):
    return small_ws.table("customer_summary")


def test_truth_is_mbgnbd_and_is_recovered(small_ws, summary):
    """The synthetic retailer lets customers drop out right after their first purchase too (an MBG/NBD world), so
    MBG/NBD fits better than BG/NBD and recovers the truth's population parameters (per day).

    Tolerance: 3 standard errors on the log scale (the small client has ~2,200 buyers: 5–20 %) plus 0.08 for
    known departures of the database from the pure process — cancelled orders (~2 % of purchases) and several
    orders on one day counted as one purchase day (~2 %) thin the purchases, campaign and planted-sequence orders
    (~2 %) add some — which move the purchase rate r/α by a few per cent."""
    assert small_ws.truth.params()["true_params"]["r"] == TRUE["r"]
    b = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    m = ModifiedBetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    assert m.log_likelihood_ > b.log_likelihood_
    _within(m, TRUE, k=3.0, bias=0.08)
    rate = m.params_["r"] / m.params_["alpha"]
    assert rate == pytest.approx(TRUE["r"] / TRUE["alpha"], rel=0.12)
    # BG/NBD, misspecified here, reads the one-time buyers who already left as "alive but slow": r comes out low
    assert b.params_["r"] < m.params_["r"]


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
def test_predicted_next_year_purchases_agree_with_the_truth_by_frequency(small_ws, summary, model):
    """Predicted purchases in the year after the analysis date vs what the truth says each customer did:
    by calibration frequency, within 3 standard errors of the bucket's mean plus 10 %; in total within 8 %."""
    fut = truth_future(small_ws)
    m = summary.merge(fut, on="customer_id", how="left").fillna({"future_purchases": 0})
    fitted = clv.fit_purchase_model(m["frequency"], m["recency"], m["T"], model)
    ch = pd.DataFrame({"frequency_cal": m["frequency"], "recency_cal": m["recency"], "T_cal": m["T"],
                       "frequency_holdout": m["future_purchases"], "duration_holdout": 365.0})
    table = clv.holdout_by_frequency(ch, fitted)
    bucket = np.minimum(m["frequency"], 7)
    sd = m.groupby(bucket)["future_purchases"].std().to_numpy()
    se = sd / np.sqrt(table["customers"].to_numpy())
    gap = np.abs(table["predicted"] - table["actual"]).to_numpy()
    assert (gap <= 3 * se + 0.10 * table["actual"].to_numpy()).all(), table
    assert table["predicted_total"].sum() == pytest.approx(table["actual_total"].sum(), rel=0.08)


def test_holdout_on_own_history(small_ws):
    res = clv.clv_holdout(small_ws)
    assert abs(res["purchases_error"]) < 0.10 and abs(res["revenue_error"]) < 0.15
    bf = res["by_frequency"]
    assert bf["customers"].sum() == len(res["customers"])
    # the holdout counts what really happened: compare with a direct query
    cal_end = small_ws.as_of - pd.Timedelta(days=365)
    direct = small_ws.sql(
        """SELECT count(*) AS n FROM (SELECT DISTINCT customer_id, CAST(order_ts AS DATE) FROM purchases
           WHERE CAST(order_ts AS DATE) > ? AND customer_id IN
             (SELECT customer_id FROM purchases WHERE CAST(order_ts AS DATE) <= ?))""",
        [cal_end.date(), cal_end.date()])["n"].iloc[0]
    assert res["actual_purchases"] == direct


def test_clv_table_contract(small_ws, summary):
    t = clv.build_clv(small_ws)
    assert list(t.columns) == ["customer_id", "p_alive", "expected_purchases", "expected_spend", "clv_revenue", "clv",
                               "historical_clv", "value_tier"]
    assert len(t) == len(summary) and t["customer_id"].is_unique
    assert t["p_alive"].between(0, 1).all() and (t["expected_purchases"] >= 0).all()
    assert (t["expected_spend"] > 0).all()
    assert np.allclose(t["clv_revenue"], t["expected_purchases"] * t["expected_spend"])
    m = t.merge(summary[["customer_id", "margin_total"]], on="customer_id")
    assert np.allclose(m["historical_clv"], m["margin_total"])
    shares = t["value_tier"].value_counts(normalize=True)
    assert [name for name, _ in clv.VALUE_TIERS] == ["platinum", "gold", "silver", "bronze"]
    for tier, share in (("platinum", 0.02), ("gold", 0.08), ("silver", 0.20), ("bronze", 0.70)):
        assert shares[tier] == pytest.approx(share, abs=0.01)
    # tiers follow CLV
    assert t.groupby("value_tier")["clv"].min()["platinum"] >= t.groupby("value_tier")["clv"].max()["gold"]
    # discounted 12-month margin is below the undiscounted revenue
    assert t["clv"].sum() < t["clv_revenue"].sum()


def test_clv_table_uses_models_fitted_in_the_chapter(small_ws, summary):
    """Passing the purchase and spend models the chapter already fitted gives the same table as fitting inside."""
    own, bg, gg = clv.clv_table(small_ws, summary=summary, return_models=True)
    pm = clv.fit_purchase_model(summary["frequency"], summary["recency"], summary["T"], "auto")
    rep = summary[(summary["frequency"] > 0) & (summary["monetary_mean_repeat"] > 0)]
    sm = GammaGamma().fit(rep["frequency"], rep["monetary_mean_repeat"])
    assert pm.params_ == pytest.approx(bg.params_) and sm.params_ == pytest.approx(gg.params_)
    reused = clv.clv_table(small_ws, summary=summary, purchase_model=pm, spend_model=sm)
    pd.testing.assert_frame_equal(own, reused)
    only_bg = clv.clv_table(small_ws, summary=summary, purchase_model=pm)
    pd.testing.assert_frame_equal(own, only_bg)
    with pytest.raises(ValueError, match="fitted model"):
        clv.clv_table(small_ws, summary=summary, purchase_model=BetaGeo())


def test_a_model_fitted_twice_on_the_same_customers_is_fitted_once(summary):
    """model_comparison and fit_purchase_model on the same summary: the second call reuses the fit (same numbers,
    an independent copy); other data is fitted afresh."""
    clv.FIT_CACHE.clear()
    table = clv.model_comparison(summary)
    assert len(clv.FIT_CACHE) == 2
    best = clv.fit_purchase_model(summary["frequency"], summary["recency"], summary["T"], "auto")
    assert len(clv.FIT_CACHE) == 2                               # no new fit
    fresh = {"BG/NBD": BetaGeo, "MBG/NBD": ModifiedBetaGeo}
    for name, cls in fresh.items():
        direct = cls().fit(summary["frequency"], summary["recency"], summary["T"])
        assert table.loc["log-likelihood", name] == pytest.approx(direct.log_likelihood_, rel=1e-12)
    assert best.log_likelihood_ == pytest.approx(table.loc["log-likelihood"].max(), rel=1e-12)
    best.params_["r"] = -1.0                                      # the caller's copy, not the remembered fit
    again = clv.fit_purchase_model(summary["frequency"], summary["recency"], summary["T"], "auto")
    assert again.params_["r"] > 0
    half = summary.iloc[: len(summary) // 2]
    clv.fit_purchase_model(half["frequency"], half["recency"], half["T"], "bgnbd")
    assert len(clv.FIT_CACHE) == 3
    with pytest.raises(ValueError, match="numbers"):
        clv.fit_purchase_model(["a"], [0], [1], "bgnbd")
    clv.FIT_CACHE.clear()


def test_clv_predictions_rank_customers_like_the_truth(small_ws):
    """Customers in the top decile of predicted CLV really bring more next year than those in the bottom one."""
    t = clv.build_clv(small_ws).merge(truth_future(small_ws), on="customer_id", how="left").fillna(0)
    cal = clv.decile_calibration(t["clv"], t["future_margin"])
    assert cal["actual"].iloc[0] > 5 * cal["actual"].iloc[-1]
    assert np.corrcoef(cal["predicted"], cal["actual"])[0, 1] > 0.95


def test_btyd_clv_by_hand():
    """With no discounting, CLV = E[purchases over the horizon] × expected spend × margin."""
    s = pd.DataFrame({"customer_id": ["a", "b"], "frequency": [3, 0], "recency": [200.0, 0.0], "T": [300.0, 50.0],
                      "monetary_mean_repeat": [80.0, 0.0]})
    bg = BetaGeo()
    bg.params_ = dict(TRUE)
    gg = GammaGamma()
    gg.params_ = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    out = clv.btyd_clv(s, bg, gg, horizon_months=12, margin=0.3, annual_discount_rate=0.0)
    ey = bg.expected_purchases(365.25, s["frequency"], s["recency"], s["T"])
    spend = gg.conditional_expected_spend(s["frequency"], s["monetary_mean_repeat"])
    assert np.allclose(out["expected_purchases"], ey)
    assert np.allclose(out["clv"], ey * spend * 0.3)
    assert spend[1] == pytest.approx(6.0 * 15.0 / 3.0)             # no repeats: the population mean p·γ/(q − 1)
    disc = clv.btyd_clv(s, bg, gg, horizon_months=12, margin=0.3, annual_discount_rate=0.10)
    assert ((disc["clv"] < out["clv"]) & (disc["clv"] > out["clv"] / 1.1)).all()


def test_retention_formulas(small_ws):
    assert clv.retention_clv(100.0, 0.8, 0.10) == pytest.approx(100 * 0.8 / 0.3)
    s = clv.retention_clv(pd.Series([50.0, 100.0]), pd.Series([0.5, 0.9]), 0.0)
    assert s.tolist() == pytest.approx([50.0, 900.0])
    with pytest.raises(ValueError, match="probability"):
        clv.retention_clv(100.0, 1.2)
    rr = clv.retention_rate(small_ws)
    orders = small_ws.sql("SELECT customer_id, order_ts, status FROM orders WHERE status = 'completed'")
    end = small_ws.as_of.normalize()
    d = orders["order_ts"].dt.normalize()
    prev = set(orders.loc[(d > end - pd.Timedelta(days=730)) & (d <= end - pd.Timedelta(days=365)), "customer_id"])
    last = set(orders.loc[(d > end - pd.Timedelta(days=365)) & (d <= end), "customer_id"])
    assert rr["customers"].iloc[0] == len(prev)
    assert rr["retention_rate"].iloc[0] == pytest.approx(len(prev & last) / len(prev))
    by = clv.retention_rate(small_ws, by="acquisition_channel")
    assert by["customers"].sum() == len(prev)
    with pytest.raises(ValueError, match="column of customers"):
        clv.retention_rate(small_ws, by='city" FROM customers; --')


def test_retention_clv_over_a_horizon():
    m, r, d = 100.0, 0.8, 0.10
    # the next n years one by one: a customer still there in year t brings m, discounted t years
    for n in (1, 2, 5):
        by_hand = sum(m * r ** t / (1 + d) ** t for t in range(1, n + 1))
        assert clv.retention_clv(m, r, d, periods=n) == pytest.approx(by_hand)
    assert clv.retention_clv(m, r, d, periods=1) == pytest.approx(m * r / (1 + d))
    # a long horizon approaches the formula without a horizon, and is always below it
    assert clv.retention_clv(m, r, d, periods=10) < clv.retention_clv(m, r, d)
    assert clv.retention_clv(m, r, d, periods=500) == pytest.approx(clv.retention_clv(m, r, d))
    assert clv.retention_clv(m, 1.0, 0.0, periods=3) == pytest.approx(300.0)         # r = 1, d = 0: no decay
    s = clv.retention_clv(pd.Series([50.0, 100.0]), pd.Series([0.5, 0.9]), 0.0, periods=2)
    assert s.tolist() == pytest.approx([50 * (0.5 + 0.25), 100 * (0.9 + 0.81)])
    with pytest.raises(ValueError, match="whole number"):
        clv.retention_clv(m, r, d, periods=0)


def test_clv_by_horizon_compares_like_with_like(small_ws, summary):
    bg, gg = clv.fit_btyd(summary)
    t = clv.clv_by_horizon(small_ws, bg, gg, long_months=60)
    assert t["horizon"].tolist() == ["12 months", "5 years", "none (forever)", "12 months", "5 years"]
    recent = summary["days_since_last"] <= 365
    assert (t["customers"] == recent.sum()).all()
    # the model rows are the clv table's CLV over the same horizon, averaged over the last year's buyers
    for months in (12, 60):
        table = clv.clv_table(small_ws, horizon_months=months, summary=summary, purchase_model=bg, spend_model=gg)
        row = t[t["method"].str.startswith("BTYD") & (t["horizon_months"] == months)]
        assert row["clv_per_customer"].iloc[0] == pytest.approx(table.loc[recent.to_numpy(), "clv"].mean())
    # the formula rows: the retention rate and margin of retention_rate, the config's discount rate
    rr = clv.retention_rate(small_ws).iloc[0]
    d = small_ws.cfg.economics.annual_discount_rate
    formula = t[t["method"] == "retention formula"].set_index("horizon")["clv_per_customer"]
    assert formula["12 months"] == pytest.approx(rr["margin_per_retained"] * rr["retention_rate"] / (1 + d))
    assert formula["5 years"] == pytest.approx(clv.retention_clv(rr["margin_per_retained"], rr["retention_rate"], d,
                                                                  periods=5))
    assert formula["12 months"] < formula["5 years"] < formula["none (forever)"]
    model = t[t["method"].str.startswith("BTYD")].set_index("horizon")["clv_per_customer"]
    assert model["12 months"] < model["5 years"]
    with pytest.raises(ValueError, match="long horizon"):
        clv.clv_by_horizon(small_ws, bg, gg, long_months=12)


def test_historical_clv():
    s = pd.DataFrame({"customer_id": ["a"], "margin_total": [50.0], "acquisition_cost": [20.0]})
    assert clv.historical_clv(s)["historical_clv"].tolist() == [50.0]
    with pytest.raises(KeyError, match="margin_total"):
        clv.historical_clv(s.drop(columns="margin_total"))


# ------------------------------------------------------------------------------------------ errors
def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="recency > T"):
        BetaGeo().fit([1, 2], [5.0, 30.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="frequency < 0"):
        BetaGeo().fit([-1, 2], [0.0, 3.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="frequency 0"):
        BetaGeo().fit([0, 2], [4.0, 3.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="missing"):
        BetaGeo().fit([1, np.nan], [1.0, 3.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        BetaGeo().fit([0, 0], [0.0, 0.0], [10.0, 20.0])
    with pytest.raises(ValueError, match="monetary_value must be > 0"):
        GammaGamma().fit([1, 2], [10.0, 0.0])
    with pytest.raises(RuntimeError, match="fit the model first"):
        BetaGeo().p_alive(1, 1, 2)


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo, ParetoNBD, GammaGamma])
def test_fitters_follow_the_estimator_conventions(cls):
    """Settings only in __init__, learned state only from fit (trailing underscore), a clear NotFittedError before
    it (an AttributeError like scikit-learn's, and a RuntimeError as before), one repr and summary for all."""
    m = cls(max_iter=123)
    assert m.max_iter == 123 and not [k for k in vars(m) if k.endswith("_")]
    assert not hasattr(m, "params_") and repr(m) == f"{cls.__name__}(unfitted)"
    args = "frequency, monetary_value" if cls is GammaGamma else "frequency, recency, T"
    with pytest.raises(NotFittedError, match=rf"fit the model first: {cls.__name__}\(\)\.fit\({args}\)"):
        m.summary()
    assert issubclass(NotFittedError, AttributeError) and issubclass(NotFittedError, RuntimeError)
    # parameters set by hand predict, but have no likelihood to give standard errors
    m.params_ = {n: 2.0 for n in m.param_names}
    assert repr(m).startswith(f"{cls.__name__}(") and "log_likelihood=nan" in repr(m)
    with pytest.raises(NotFittedError, match="set by hand"):
        m.summary()


def test_non_convergence_raises_a_clear_error():
    d = simulate(3000, TRUE, modified=False, seed=5)
    with pytest.raises(ConvergenceError, match="did not converge"):
        BetaGeo(max_iter=1).fit(d["frequency"], d["recency"], d["T"])


# ------------------------------------------------------------------------------------------ properties
@settings(max_examples=60, deadline=None)
@given(x=st.integers(0, 60), frac=st.floats(0, 1), T=st.floats(1, 2000), t1=st.floats(1, 500), t2=st.floats(1, 500),
       modified=st.booleans())
def test_expectations_are_sane(x, frac, T, t1, t2, modified):
    m = (ModifiedBetaGeo if modified else BetaGeo)()
    m.params_ = dict(TRUE)
    tx = 0.0 if x == 0 else frac * T
    pa = float(m.p_alive(x, tx, T))
    assert 0.0 <= pa <= 1.0
    if x == 0 and not modified:
        assert pa == 1.0
    lo, hi = sorted([t1, t2])
    e_lo, e_hi = float(m.expected_purchases(lo, x, tx, T)), float(m.expected_purchases(hi, x, tx, T))
    assert 0.0 <= e_lo <= e_hi + 1e-12
    assert np.isfinite(e_hi)
    # buying more recently never lowers the chance of being alive
    if x > 0:
        assert float(m.p_alive(x, T, T)) >= pa - 1e-12


def test_p_alive_matrix_and_histogram(summary):
    m = ModifiedBetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    mat = clv.p_alive_matrix(m, T=365.0, max_frequency=10)
    assert mat.shape == (11, 41)
    assert (np.diff(mat.to_numpy()[1:], axis=1) >= -1e-12).all()        # later last purchase → more likely alive
    h = clv.frequency_histogram(summary, m)
    assert h["actual"].sum() == len(summary)
    assert h["model"].sum() == pytest.approx(len(summary))


def test_cdnow_client_pipeline_reproduces_the_published_summary(tmp_path):
    """The CDNOW sample loaded as a client (clients/cdnow.yaml: ingest → merge/purge → database) gives, with the
    config's 39-week calibration, exactly the published summary (in days ÷ 7) and the published BG/NBD fit."""
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    ws = Workspace(load_config(root / "clients" / "cdnow.yaml", overrides={"workdir": str(tmp_path)})).ensure_built()
    assert str(clv.calibration_end(ws).date()) == "1997-09-30"
    h = clv.holdout_summary(ws)
    ids = ws.sql("SELECT record_id, customer_id FROM customer_records")
    ids["ID"] = ids["record_id"].astype(int).astype(str)
    m = h.merge(ids, on="customer_id").merge(dbm.datasets.cdnow_summary(), left_on="ID", right_on="customer_id")
    assert len(m) == 2357
    assert (m["frequency_cal"] == m["frequency"]).all()
    assert np.abs(m["recency_cal"] / 7 - m["recency"]).max() <= 0.005 + 1e-9
    assert np.abs(m["T_cal"] / 7 - m["T"]).max() <= 0.005 + 1e-9
    bg = BetaGeo().fit(h["frequency_cal"], h["recency_cal"] / 7, h["T_cal"] / 7)
    assert {k: round(v, 3) for k, v in bg.params_.items()} == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.mark.parametrize("cls", [BetaGeo, ModifiedBetaGeo])
def test_expectations_are_continuous_at_a_equal_one(cls):
    """(a + b + x − 1)/(a − 1) × [1 − …] is 0/0 at a = 1; the value there is the limit from both sides."""
    vals = []
    for a in (1 - 1e-3, 1.0, 1 + 1e-3):
        m = cls()
        m.params_ = {**TRUE, "a": a}
        vals.append((float(m.expected_purchases(100, 3, 200, 300)), float(m.expected_purchases_new(100))))
    for k in range(2):
        assert np.isfinite(vals[1][k])
        assert vals[1][k] == pytest.approx((vals[0][k] + vals[2][k]) / 2, rel=1e-4)


def test_infinite_mean_spend_is_refused():
    s = pd.DataFrame({"customer_id": ["a"], "frequency": [2], "recency": [10.0], "T": [20.0],
                      "monetary_mean_repeat": [50.0]})
    bg, gg = BetaGeo(), GammaGamma()
    bg.params_ = dict(TRUE)
    gg.params_ = {"p": 2.0, "q": 0.8, "gamma": 10.0}
    with pytest.raises(ValueError, match="q = 0.800"):
        clv.btyd_clv(s, bg, gg)


def test_degenerate_data_fit_at_the_edge_and_still_predict():
    """Customers who all buy at the same rate and never leave (a plain Poisson process): the likelihood keeps rising
    towards r, α → ∞; the fit stops at the bound, says so, and predicts the common rate."""
    rng = np.random.default_rng(7)
    n, lam = 3000, 0.02
    T = rng.uniform(200, 400, n)
    times = [np.cumsum(rng.exponential(1 / lam, 60)) for _ in range(n)]
    x = np.array([(tt <= Ti).sum() for tt, Ti in zip(times, T)])
    last = np.array([tt[k - 1] if k else 0.0 for tt, k in zip(times, x)])
    for cls in (BetaGeo, ModifiedBetaGeo):
        m = cls().fit(x, last, T)
        assert m.at_boundary_
        pred = float(m.expected_purchases(100, 6, 300, 310))
        assert np.isfinite(pred) and pred == pytest.approx(lam * 100, rel=0.25)


def test_short_history_retention_is_unknown_not_an_error():
    assert np.isnan(clv.retention_clv(np.nan, np.nan))
    assert clv.retention_clv(pd.Series([10.0, np.nan]), pd.Series([0.5, np.nan]), 0.1).isna().tolist() == [False, True]
