"""Exercises of chapter 91 (case study: CDNOW and the BG/NBD paper). Expected answers come from the bundled data."""
from __future__ import annotations

from functools import lru_cache

from . import exercise


@lru_cache(maxsize=1)
def _fitted():
    from ..clv import BetaGeo
    from ..datasets import cdnow_summary
    s = cdnow_summary()
    return s, BetaGeo().fit(s["frequency"], s["recency"], s["T"])


@exercise("91.1", "Customers with at least one repeat purchase in the calibration period",
          hint="In the calibration summary (dbm.datasets.cdnow_summary()) count the customers with frequency > 0.",
          solution="answer = int((summary['frequency'] > 0).sum())")
def _repeaters(ws=None):
    s, _ = _fitted()
    return int((s["frequency"] > 0).sum())


@exercise("91.2", "Expected purchases of customer 1 in the next 39 weeks",
          hint="Customer 1 has x = 2, t_x = 30.43, T = 38.86 (weeks). Use bg.expected_purchases(39, x, t_x, T) of "
               "the BG/NBD model fitted on the calibration summary.",
          solution="answer = float(bg.expected_purchases(39, 2, 30.43, 38.86))", rel_tol=2e-3)
def _conditional(ws=None):
    import numpy as np
    _, bg = _fitted()
    return float(np.asarray(bg.expected_purchases(39, 2, 30.43, 38.86)).ravel()[0])


@exercise("91.3", "Repeat transactions in the holdout period (weeks 40–78)",
          hint="dbm.cases.weekly_repeat_transactions(transactions) counts repeat transactions per week; add up weeks "
               "40 to 78.",
          solution="w = dbm.cases.weekly_repeat_transactions(tx)\nanswer = int(w.loc[w['week'] > 39, "
                   "'repeat_transactions'].sum())")
def _holdout_actual(ws=None):
    from ..cases import weekly_repeat_transactions
    from ..datasets import cdnow
    w = weekly_repeat_transactions(cdnow("sample"))
    return int(w.loc[w["week"] > 39, "repeat_transactions"].sum())


@exercise("91.4", "Share of customers the model believes are still alive at the end of the calibration period",
          hint="Average bg.p_alive(frequency, recency, T) over all customers of the calibration summary.",
          solution="answer = float(bg.p_alive(summary['frequency'], summary['recency'], summary['T']).mean())",
          rel_tol=2e-3)
def _alive(ws=None):
    import numpy as np
    s, bg = _fitted()
    return float(np.mean(bg.p_alive(s["frequency"], s["recency"], s["T"])))
