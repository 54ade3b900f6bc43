"""The numeric helpers shared by the CLV model fitters: input checks, weighted unique rows, the bounded L-BFGS
minimiser and the parameter-space-edge flag.

Fitting works on the unique (frequency, recency, T) rows with weights — the likelihood only depends on them — with
log-parameters within ±``LOG_BOUND``, an analytic gradient and L-BFGS-B (:func:`minimise`); a fit that does not
converge raises :class:`~dbmkit.clv.base.ConvergenceError` with what to check.

>>> x, tx, T, w = check_btyd([0, 2], [0.0, 5.0], [10.0, 12.0])
>>> x.tolist(), w.tolist()
([0.0, 2.0], [1.0, 1.0])
>>> (cols, w) = unique_rows([np.array([1.0, 1.0, 2.0])], np.array([1.0, 2.0, 3.0]))
>>> cols[0].tolist(), w.tolist()
([1.0, 2.0], [3.0, 3.0])
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize

from .base import ConvergenceError

__all__ = ["wsum", "as_array", "check_btyd", "unique_rows", "LOG_BOUND", "minimise", "at_boundary", "BOUNDARY_NOTE",
           "BOUNDARY_NOTE_ZH"]

LOG_BOUND = 18.0      # log-parameters stay within ±18 (parameters between 1.5e-8 and 6.6e7, in scaled time units)

BOUNDARY_NOTE = ("some parameters ran to the edge of the parameter space: the data cannot tell them apart from "
                 "'infinitely large or small' (typically: customers who all buy at about the same rate or spend "
                 "about the same, or no sign of customers leaving). Predictions remain usable; the parameter values "
                 "and their standard errors are not meaningful on their own.")
BOUNDARY_NOTE_ZH = ("部分参数跑到了参数空间的边界：数据无法把它们与“无穷大或无穷小”区分开"
                    "（通常是因为客户的购买速率或消费额都差不多，或者看不出客户离开的迹象）。预测仍然可用，但参数值及其标准误本身没有意义。")


def wsum(w: np.ndarray, v: np.ndarray) -> float:
    """Weighted sum without BLAS (np.dot starts BLAS threads that spin on a busy machine: 10× slower)."""
    return float(np.sum(w * v))


# --------------------------------------------------------------------------------------------- input checks
def as_array(x, name: str) -> np.ndarray:
    """``x`` as a float array; a ValueError naming the input when it is not numbers."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (got {type(x).__name__})") from None
    return a


