"""Chapter 27's modules against hand-computed cases and the synthetic truth: customer description (profiles), the
monthly revenue time series (forecast) and the spend regression (spend_model)."""
from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from dbmkit import forecast, profiles, spend_model
from dbmkit.segments import LIFECYCLE_STAGES, lifecycle_stage


@pytest.mark.parametrize("name", ["dbmkit.profiles", "dbmkit.forecast", "dbmkit.spend_model"])
def test_docstring_examples(name):
    res = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0 and res.failed == 0


# ------------------------------------------------------------------------------------------------ profiles
def test_index_table_by_hand():
    # 10 customers: group A (4) has 3 web, group B (6) has 1 web → base web share 4/10
    d = pd.DataFrame({"group": ["A"] * 4 + ["B"] * 6,
                      "channel": ["web", "web", "web", "store", "web"] + ["store"] * 5})
    t = profiles.index_table(d, "channel").set_index(["group", "value"])
    assert t.loc[("A", "web"), "share"] == pytest.approx(0.75)
    assert t.loc[("A", "web"), "base_share"] == pytest.approx(0.4)
    assert t.loc[("A", "web"), "index"] == pytest.approx(187.5)
    assert t.loc[("B", "web"), "index"] == pytest.approx(100 * (1 / 6) / 0.4)
    # the interval is the Wilson interval of the share, scaled like the index, and holds the index
    lo, hi = 0.3006, 0.9544                                  # Wilson 95 % for 3 of 4 (textbook value)
    assert t.loc[("A", "web"), "index_low"] == pytest.approx(100 * lo / 0.4, abs=0.1)
    assert t.loc[("A", "web"), "index_high"] == pytest.approx(100 * hi / 0.4, abs=0.1)
    assert (t["index_low"] <= t["index"]).all() and (t["index"] <= t["index_high"]).all()
    # a group's shares add up to one over the values; base shares too
    assert t.groupby(level=0)["share"].sum().tolist() == pytest.approx([1.0, 1.0])


def test_profile_groups_take_defectors_from_the_lifecycle_function():
    rng = np.random.default_rng(0)
    n = 400
    s = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)], "frequency": rng.integers(0, 8, n),
                      "recency": rng.integers(0, 600, n), "T": rng.integers(100, 1000, n),
                      "days_since_last": rng.integers(0, 900, n), "monetary_total": rng.gamma(2, 300, n)})
    g = profiles.profile_groups(s, top_share=0.1, lost_days=365)
    life = lifecycle_stage(s, lost_days=365)
    lost = life["lifecycle_stage"].astype(str) == LIFECYCLE_STAGES[-1]
    assert ((g["group"] == "defector") == lost).all()
    current = s[~lost.to_numpy()]
    top = g[g["group"] == "top_value"]
    assert len(top) == int(np.ceil(0.1 * len(current)))
    # the top group is the highest spenders among the current customers
    assert s.set_index("customer_id").loc[top["customer_id"], "monetary_total"].min() >= \
        s.set_index("customer_id").loc[g.loc[g["group"] == "other_current", "customer_id"], "monetary_total"].max()
    with pytest.raises(ValueError, match="top_share"):
        profiles.profile_groups(s, top_share=1.5)


def test_profiles_on_the_small_client(small_ws):
    s = small_ws.table("customer_summary")
    g = profiles.profile_groups(s, lost_days=small_ws.cfg.analysis.active_days)
    a = profiles.customer_attributes(small_ws)
    assert set(a["customer_id"]) == set(s["customer_id"])               # every buyer, nobody else
    summ = profiles.profile_summary(g, s).set_index("group")
    assert summ["customer_share"].sum() == pytest.approx(1.0)
    assert summ["revenue_share"].sum() == pytest.approx(1.0)
    # the top 10 % of current customers bring far more than 10 % of revenue; defectors have not bought for a year
    assert summ.loc["top_value", "revenue_share"] > 0.3
    assert summ.loc["defector", "mean_days_since_last"] > small_ws.cfg.analysis.active_days
    # first-order channel agrees with the orders table for a customer
    cid = a["customer_id"].iloc[0]
    first = small_ws.sql("SELECT channel FROM orders WHERE customer_id = ? AND status = 'completed' "
                         "ORDER BY order_ts LIMIT 1", [cid])["channel"].iloc[0]
    assert a.loc[a["customer_id"] == cid, "first_channel"].iloc[0] == first
    traits = profiles.distinctive_traits(g, a, "top_value")
    assert (traits["index_low"] > 100).all() and len(traits) > 0


# ------------------------------------------------------------------------------------------------ forecast
def _months(n, start="2022-01"):
    return pd.period_range(start, periods=n, freq="M")


def test_additive_decomposition_recovers_a_linear_trend_and_its_season():
    season = np.array([5, -3, 2, 0, 1, -4, 6, -2, 3, -5, 1, -4], float)
    season -= season.mean()
    t = np.arange(48)
    y = pd.Series(100 + 2 * t + season[t % 12], index=_months(48))
    parts = forecast.decompose(y, kind="additive")
    ok = parts["trend"].notna()
    assert ok.sum() == 48 - 12                                          # six months lost at each end
    assert np.allclose(parts.loc[ok, "trend"], (100 + 2 * t)[ok.to_numpy()])
    assert np.allclose(parts["seasonal"], season[t % 12])
    assert np.allclose(parts.loc[ok, "remainder"], 0)


