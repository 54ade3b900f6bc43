"""Fitting the purchase and spend models once: the choice between BG/NBD and MBG/NBD (:func:`fit_purchase_model`),
both models at once (:func:`fit_btyd`), and the fit cache behind them (:func:`fit_once`, :data:`FIT_CACHE`).

A chapter compares the models, then fits the chosen one on the same customers: the second fit is a copy of the
first, with the same numbers.

>>> from dbmkit.datasets import cdnow_summary
>>> s = cdnow_summary()
>>> fit_purchase_model(s["frequency"], s["recency"], s["T"]).model_name      # both fitted, the better one kept
'MBG/NBD'
"""
from __future__ import annotations

import copy
import hashlib

import numpy as np
import pandas as pd

from ..i18n import pick
from .base import ConvergenceError
from .betageo import BetaGeo, ModifiedBetaGeo
from .gammagamma import GammaGamma

__all__ = ["MODELS", "FIT_CACHE", "fit_once", "fit_purchase_model", "fit_btyd"]

MODELS = {"bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo}

# (model class name, hash of the inputs) → the fitted model; the last few fits only
FIT_CACHE: dict = {}
FIT_CACHE_SIZE = 4


def fit_once(cls, frequency, recency, T):
    """``cls().fit(frequency, recency, T)``, remembered for the last few identical inputs (a chapter compares the
    models, then fits the chosen one on the same customers): a copy of the earlier fit, the same numbers."""
    try:
        arrays = [np.ascontiguousarray(np.asarray(v, dtype=float)) for v in (frequency, recency, T)]
    except (TypeError, ValueError):
        return cls().fit(frequency, recency, T)         # not numbers: the fit's own message names the problem
    h = hashlib.sha1()
    for v in arrays:
        h.update(str(v.shape).encode())
        h.update(v.tobytes())
    key = (cls.__name__, h.hexdigest())
    if key not in FIT_CACHE:
        fitted = cls().fit(*arrays)                      # a ConvergenceError is raised, not remembered
        while len(FIT_CACHE) >= FIT_CACHE_SIZE:
            FIT_CACHE.pop(next(iter(FIT_CACHE)))
        FIT_CACHE[key] = fitted
    return copy.deepcopy(FIT_CACHE[key])


def fit_purchase_model(frequency, recency, T, model: str = "auto") -> BetaGeo:
    """Fit the purchase model: ``"bgnbd"`` (:class:`BetaGeo`), ``"mbgnbd"`` (:class:`ModifiedBetaGeo`) or ``"auto"``
    — both, keeping the one with the higher log-likelihood (they have the same number of parameters)."""
    if model not in ("auto", *MODELS):
        raise ValueError(f"model must be 'auto', 'bgnbd' or 'mbgnbd', not {model!r}")
    if model != "auto":
        return fit_once(MODELS[model], frequency, recency, T)
    fits = []
    for cls in MODELS.values():
        try:
            fits.append(fit_once(cls, frequency, recency, T))
        except ConvergenceError:
            continue
    if not fits:
        raise ConvergenceError(pick(("neither BG/NBD nor MBG/NBD converged: check the inputs (one time unit, enough "
                                     "repeat buyers)",
                                     "BG/NBD 和 MBG/NBD 都没有收敛：请检查输入"
                                     "（统一的时间单位、足够多的重复购买客户）")))
    return max(fits, key=lambda f: f.log_likelihood_)


def fit_btyd(summary: pd.DataFrame, monetary_col: str = "monetary_mean_repeat", model: str = "auto"
             ) -> tuple[BetaGeo, GammaGamma]:
    """Fit the purchase model (BG/NBD, MBG/NBD or the better of the two, see :func:`fit_purchase_model`) on all
    customers and Gamma-Gamma on repeat buyers with a positive mean spend."""
    bg = fit_purchase_model(summary["frequency"], summary["recency"], summary["T"], model)
    rep = summary[(summary["frequency"] > 0) & (summary[monetary_col] > 0)]
    gg = GammaGamma().fit(rep["frequency"], rep[monetary_col])
    return bg, gg
