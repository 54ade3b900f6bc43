"""Customer lifetime value (客户终身价值, CLV/CLTV): historical, retention-formula and model-based (BTYD).

Three ways to put a number on a customer's future, from simplest to best:

* **Historical CLV** — the margin a customer has brought so far (:func:`historical_clv`). Easy, but it looks back.
* **Retention-formula CLV** — margin per period × r / (1 + d − r) for a retention rate r and discount rate d
  (:func:`retention_clv`): the value of a customer who keeps buying with probability r each period, forever.
* **BG/NBD + Gamma-Gamma** ("buy till you die", BTYD) — each customer buys at their own rate while "alive" and may
  drop out after any purchase (:class:`BetaGeo`, Fader, Hardie & Lee 2005); the value of a purchase varies around
  the customer's own mean (:class:`GammaGamma`, Fader & Hardie 2013). Both are fitted by maximum likelihood.
  CLV = expected purchases × expected spend × margin, discounted (:func:`btyd_clv`, :func:`build_clv`).
  :class:`ModifiedBetaGeo` (MBG/NBD) also lets a customer drop out right after the first purchase — BG/NBD
  assumes every one-time buyer is still alive; :func:`fit_purchase_model` keeps the better-fitting of the two.

The BTYD inputs come from :func:`dbmkit.rfm.customer_summary`: ``frequency`` = repeat purchases (purchase days after
the first), ``recency`` = time from the first to the last purchase, ``T`` = time from the first purchase to the
analysis date, all in one time unit. *BTYD recency is not RFM recency*: RFM recency is the time *since* the last
purchase (smaller is better); BTYD recency is the time *of* the last purchase counted from the first (larger is
better, for a given T). A customer with frequency 0 has BTYD recency 0 whatever their RFM recency.

Fitting works on the unique (frequency, recency, T) rows with weights — the likelihood only depends on them — with
log-parameters, an analytic gradient and L-BFGS, so a million customers fit in seconds. A fit that does not
converge raises :class:`ConvergenceError` with what to check; a model used before ``fit`` raises
:class:`NotFittedError`.

One concept per module, all re-exported here (``dbm.clv.<name>``):

* ``base`` — the fitter base class (``Fitter``: fitted state, ``summary()``, ``repr``), ``ConvergenceError``,
  ``NotFittedError``; ``numeric`` — the fitters' shared input checks, unique rows, minimiser, ``BOUNDARY_NOTE``;
* ``betageo`` — BetaGeo, ModifiedBetaGeo; ``paretonbd`` — ParetoNBD; ``gammagamma`` — GammaGamma;
* ``formulas`` — historical_clv, retention_clv, retention_rate, btyd_clv, margin_rates, value_tiers;
* ``fitting`` — fit_purchase_model, fit_btyd and the fit cache (fit_once, FIT_CACHE);
* ``holdout`` — calibration_holdout, calibration_end, holdout_summary, holdout_by_frequency, frequency_histogram,
  p_alive_matrix, decile_calibration, clv_holdout;
* ``table`` — clv_table, build_clv (``client_workspace.DERIVED``: ``dbmkit.clv:build_clv``), model_comparison,
  clv_by_horizon.

The synthetic truth joins (``truth_person_map``, ``truth_future``) live in :mod:`dbmkit.datasets.truth` and are
re-exported here for older callers.

Example
-------
>>> import dbmkit.clv as clv
>>> clv.BetaGeo.__module__, clv.GammaGamma.__module__       # the CDNOW fit is the example of dbmkit.clv.betageo
('dbmkit.clv.betageo', 'dbmkit.clv.gammagamma')
"""
from __future__ import annotations

from ..datasets.truth import truth_future, truth_person_map
from .base import ConvergenceError, Fitter, NotFittedError
from .betageo import BetaGeo, ModifiedBetaGeo
from .fitting import FIT_CACHE, MODELS, fit_btyd, fit_once, fit_purchase_model
from .formulas import VALUE_TIERS, btyd_clv, historical_clv, margin_rates, retention_clv, retention_rate, value_tiers
from .gammagamma import GammaGamma
from .holdout import (
    calibration_end,
    calibration_holdout,
    clv_holdout,
    decile_calibration,
    frequency_histogram,
    holdout_by_frequency,
    holdout_summary,
    p_alive_matrix,
)
from .numeric import BOUNDARY_NOTE, BOUNDARY_NOTE_ZH
from .paretonbd import ParetoNBD
from .table import build_clv, clv_by_horizon, clv_table, model_comparison

__all__ = ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "GammaGamma", "ConvergenceError", "NotFittedError", "Fitter",
           "historical_clv", "retention_clv", "retention_rate", "btyd_clv", "calibration_holdout",
           "holdout_by_frequency", "holdout_summary", "build_clv", "fit_btyd", "value_tiers", "truth_person_map",
           "truth_future", "VALUE_TIERS", "frequency_histogram", "p_alive_matrix", "decile_calibration",
           "margin_rates", "clv_holdout", "fit_purchase_model", "fit_once", "FIT_CACHE", "MODELS", "clv_table",
           "model_comparison", "calibration_end", "BOUNDARY_NOTE", "BOUNDARY_NOTE_ZH",
           "clv_by_horizon"]
