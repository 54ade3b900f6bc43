"""The fitting cap of the models (chapter 26 at 1M people): a seeded sample stratified by the outcome, honoured,
deterministic, a no-op below the cap; build_scores reuses the chapter's training sets with identical results."""
from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit import models


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 400), st.floats(0.01, 0.99), st.integers(2, 300), st.integers(0, 10_000))
def test_fit_sample_honours_the_cap_and_keeps_the_outcome_share(n, share, cap, seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < share).astype(int)
    idx = models.fit_sample(y, max_rows=cap, seed=seed)
    assert np.all(np.diff(idx) > 0) and idx.min() >= 0 and idx.max() < n          # sorted, unique, valid
    if n <= cap:
        assert idx.tolist() == list(range(n))                                       # no cap below its size
    else:
        assert cap <= len(idx) <= cap + 1                                           # +1 only to keep a rare class
        # stratified: each class keeps its share
        for v in np.unique(y):
            want = (y == v).sum() * cap / n
            assert abs((y[idx] == v).sum() - want) <= 1.0 + 1e-9
            assert (y[idx] == v).sum() >= 1
    assert np.array_equal(idx, models.fit_sample(y, max_rows=cap, seed=seed))     # deterministic


def test_fit_sample_hand_case_and_no_cap():
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    idx = models.fit_sample(y, max_rows=5, seed=3)
    assert len(idx) == 5 and y[idx].sum() == 1          # 2 of 10 respond → 1 of 5
    assert models.fit_sample(y, max_rows=None).tolist() == list(range(10))


def test_default_cap_leaves_the_small_client_unchanged(small_ws):
    tr = models.response_training_set(small_ws)
    assert len(tr) < models.MAX_FIT_ROWS
    a, cats_a, cols_a = models.fit(tr, tr["responded"], kind="logistic", seed=1)
    b, cats_b, cols_b = models.fit(tr, tr["responded"], kind="logistic", seed=1, max_rows=None)
    assert cols_a == cols_b
    assert np.allclose(models.predict(a, tr, cats_a, cols_a), models.predict(b, tr, cats_b, cols_b))


def test_fit_on_a_capped_sample_is_deterministic_and_still_ranks(small_ws):
    tr = models.response_training_set(small_ws)
    cap = len(tr) // 3
    p1 = models.predict(*_fit(tr, cap))
    p2 = models.predict(*_fit(tr, cap))
    assert np.array_equal(p1, p2)
    full = models.predict(*_fit(tr, None))
    assert not np.allclose(p1, full)                                                # it really learnt from fewer rows
    assert pd.Series(p1).corr(pd.Series(full), method="spearman") > 0.8             # …and ranks almost the same


def _fit(tr, cap):
    m, cats, cols = models.fit(tr, tr["responded"], kind="logistic", seed=7, max_rows=cap)
    return m, tr, cats, cols


def test_build_scores_reusing_training_sets_equals_computing_them(small_ws):
    tr = models.response_training_set(small_ws)
    churn = models.churn_training_set(small_ws, small_ws.as_of - pd.Timedelta(days=180), 180)
    a = models.build_scores(small_ws, kind="logistic")
    b = models.build_scores(small_ws, kind="logistic", response_data=tr, churn_data=churn)
    pd.testing.assert_frame_equal(a, b)
    capped = models.build_scores(small_ws, kind="logistic", max_rows=500, response_data=tr, churn_data=churn)
    assert len(capped) == len(a) and capped["customer_id"].tolist() == a["customer_id"].tolist()  # everyone scored
