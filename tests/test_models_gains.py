"""Judging a score (chapter 26): the gains table against a hand computation, its properties, deciles, calibration
and AUC."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dbmkit import models
from dbmkit.exercises.ch26 import EXAMPLE_SCORE, EXAMPLE_Y

COLUMNS = ["decile", "n", "responders", "response_rate", "cum_pct_customers", "cum_pct_responders", "lift", "cum_lift"]


def test_gains_table_equals_a_hand_computation():
    g = models.gains_table(EXAMPLE_Y, EXAMPLE_SCORE, n_bins=5)
    assert list(g.columns) == COLUMNS
    # 20 customers sorted by score, 4 per group: responders 2, 1, 0, 1, 0 of 4 in total (overall rate 0.2)
    hand = pd.DataFrame({
        "decile": [1, 2, 3, 4, 5], "n": [4, 4, 4, 4, 4], "responders": [2, 1, 0, 1, 0],
        "response_rate": [0.5, 0.25, 0.0, 0.25, 0.0],
        "cum_pct_customers": [0.2, 0.4, 0.6, 0.8, 1.0],
        "cum_pct_responders": [0.5, 0.75, 0.75, 1.0, 1.0],
        "lift": [2.5, 1.25, 0.0, 1.25, 0.0],
        "cum_lift": [2.5, (3 / 8) / 0.2, (3 / 12) / 0.2, (4 / 16) / 0.2, 1.0],
    })
    pd.testing.assert_frame_equal(g, hand, check_dtype=False)
    # the order of the rows does not matter, only the scores
    perm = np.random.default_rng(0).permutation(20)
    g2 = models.gains_table(np.array(EXAMPLE_Y)[perm], np.array(EXAMPLE_SCORE)[perm], n_bins=5)
    pd.testing.assert_frame_equal(g, g2)
    # the exercise 26.1 answer is the first lift
    from dbmkit.exercises import check
    assert check("26.1", 2.5).correct


def test_gains_table_uneven_groups_and_ties():
    y = np.r_[np.ones(5), np.zeros(18)]
    g = models.gains_table(y, np.linspace(1, 0, 23), n_bins=10)
    assert g["n"].tolist() == [3, 2, 2, 3, 2, 2, 3, 2, 2, 2]
    assert g["responders"].tolist()[:3] == [3, 2, 0]
    # ties are split by input order, so equal scores never make the table depend on chance
    tied = models.gains_table([1, 0, 0, 1], [0.5, 0.5, 0.5, 0.5], n_bins=2)
    assert tied["responders"].tolist() == [1, 1]


def test_gains_table_rejects_bad_input():
    with pytest.raises(ValueError, match="aligned"):
        models.gains_table([1, 0], [0.3])
    with pytest.raises(ValueError, match="0/1"):
        models.gains_table([1, 2, 0], [0.1, 0.2, 0.3], n_bins=2)
    with pytest.raises(ValueError, match="missing"):
        models.gains_table([1, 0, 0], [0.1, np.nan, 0.3], n_bins=2)
    with pytest.raises(ValueError, match="too few"):
        models.gains_table([1, 0, 0], [0.1, 0.2, 0.3], n_bins=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0, 1)), min_size=10, max_size=200), st.integers(2, 10))
def test_gains_table_properties(rows, n_bins):
    y = np.array([int(a) for a, _ in rows])
    s = np.array([b for _, b in rows])
    if y.sum() == 0:
        y[0] = 1
    g = models.gains_table(y, s, n_bins)
    assert g["n"].sum() == len(y) and g["responders"].sum() == y.sum()
    assert g["n"].max() - g["n"].min() <= 1
    assert g["cum_pct_customers"].iloc[-1] == pytest.approx(1.0)
    assert g["cum_pct_responders"].iloc[-1] == pytest.approx(1.0)
    assert g["cum_lift"].iloc[-1] == pytest.approx(1.0)
    assert g["cum_pct_responders"].is_monotonic_increasing
    # a perfect score (the outcome itself) reaches responders at least as fast as any score
    perfect = models.gains_table(y, y + 1e-9 * s, n_bins)
    assert (perfect["cum_pct_responders"].to_numpy() >= g["cum_pct_responders"].to_numpy() - 1e-12).all()


def test_decile_calibration_roc_and_evaluate():
    assert models.decile([0.1, 0.9, 0.5, 0.7, 0.3], n_bins=5).tolist() == [5, 1, 3, 2, 4]
    d = models.decile(np.arange(1000), 10)
    assert np.bincount(d)[1:].tolist() == [100] * 10 and d[-1] == 1
    cal = models.calibration_table([0, 0, 0, 1, 1, 1], [0.1, 0.1, 0.2, 0.8, 0.9, 0.9], n_bins=2)
    assert cal["mean_predicted"].tolist() == pytest.approx([0.4 / 3, 2.6 / 3])
    assert cal["observed_rate"].tolist() == [0.0, 1.0]
    roc = models.roc_table([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert roc.attrs["auc"] == pytest.approx(0.75)              # 3 of the 4 (responder, non-responder) pairs in order
    e = models.evaluate([0, 0, 1, 1] * 5, [0.1, 0.4, 0.35, 0.8] * 5, n_bins=4)
    assert e["auc"] == pytest.approx(0.75) and e["base_rate"] == 0.5 and e["n"] == 20
