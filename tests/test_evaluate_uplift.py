"""Uplift: Qini and deciles on hand-made data, both models recover a planted uplift, point-in-time features."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dbmkit.datasets.truth import person_map
from dbmkit.evaluate import (
    ClassTransformationUplift,
    TwoModelUplift,
    contact_features,
    feature_matrix,
    fit_uplift,
    qini,
    qini_curve,
    targeting_plan,
    uplift_by_decile,
    uplift_training_data,
)


def test_qini_by_hand():
    # 4 treated, 4 control; score ranks a treated responder first
    df = pd.DataFrame({"score": [8, 7, 6, 5, 4, 3, 2, 1], "t": [1, 0, 1, 0, 1, 0, 1, 0],
                       "y": [1, 0, 1, 0, 0, 1, 0, 1]})
    c = qini_curve(df, "score", "y", "t")
    # after k rows: treated responders − control responders × n_t / n_c (no controls yet: nothing subtracted)
    assert c["incremental_responses"].tolist() == pytest.approx([0, 1, 1, 2, 2, 2, 2 - 1 * 3 / 3, 2 - 1 * 4 / 3,
                                                                 2 - 2 * 4 / 4])
    assert c["random"].iloc[-1] == c["incremental_responses"].iloc[-1] == 0
    # areas (trapezoids, x = rows targeted): model 9.667; perfect order (treated responders first, control
    # responders last; ties as blocks) (0,0)→(2,2)→(6,2)→(8,0) = 12; random 0
    assert qini(df, "score", "y", "t") == pytest.approx((0.5 + 1 + 1.5 + 2 + 2 + 1.5 + (1 + 2 / 3) / 2 + 1 / 3) / 12)
    assert qini(df.assign(score=-df["score"]), "score", "y", "t") < 0   # the reverse is worse than random


def test_qini_of_random_scores_is_near_zero():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"t": rng.random(20000) < 0.5, "u": rng.random(20000)})
    df["y"] = (rng.random(20000) < 0.1 + 0.1 * df["u"] * df["t"]).astype(int)
    # normalised by the perfect (unreachable) order, Qini values are small: random ≈ 0 ± 0.011 over seeds,
    # ranking by the true uplift ≈ 0.07
    assert qini(df.assign(s=rng.random(20000)), "s", "y", "t") == pytest.approx(0, abs=0.04)
    assert qini(df.assign(s=df["u"]), "s", "y", "t") > 0.03
    d = uplift_by_decile(df.assign(s=df["u"]), "s", "y", "t", n_bins=5)
    assert d["decile"].tolist() == [1, 2, 3, 4, 5]
    assert d["observed_uplift"].iloc[0] > d["observed_uplift"].iloc[-1]
    assert (d["ci_low"] <= d["observed_uplift"]).all() and (d["observed_uplift"] <= d["ci_high"]).all()
    assert d["n"].sum() == 20000


@pytest.mark.parametrize("method", ["two_model", "class_transformation"])
@pytest.mark.parametrize("model", ["logistic", "gbm"])
def test_models_recover_a_planted_uplift(method, model):
    rng = np.random.default_rng(1)
    n = 12000
    df = pd.DataFrame({"discount_share": rng.random(n), "age": rng.integers(18, 80, n).astype(float),
                       "orders_365d": rng.poisson(3, n).astype(float), "channel": "email",
                       "campaign_id": rng.choice(["K1", "K2"], n)})
    df["treatment"] = (rng.random(n) < np.where(df["campaign_id"] == "K1", 0.5, 0.8)).astype(int)
    true = 0.25 * df["discount_share"] - 0.05            # deal seekers are persuadable, the others lose
    base = 0.15 + 0.02 * df["orders_365d"].clip(0, 5)
    df["responded"] = (rng.random(n) < (base + df["treatment"] * true).clip(0, 1)).astype(int)
    m = fit_uplift(df, method, model)
    s = m.predict(feature_matrix(df))
    assert np.corrcoef(s, true)[0, 1] > 0.6
    d = uplift_by_decile(df.assign(s=s, true=true), "s", "responded", "treatment", true_uplift="true")
    assert d["true_uplift"].iloc[0] > 0.1
    assert d["true_uplift"].iloc[0] - d["true_uplift"].iloc[-1] > 0.1


def test_models_need_both_groups():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="both treated"):
        TwoModelUplift().fit(X, [1, 1, 1], [0, 1, 0])
    with pytest.raises(ValueError, match="both treated"):
        ClassTransformationUplift().fit(X, [0, 0, 0], [0, 1, 0])


def test_targeting_plan():
    d = pd.DataFrame({"decile": [1, 2, 3], "n": [100, 100, 100], "predicted_uplift": [0.05, 0.02, -0.01]})
    p = targeting_plan(d, margin_per_response=30.0, cost_per_contact=0.85)
    assert p["profit_per_contact"].round(4).tolist() == [0.65, -0.25, -1.15]
    assert p["target"].tolist() == [True, False, False]
    assert p["cumulative_profit"].iloc[0] == pytest.approx(65.0)


def test_training_data_of_the_small_client(small_ws):
    tr = uplift_training_data(small_ws)
    n_contacts = int(small_ws.sql("SELECT count(*) AS n FROM contacts")["n"].iloc[0])
    assert len(tr) == n_contacts
    assert set(tr["treatment"]) == {0, 1}
    assert (tr["days_since_last"].dropna() >= 0).all()
    # point in time: a contact's order count is the orders before its contact, not the whole history
    one = tr.sort_values("orders_total").iloc[-1]
    n_before = small_ws.sql("SELECT count(*) AS n FROM orders WHERE customer_id = ? AND status = 'completed' "
                            "AND order_ts < ?", [one["customer_id"], one["contact_ts"]])["n"].iloc[0]
    assert one["orders_total"] == n_before
    n_all = small_ws.sql("SELECT count(*) AS n FROM orders WHERE customer_id = ? AND status = 'completed'",
                         [one["customer_id"]])["n"].iloc[0]
    assert n_all >= n_before
    # features of a future contact date use the whole history
    f = contact_features(small_ws, pd.DataFrame({"campaign_id": "X", "customer_id": [one["customer_id"]],
                                                 "contact_ts": [pd.Timestamp("2026-07-10")]}))
    assert f["orders_total"].iloc[0] == n_all


def test_uplift_on_the_small_client_against_the_truth(small_ws):
    tr = uplift_training_data(small_ws)
    pm = person_map(small_ws)
    cu = small_ws.truth["campaign_uplift"]
    tr["person_id"] = pm.reindex(tr["customer_id"]).to_numpy()
    tr = tr.merge(cu[["campaign_id", "person_id", "true_uplift", "uplift_type"]], on=["campaign_id", "person_id"],
                  how="left")
    # ranking by the true uplift gives a clearly positive Qini on the real outcomes: the outcomes carry the signal
    assert qini(tr.assign(s=tr["true_uplift"].fillna(0)), "s", "responded", "treatment") > 0.02
    # the four types: persuadables have positive, do-not-disturbs negative true uplift in the past campaigns
    by_type = tr.groupby("uplift_type")["true_uplift"].mean()
    assert by_type["persuadable"] > 0 > by_type["do_not_disturb"]
    assert by_type["sure_thing"] == pytest.approx(0) and by_type["lost_cause"] == pytest.approx(0)
    # both estimators train and score on the client's features (a few hundred controls: noisy, not asserted)
    for method in ("two_model", "class_transformation"):
        s = fit_uplift(tr, method).predict(feature_matrix(tr))
        assert np.isfinite(s).all() and (np.abs(s) <= 1).all()


def test_model_comparison_and_scoring_a_campaign(small_ws):
    from dbmkit.evaluate import collect_results, compare_uplift_models, score_campaign, with_true_uplift
    data = with_true_uplift(small_ws, uplift_training_data(small_ws))
    cm = compare_uplift_models(data, test_share=0.3, seed=1)
    assert cm.qini["method"].tolist() == ["two_model", "class_transformation", "truth (synthetic)"]
    assert cm.best() in ("two_model", "class_transformation")
    # the split keeps every campaign's control group on both sides
    for part in (cm.train, cm.test):
        assert (part.groupby("campaign_id")["treatment"].min() == 0).all()
    assert len(cm.train) + len(cm.test) == len(data)
    b = collect_results(small_ws, campaign_id="CMP05")
    scored = score_campaign(small_ws, cm.models[cm.best()], b)
    assert len(scored) == len(b.results)
    assert {"predicted_uplift", "responded", "group", "true_uplift", "uplift_type"} <= set(scored.columns)
    d = uplift_by_decile(scored, "predicted_uplift", "responded", "group", true_uplift="true_uplift",
                         types="uplift_type")
    shares = d[[c for c in d.columns if c.startswith("share_")]].sum(axis=1)
    assert np.allclose(shares, 1.0, atol=0.02)          # every contact has one of the four types
