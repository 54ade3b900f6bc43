"""The BG/NBD purchase model and its variant MBG/NBD: :class:`BetaGeo` (Fader, Hardie & Lee 2005) and
:class:`ModifiedBetaGeo` (Batislam, Denizel & Filiztekin 2007), fitted by maximum likelihood.

Each customer buys at their own rate while "alive" and may drop out after a purchase. BG/NBD assumes a one-time
buyer is still alive; MBG/NBD also lets a customer drop out right after the first purchase. The likelihood is
factorised on the few unique frequencies, recencies and ages, with an analytic gradient, so a million customers fit
in seconds.

>>> from dbmkit.datasets import cdnow_summary
>>> s = cdnow_summary()
>>> bg = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
>>> {k: round(v, 3) for k, v in bg.params_.items()}
{'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
>>> round(bg.log_likelihood_, 1)
-9582.4
>>> round(float(bg.expected_purchases(39, 2, 30.43, 38.86)), 3)
1.226
"""
from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from .base import Fitter
from .numeric import at_boundary, check_btyd, mean_negative_ll, minimise, unique_rows, wsum

__all__ = ["BetaGeo", "ModifiedBetaGeo"]


def _hyp2f1(a, b, c, z):
    """Gauss's hypergeometric function: scipy's, with a direct power series where scipy gives up (very large
    first parameter, e.g. a fit whose purchase rates barely vary: r in the tens of thousands; |z| < 1 here)."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, float) for v in (a, b, c, z)))
    with np.errstate(all="ignore"):
        out = np.asarray(hyp2f1(a, b, c, z), float).copy()
    bad = ~np.isfinite(out) & (np.abs(z) < 1)
    if bad.any():
        A, B, C, Z = a[bad], b[bad], c[bad], z[bad]
        total = np.ones_like(Z)
        term = np.ones_like(Z)
        for n in range(20000):
            term = term * (A + n) * (B + n) / ((C + n) * (n + 1)) * Z
            total = total + term
            if np.all(np.abs(term) <= 1e-16 * np.abs(total)):
                break
        out[bad] = total
    return out if out.ndim else float(out)


def _alive_purchases(r, alpha, a, b, k, t, x, TT):
    """Expected purchases in the next t of a customer known to be alive (frequency x, age TT); k = 1 for MBG/NBD.
    At a = 1 the formula is 0/0: the value there is the mean of the two sides."""
    if abs(a - 1) < 1e-5:        # removable singularity at a = 1: average the two sides
        return 0.5 * (_alive_purchases(r, alpha, 1 + 2e-5, b, k, t, x, TT)
                      + _alive_purchases(r, alpha, 1 - 2e-5, b, k, t, x, TT))
    with np.errstate(divide="ignore", invalid="ignore"):
        hyp = _hyp2f1(r + x, b + x + k, a + b + x + k - 1, t / (alpha + TT + t))
        mult = (a + b + x + k - 1) / (a - 1)
        body = 1.0 - hyp * np.exp((r + x) * (np.log(alpha + TT) - np.log(alpha + TT + t)))
    return np.where(t == 0, 0.0, mult * body)


class BetaGeo(Fitter):
    """The BG/NBD model: while alive a customer buys with rate λ ~ Gamma(r, α); after each *repeat* purchase they
    drop out with probability p ~ Beta(a, b) (so a customer without repeat purchases is always "alive").

    ``fit(frequency, recency, T, weights=None)`` estimates r, α, a, b by maximum likelihood (``params_``,
    ``log_likelihood_``); the time unit of α and of every ``t`` is the unit of the inputs.

    >>> bg = BetaGeo().fit([0, 1, 3, 0, 2, 5, 1, 0], [0, 4, 20, 0, 15, 30, 2, 0], [10, 30, 35, 20, 40, 32, 25, 5])
    >>> sorted(bg.params_)
    ['a', 'alpha', 'b', 'r']
    >>> bool(bg.p_alive(0, 0, 10) == 1.0)
    True
    """

    param_names = ("r", "alpha", "a", "b")
    # 0: BG/NBD (drop-out chances after repeat purchases only); 1: MBG/NBD (also right after the first purchase)
    _k = 0
    model_name = "BG/NBD"

    # ---- likelihood on scaled time, log-parameters
    @staticmethod
    def _factorise(x, tx, T, w) -> dict:
        """Factorised rows: every special function depends on x alone, every log on T or recency alone, so they
        are computed on the few unique values and gathered (a million rows fit in seconds)."""
        ux, ix = np.unique(x, return_inverse=True)
        utx, itx = np.unique(tx, return_inverse=True)
        uT, iT = np.unique(T, return_inverse=True)
        return dict(x=x, w=w, ux=ux, ix=ix, utx=utx, itx=itx, uT=uT, iT=iT, Wx=np.bincount(ix, weights=w))

    @classmethod
    def _ll_grad(cls, theta, d):
        k = cls._k
        r, alpha, a, b = np.exp(theta)
        ux, Wx, w, x, ix = d["ux"], d["Wx"], d["w"], d["x"], d["ix"]
        pos = (ux > 0) if k == 0 else np.ones(len(ux), bool)   # who can have dropped out after the last purchase
        # per unique x
        C = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
             + gammaln(a + b) + gammaln(b + ux + k) - gammaln(b) - gammaln(a + b + ux + k))
        inv_b = np.where(pos, 1.0 / np.where(pos, b + ux + k - 1, 1.0), 0.0)
        K = np.where(pos, np.log(a) + np.log(inv_b, where=pos, out=np.zeros_like(inv_b)), -np.inf)
        # per unique T / recency, gathered per row
        LT, Ltx = np.log(alpha + d["uT"])[d["iT"]], np.log(alpha + d["utx"])[d["itx"]]
        IT, Itx = (1.0 / (alpha + d["uT"]))[d["iT"]], (1.0 / (alpha + d["utx"]))[d["itx"]]
        rx = r + x
        z = K[ix] - rx * (Ltx - LT)                 # log-odds of "dropped out right after the last purchase"
        s = expit(z)
        ll = wsum(Wx, C) - wsum(w, rx * LT) + wsum(w, np.logaddexp(0.0, z))
        ws_ = w * s
        d_r = wsum(Wx, digamma(r + ux) - digamma(r) + np.log(alpha)) - wsum(w, LT) + wsum(ws_, LT - Ltx)
        d_alpha = r / alpha * Wx.sum() - wsum(w, rx * IT) + wsum(ws_, rx * (IT - Itx))
        S_x = np.bincount(ix, weights=ws_, minlength=len(ux))
        d_a = wsum(Wx, digamma(a + b) - digamma(a + b + ux + k)) + S_x.sum() / a
        d_b = (wsum(Wx, digamma(a + b) + digamma(b + ux + k) - digamma(b) - digamma(a + b + ux + k))
               - wsum(S_x, inv_b))
        return ll, np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    def fit(self, frequency, recency, T, weights=None):
        """Maximum-likelihood fit on the unique (frequency, recency, T) rows; returns self."""
        x, tx, TT, w = check_btyd(frequency, recency, T, weights)
        if w.sum() <= 0:
            raise ValueError("no customers to fit (all weights are zero)")
        if not (x[w > 0] > 0).any():
            raise ValueError(f"no customer has a repeat purchase (frequency > 0): {self.model_name} cannot be fitted")
        (x, tx, TT), w = unique_rows([x, tx, TT], w)
        scale = float(TT.max()) / 10.0 if TT.max() > 0 else 1.0
        data = self._factorise(x, tx / scale, TT / scale, w)
        total = w.sum()

        fun = mean_negative_ll(self._ll_grad, data, total)

        x0 = np.log([0.5, max(float(np.average(TT / scale, weights=w)), 0.1) / 2, 1.0, 1.0])
        res = minimise(fun, x0, self.model_name, self.max_iter)
        r, alpha_s, a, b = np.exp(res.x)
        self._theta_, self._data_ = res.x, data
        self.params_ = {"r": float(r), "alpha": float(alpha_s * scale), "a": float(a), "b": float(b)}
        # the density of purchase times carries one factor 1/scale per repeat purchase
        self.log_likelihood_ = float(-res.fun * total - wsum(w, x) * np.log(scale))
        self.n_customers_ = float(total)
        self.n_unique_rows_ = int(len(w))
        self.at_boundary_ = at_boundary(res.x)
        return self

    # ---- predictions
    def _drop_term(self, x, tx, TT):
        """log of the odds that the customer dropped out right after their last purchase (−inf if impossible)."""
        r, alpha, a, b = self._p()
        k = self._k
        pos = (x > 0) if k == 0 else np.ones(np.shape(x), bool)
        bx = np.where(pos, b + x + k - 1, 1.0)
        return np.where(pos, np.log(a) - np.log(bx) + (r + x) * (np.log(alpha + TT) - np.log(alpha + tx)), -np.inf)

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        r, alpha, a, b = self._p()
        x, tx, TT, _ = check_btyd(frequency, recency, T)
        k = self._k
        A = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x + k) - gammaln(b)
             - gammaln(a + b + x + k) - (r + x) * np.log(alpha + TT))
        return A + np.logaddexp(0.0, self._drop_term(x, tx, TT))

    def p_alive(self, frequency, recency, T):
        """P(alive | frequency, recency, T): the probability that the customer has not dropped out."""
        x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (frequency, recency, T)))
        return expit(-self._drop_term(x, tx, TT))

    def expected_purchases_if_alive(self, t, frequency, T):
        """Expected purchases in the next ``t`` time units of a customer known to be alive (depends on frequency
        and T only): :meth:`expected_purchases` = this × :meth:`p_alive`."""
        t, x, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (t, frequency, T)))
        return _alive_purchases(*self._p(), self._k, t, x, TT)

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | frequency, recency, T]: expected purchases in the next ``t`` time units."""
        t, x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (t, frequency, recency, T)))
        return _alive_purchases(*self._p(), self._k, t, x, TT) * self.p_alive(x, tx, TT)

    @staticmethod
    def _new_purchases(r, alpha, a, b, t):
        """E[X(t)] of a new customer, for a ≠ 1."""
        hyp = _hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp)

    def expected_purchases_new(self, t):
        """E[X(t)]: expected purchases of a newly acquired customer in ``t`` time units (unconditional)."""
        r, alpha, a, b = self._p()
        if abs(a - 1) < 1e-5:        # removable singularity at a = 1: average the two sides
            return 0.5 * (self._new_purchases(r, alpha, 1 + 2e-5, b, np.asarray(t, float))
                          + self._new_purchases(r, alpha, 1 - 2e-5, b, np.asarray(t, float)))
        return self._new_purchases(r, alpha, a, b, np.asarray(t, float))

    def probability_of_purchases(self, x, t):
        """P(X(t) = x): the probability that a new customer makes exactly ``x`` repeat purchases in ``t`` time units
        (the model's histogram of repeat purchases, to compare with the data)."""
        r, alpha, a, b = self._p()
        k = self._k
        x, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(t, float))
        lb = betaln(a, b)
        with np.errstate(divide="ignore"):
            log_nb = gammaln(r + x) - gammaln(r) - gammaln(x + 1) + r * np.log(alpha / (alpha + t)) + x * np.log(
                np.where(t > 0, t / (alpha + t), 1.0))
        first = np.exp(betaln(a, b + x + k) - lb + log_nb)
        first = np.where((t == 0) & (x > 0), 0.0, first)
        pos = (x > 0) if k == 0 else np.ones(x.shape, bool)
        # P(at least x purchases while alive) = 1 − Σ_{j<x} P_NB(j)
        xmax = int(x.max()) if x.size else 0
        j = np.arange(max(xmax, 1))[:, None]
        tt = t.ravel()[None, :]
        with np.errstate(divide="ignore"):
            lj = gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * np.log(alpha / (alpha + tt)) + j * np.log(
                np.where(tt > 0, tt / (alpha + tt), 1.0))
        pj = np.exp(lj) * (j < x.ravel()[None, :])
        tail = (1.0 - pj.sum(axis=0)).reshape(x.shape)
        bx = np.where(pos, b + x + k - 1, 1.0)
        second = np.where(pos, np.exp(betaln(a + 1, bx) - lb) * tail, 0.0)
        return first + second


class ModifiedBetaGeo(BetaGeo):
    """The MBG/NBD model (Batislam, Denizel & Filiztekin 2007): like BG/NBD, but a customer may also drop out right
    after the first purchase, so one-time buyers are not assumed to be alive. Same parameters and methods as
    :class:`BetaGeo`; compare the two fits by ``log_likelihood_`` (same number of parameters).

    >>> m = ModifiedBetaGeo().fit([0, 1, 3, 0, 2, 5, 1, 0], [0, 4, 20, 0, 15, 30, 2, 0],
    ...                           [10, 30, 35, 20, 40, 32, 25, 5])
    >>> bool(m.p_alive(0, 0, 10) < 1.0)
    True
    """

    _k = 1
    model_name = "MBG/NBD"

    @staticmethod
    def _new_purchases(r, alpha, a, b, t):
        hyp = _hyp2f1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp)