def check_btyd(frequency, recency, T, weights=None) -> tuple[np.ndarray, ...]:
    """The BTYD inputs as float arrays (x, recency, T, weights), or a ValueError listing every problem (missing
    values, negative or fractional frequency, recency > T, recency > 0 with frequency 0, negative weights) with the
    first offending row."""
    x, tx, TT = (as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
    x, tx, TT = np.broadcast_arrays(np.atleast_1d(x), np.atleast_1d(tx), np.atleast_1d(TT))
    w = np.ones(x.shape) if weights is None else np.broadcast_to(as_array(weights, "weights"), x.shape)
    problems = []
    for name, a in (("frequency", x), ("recency", tx), ("T", TT), ("weights", w)):
        bad = ~np.isfinite(a)
        if bad.any():
            problems.append(f"{name} has {int(bad.sum())} missing or infinite value(s)")
    if not problems:
        checks = [
            (x < 0, "frequency < 0"), (np.abs(x - np.round(x)) > 1e-9, "frequency not a whole number"),
            (tx < 0, "recency < 0"), (tx > TT + 1e-9, "recency > T (recency is the time from the first to the last "
                                                      "purchase, T from the first purchase to the end of the period)"),
            ((x == 0) & (tx > 1e-9), "recency > 0 with frequency 0 (one purchase means recency 0)"),
            (w < 0, "negative weights"),
        ]
        for mask, what in checks:
            if mask.any():
                i = int(np.flatnonzero(mask)[0])
                problems.append(f"{what}: {int(mask.sum())} row(s), first at position {i} "
                                f"(frequency={x[i]:g}, recency={tx[i]:g}, T={TT[i]:g})")
    if problems:
        raise ValueError("BTYD input problem: " + "; ".join(problems) + ". Build the inputs with "
                         "dbmkit.rfm.customer_summary (frequency = repeat purchases, recency and T in one time unit).")
    return x, tx, TT, np.asarray(w, float)


def unique_rows(cols: list[np.ndarray], w: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows into one with the summed weight (the likelihood only depends on the values)."""
    df = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    df["w"] = w
    g = df.groupby([f"c{i}" for i in range(len(cols))], sort=False, observed=True)["w"].sum().reset_index()
    g = g[g["w"] > 0]
    return [g[f"c{i}"].to_numpy(float) for i in range(len(cols))], g["w"].to_numpy(float)


# --------------------------------------------------------------------------------------------- optimisation
def mean_negative_ll(ll_grad, data, total: float):
    """The objective the fitters minimise: the mean negative log-likelihood and its gradient, from
    ``ll_grad(theta, data) -> (log-likelihood, gradient)``; a non-finite log-likelihood is a wall (1e20, zero
    gradient) the minimiser turns back from.

    >>> fun = mean_negative_ll(lambda th, d: (-(th ** 2).sum() * d, -2 * th * d), 2.0, total=4.0)
    >>> fun(np.array([1.0]))
    (np.float64(0.5), array([1.]))
    """
    def fun(theta):
        ll, g = ll_grad(theta, data)
        if not np.isfinite(ll):
            return 1e20, np.zeros_like(theta)
        return -ll / total, -g / total
    return fun


def minimise(fun, x0: np.ndarray, what: str, max_iter: int) -> optimize.OptimizeResult:
    """L-BFGS-B on bounded log-parameters, with a second start before giving up.

    When the likelihood keeps rising towards an edge of the parameter space (e.g. all customers buy at the same
    rate: r, α → ∞; nobody drops out: b → ∞), the optimum sits on the bound; the result is kept and flagged by
    the caller (``at_boundary_``) instead of failing."""
    best = None
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(x0)
    for start in (x0, x0 + np.array([0.5, -0.5, 0.3, -0.3][: len(x0)])):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = optimize.minimize(fun, np.clip(start, -LOG_BOUND + 1, LOG_BOUND - 1), jac=True, method="L-BFGS-B",
                                    bounds=bounds, options={"maxiter": max_iter, "gtol": 1e-9, "ftol": 1e-13})
        ok = np.isfinite(res.fun) and res.fun < 1e19 and np.all(np.isfinite(res.x))
        if ok and (best is None or res.fun < best.fun):
            best = res
        if ok and res.success:
            return res
    if best is not None:
        # the projected gradient (zero along coordinates pushing against a bound) must be small
        g = np.asarray(best.jac, float).copy()
        g[(best.x <= -LOG_BOUND + 1e-6) & (g > 0)] = 0.0
        g[(best.x >= LOG_BOUND - 1e-6) & (g < 0)] = 0.0
        if np.linalg.norm(g, np.inf) < 1e-4:
            return best
    msg = getattr(best, "message", "no finite likelihood") if best is not None else "no finite likelihood"
    raise ConvergenceError(
        f"The {what} fit did not converge ({msg}). Check that the inputs are in one time unit and in a sensible "
        "range (e.g. weeks or days, not seconds), that there are enough repeat buyers (a few hundred customers at "
        "least), and that the data are not all identical; then try another time unit or more data.")


def at_boundary(theta: np.ndarray) -> bool:
    """True when a (scaled) parameter drifted far from any usual value (below 1e-4 or above 8,000): the likelihood is
    flat towards an edge of the parameter space (see BOUNDARY_NOTE)."""
    return bool(np.any(np.abs(np.asarray(theta)) >= 9.0))
