"""The Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987): :class:`ParetoNBD`, the ancestor of
BG/NBD, fitted by maximum likelihood.

>>> from dbmkit.datasets import cdnow_summary
>>> s = cdnow_summary()
>>> round(ParetoNBD().fit(s["frequency"], s["recency"], s["T"]).log_likelihood_, 1)
-9595.0
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize
from scipy.special import expit, gammaln, hyp2f1

from .base import ConvergenceError, Fitter
from .numeric import at_boundary, check_btyd, unique_rows, wsum

__all__ = ["ParetoNBD"]


class ParetoNBD(Fitter):
    """The Pareto/NBD model: while alive a customer buys at rate λ ~ Gamma(r, α) and leaves at a random *time* with
    rate μ ~ Gamma(s, β) (not after a purchase). Fitted by maximum likelihood (likelihood of Fader, Hardie & Lee
    2005, numerical gradient — slower than :class:`~dbmkit.clv.BetaGeo`; fine for tens of thousands of unique
    (frequency, recency, T) rows). Same methods as BetaGeo for p_alive and expected_purchases.

    >>> m = ParetoNBD().fit([0, 1, 3, 0, 2, 5, 1, 0], [0, 4, 20, 0, 15, 30, 2, 0], [10, 30, 35, 20, 40, 32, 25, 5])
    >>> sorted(m.params_)
    ['alpha', 'beta', 'r', 's']
    """

    param_names = ("r", "alpha", "s", "beta")
    model_name = "Pareto/NBD"

    def __init__(self, max_iter: int = 5000):
        super().__init__(max_iter)

    @staticmethod
    def _log_a0(r, alpha, s, beta, x, tx, T):
        rsx = r + s + x
        with np.errstate(divide="ignore", invalid="ignore"):
            if alpha >= beta:
                h1 = np.log(hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + tx))) - rsx * np.log(alpha + tx)
                h2 = np.log(hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + T))) - rsx * np.log(alpha + T)
            else:
                h1 = np.log(hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + tx))) - rsx * np.log(beta + tx)
                h2 = np.log(hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + T))) - rsx * np.log(beta + T)
            return h1 + np.log1p(-np.exp(h2 - h1))

    @classmethod
    def _ll_rows(cls, params, x, tx, T):
        r, alpha, s, beta = params
        first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        second = np.log(s) - np.log(r + s + x) + cls._log_a0(r, alpha, s, beta, x, tx, T)
        return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(first, second)

    def fit(self, frequency, recency, T, weights=None) -> "ParetoNBD":
        """Maximum-likelihood fit on the unique (frequency, recency, T) rows; returns self."""
        x, tx, TT, w = check_btyd(frequency, recency, T, weights)
        if not (x[w > 0] > 0).any():
            raise ValueError("no customer has a repeat purchase (frequency > 0): Pareto/NBD cannot be fitted")
        (x, tx, TT), w = unique_rows([x, tx, TT], w)
        scale = float(TT.max()) / 10.0 if TT.max() > 0 else 1.0
        xs, txs, Ts = x, tx / scale, TT / scale
        total = w.sum()

        def fun(theta):
            ll = wsum(w, self._ll_rows(np.exp(theta), xs, txs, Ts))
            return -ll / total if np.isfinite(ll) else 1e20

        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = optimize.minimize(fun, np.zeros(4), method="Nelder-Mead",
                                    options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": self.max_iter,
                                             "maxfev": 2 * self.max_iter})
            polish = optimize.minimize(fun, res.x, method="BFGS", options={"gtol": 1e-10})
        best = polish if np.isfinite(polish.fun) and polish.fun <= res.fun else res
        if not np.isfinite(best.fun) or best.fun >= 1e19 or (not res.success and not polish.success):
            raise ConvergenceError("The Pareto/NBD fit did not converge. Check that the inputs are in one time unit "
                                   "and in a sensible range, and that there are enough repeat buyers.")
        self.at_boundary_ = at_boundary(best.x)
        r, alpha_s, s_, beta_s = np.exp(best.x)
        self._theta_, self._data_ = best.x, (xs, txs, Ts, w)
        self.params_ = {"r": float(r), "alpha": float(alpha_s * scale), "s": float(s_), "beta": float(beta_s * scale)}
        self.log_likelihood_ = float(-best.fun * total - wsum(w, x) * np.log(scale))
        self.n_customers_ = float(total)
        self.n_unique_rows_ = int(len(w))
        return self

    def _log_likelihood_gradient(self, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
        """Central-difference gradient of the total log-likelihood (no analytic gradient here)."""
        xs, txs, Ts, w = self._data_
        g = np.zeros(4)
        for i in range(4):
            e = np.zeros(4)
            e[i] = h
            g[i] = (wsum(w, self._ll_rows(np.exp(theta + e), xs, txs, Ts))
                    - wsum(w, self._ll_rows(np.exp(theta - e), xs, txs, Ts))) / (2 * h)
        return g

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        x, tx, TT, _ = check_btyd(frequency, recency, T)
        return self._ll_rows(self._p(), x, tx, TT)

    def p_alive(self, frequency, recency, T):
        """P(alive | frequency, recency, T)."""
        r, alpha, s, beta = self._p()
        x, tx, TT = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, float)) for v in (frequency, recency, T)))
        z = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + TT) + s * np.log(beta + TT)
             + self._log_a0(r, alpha, s, beta, x, tx, TT))
        out = expit(-z)
        return out if np.ndim(frequency) or np.ndim(recency) or np.ndim(T) else out[0]

    def _alive_purchases(self, t, x, TT):
        r, alpha, s, beta = self._p()
        return (r + x) * (beta + TT) / ((alpha + TT) * (s - 1)) * (1 - ((beta + TT) / (beta + TT + t)) ** (s - 1))

    def expected_purchases_if_alive(self, t, frequency, T):
        """Expected purchases in the next ``t`` time units of a customer known to be alive (depends on frequency
        and T only): :meth:`expected_purchases` = this × :meth:`p_alive`."""
        t, x, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (t, frequency, T)))
        return self._alive_purchases(t, x, TT)

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | frequency, recency, T]: expected purchases in the next ``t`` time units."""
        t, x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (t, frequency, recency, T)))
        return self._alive_purchases(t, x, TT) * self.p_alive(x, tx, TT)

    def expected_purchases_new(self, t):
        """E[X(t)] for a newly acquired customer."""
        r, alpha, s, beta = self._p()
        t = np.asarray(t, float)
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