def test_multiplicative_decomposition_and_seasonal_index():
    factors = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 0.9, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3])
    factors /= factors.mean()
    t = np.arange(36)
    y = pd.Series(1000 * factors[t % 12], index=_months(36))           # flat trend: exact recovery
    si = forecast.seasonal_indices(forecast.decompose(y))
    assert np.allclose(si["index"], 100 * factors)
    assert int(si.loc[si["index"].idxmax(), "month_of_year"]) == 12
    with pytest.raises(ValueError, match="at least 24"):
        forecast.decompose(y.iloc[:20])


def test_forecasts_of_a_repeating_series_are_exact():
    pattern = np.array([10, 12, 15, 11, 9, 8, 14, 16, 13, 12, 18, 25], float)
    y = pd.Series(np.tile(pattern, 3), index=_months(36))
    assert forecast.seasonal_naive(y, 12).tolist() == pattern.tolist()
    assert forecast.seasonal_naive_growth(y, 12).tolist() == pytest.approx(pattern.tolist())
    assert forecast.holt_winters(y, 12).to_numpy() == pytest.approx(pattern, rel=1e-6)
    bt = forecast.backtest(y, horizon=6)
    summ = forecast.backtest_summary(bt).set_index("method")
    assert summ.loc["seasonal_naive", "mape"] == pytest.approx(0.0)
    assert summ["mape"].max() < 1e-6
    assert forecast.backtest(y, 6)["month"].astype(str).tolist()[:6] == [str(p) for p in y.index[-6:]]


def test_growth_and_interval_by_hand():
    y = pd.Series([10.0, 20, 30, 20, 40, 60], index=_months(6))
    assert forecast.seasonal_naive_growth(y, 3, period=3).tolist() == [40.0, 80.0, 120.0]   # × 120/60
    f = forecast.forecast(pd.Series(np.tile([10.0, 20, 30], 9), index=_months(27)), 3, "seasonal_naive", period=3,
                          residuals=[3.0, -4.0])
    half = 1.959964 * np.sqrt((9 + 16) / 2)
    assert f["high"].tolist() == pytest.approx([10 + half, 20 + half, 30 + half], rel=1e-5)
    assert f["low"].tolist() == pytest.approx([max(10 - half, 0), 20 - half, 30 - half], rel=1e-5)
    assert forecast.mape([100, 0, 50], [90, 5, 60]) == pytest.approx(0.15)    # the zero month is left out
    with pytest.raises(ValueError, match="complete months"):
        forecast.backtest(y, 6)


def test_monthly_series_of_the_small_client(small_ws):
    y = forecast.monthly_series(small_ws)
    assert len(y) == 36 and str(y.index[0]) == "2023-07" and str(y.index[-1]) == "2026-06"
    total = small_ws.sql("SELECT sum(net_amount) FROM orders WHERE status <> 'cancelled'").iloc[0, 0]
    assert y.sum() == pytest.approx(total)
    bt = forecast.backtest(y, 6)
    summ = forecast.backtest_summary(bt).set_index("method")
    # the synthetic retailer grows: the plain seasonal naive forecast is biased low, the others correct for growth
    assert summ.loc["seasonal_naive", "bias"] < 0
    assert summ[["mape"]].min().iloc[0] < summ.loc["seasonal_naive", "mape"]


# ------------------------------------------------------------------------------------------------ spend model
def test_regression_metrics_by_hand():
    m = spend_model.regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert m["r2"] == pytest.approx(1 - 4 / 2) and m["mae"] == pytest.approx(2 / 3)
    assert m["total_ratio"] == pytest.approx(8 / 6)


def test_spend_model_training_set_and_truth(small_ws):
    from dbmkit.datasets.truth import truth_future
    train = spend_model.training_set(small_ws)
    snap, end = train.attrs["snapshot"], train.attrs["end"]
    assert (end - snap).days == 365
    # the target of one customer equals their completed net revenue in the window
    cid = train.sort_values("spend_next")["customer_id"].iloc[-1]
    direct = small_ws.sql("SELECT sum(net_amount) FROM orders WHERE customer_id = ? AND status = 'completed' "
                          "AND order_ts > ? AND order_ts <= ?", [cid, snap.to_pydatetime(), end.to_pydatetime()])
    assert train.loc[train["customer_id"] == cid, "spend_next"].iloc[0] == pytest.approx(direct.iloc[0, 0])
    assert (train["orders_total"] > 0).all()                     # only customers who had bought by the snapshot
    model = spend_model.fit_spend_model(train, seed=11, n_boot=50)
    met = model.metrics.set_index("predictor")
    assert {"r2_low", "r2_high", "mae_low", "mae_high"} <= set(met.columns)
    assert (met["r2_low"] <= met["r2"]).all() and (met["r2"] <= met["r2_high"]).all()
    assert met.loc["ridge regression", "r2"] > 0.3
    # scored at the analysis date, the model's total is close to what the customers really spend next year
    scored = spend_model.score_spend(small_ws, model)
    truth = spend_model.against_truth(scored, truth_future(small_ws)).set_index("predictor")
    assert truth.loc["ridge regression", "total_ratio"] == pytest.approx(1.0, abs=0.15)
    assert truth.loc["ridge regression", "r2"] > 0.6
    with pytest.raises(ValueError, match="history"):
        spend_model.training_set(small_ws, snapshot=pd.Timestamp("2023-09-01"))
