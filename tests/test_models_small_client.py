"""Response and churn models on the small synthetic client (chapter 26): features as of each contact agree with an
independent pandas computation, the honest validation beats chance, leakage inflates it, the scores table keeps its
contract and the scores rank the synthetic truth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dbmkit import models


@pytest.fixture(scope="module")
def training(small_ws):
    return models.response_training_set(small_ws)


def test_features_and_labels_agree_with_pandas(small_ws, training):
    o = small_ws.sql("SELECT customer_id, order_ts, status, net_amount FROM orders")
    done = o[o["status"] == "completed"]
    sample = training.sample(200, random_state=1)
    for _, r in sample.iterrows():
        mine = done[done["customer_id"] == r["customer_id"]]
        before = mine[mine["order_ts"] < r["contact_ts"]]
        assert r["orders_total"] == len(before)
        if len(before):
            assert r["days_since_last"] == (r["contact_ts"].normalize() - before["order_ts"].max().normalize()).days
        window = mine[(mine["order_ts"] >= r["contact_ts"]) &
                      (mine["order_ts"] < r["contact_ts"] + pd.Timedelta(days=int(r["window_days"])))]
        assert r["responded"] == int(len(window) > 0)
    assert set(training["group"]) == {"treatment"}


def test_response_model_validates_out_of_time_and_leakage_inflates_it(small_ws, training):
    res = models.response_model(small_ws, data=training)
    assert res.split.startswith("out of time")
    last = training.groupby("campaign_id")["contact_ts"].min().idxmax()
    assert set(res.test["campaign_id"]) == {last}
    m = res.metrics.set_index("model")
    assert m["auc"].min() > 0.65
    assert m.loc[res.kind, "top_decile_lift"] > 1.8
    leaky = models.response_model(small_ws, data=models.response_training_set(small_ws, features_as_of="today"))
    assert leaky.metrics["auc"].max() > m["auc"].max() + 0.03
    truth = models.response_truth(small_ws, res)
    assert truth.attrs["spearman"] > 0.4
    by = models.truth_by_decile(truth)
    assert by["true_probability"].iloc[0] > 3 * by["true_probability"].iloc[-1]
    imp = models.feature_importance(res)
    assert imp["feature"].iloc[0] in ("days_since_last", "orders_12m", "orders_90d", "purchase_days")


def test_churn_model(small_ws):
    res = models.churn_model(small_ws, horizon_days=180)
    assert res.metrics["auc"].min() > 0.8
    buyers = res.test[res.test["bought_before"] == 1]
    assert models.evaluate(buyers["y"], buyers["score"])["auc"] > 0.75
    cal = models.calibration_table(res.test["y"], res.test["score"])
    assert np.abs(cal["mean_predicted"] - cal["observed_rate"]).max() < 0.15


def test_scores_table_contract_and_truth(small_ws):
    scores = models.build_scores(small_ws)
    cust = small_ws.sql("SELECT customer_id FROM customers")
    assert list(scores.columns) == ["customer_id", "response_score", "response_decile", "churn_score", "churn_decile"]
    assert scores["customer_id"].is_unique and set(scores["customer_id"]) == set(cust["customer_id"])
    for s, d in (("response_score", "response_decile"), ("churn_score", "churn_decile")):
        assert scores[s].between(0, 1).all()
        counts = scores[d].value_counts().sort_index()
        assert counts.index.tolist() == list(range(1, 11)) and counts.max() - counts.min() <= 1
        assert scores.groupby(d)[s].mean().is_monotonic_decreasing
    ct = models.churn_truth(small_ws, scores, 180)
    assert ct.attrs["auc"] > 0.8
    assert abs(ct["churned"].mean() - ct["churn_score"].mean()) < 0.1
    again = models.build_scores(small_ws)
    pd.testing.assert_frame_equal(scores, again)          # same data and seed → same scores
