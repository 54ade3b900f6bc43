"""Uplift models at scale: each model learns from at most max_rows rows (seeded, stratified), deterministic, a no-op
below the cap, and a capped model still recovers a planted uplift."""
import numpy as np
import pandas as pd
import pytest

from dbmkit.evaluate.uplift import feature_matrix, fit_uplift


def _planted(n=12000, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"discount_share": rng.random(n), "age": rng.integers(18, 80, n).astype(float),
                       "orders_365d": rng.poisson(3, n).astype(float), "channel": "email",
                       "campaign_id": rng.choice(["K1", "K2"], n)})
    df["treatment"] = (rng.random(n) < np.where(df["campaign_id"] == "K1", 0.5, 0.8)).astype(int)
    true = 0.25 * df["discount_share"] - 0.05
    base = 0.15 + 0.02 * df["orders_365d"].clip(0, 5)
    df["responded"] = (rng.random(n) < (base + df["treatment"] * true).clip(0, 1)).astype(int)
    return df, true


@pytest.mark.parametrize("method", ["two_model", "class_transformation"])
def test_capped_uplift_is_deterministic_and_still_recovers_the_truth(method):
    df, true = _planted()
    X = feature_matrix(df)
    full = fit_uplift(df, method, "logistic", max_rows=None).predict(X)
    same = fit_uplift(df, method, "logistic", max_rows=len(df)).predict(X)      # cap above the size: no change
    assert np.allclose(full, same)
    a = fit_uplift(df, method, "logistic", max_rows=4000).predict(X)
    b = fit_uplift(df, method, "logistic", max_rows=4000).predict(X)
    assert np.array_equal(a, b) and not np.allclose(a, full)
    assert np.corrcoef(a, true)[0, 1] > 0.6


def test_two_model_caps_each_group_separately():
    df, _ = _planted()
    m = fit_uplift(df, "two_model", "logistic", max_rows=1000)
    lr_t, lr_c = m.treated_[-1], m.control_[-1]
    assert lr_t.n_features_in_ == lr_c.n_features_in_
    # the scaler saw exactly max_rows rows of each group (both groups are larger than the cap here)
    assert m.treated_[-2].n_samples_seen_ == 1000 and m.control_[-2].n_samples_seen_ == 1000
