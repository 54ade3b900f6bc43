"""The Gamma-Gamma spend model (Fader & Hardie 2013): :class:`GammaGamma`, fitted by maximum likelihood on the
repeat buyers' mean purchase values.

>>> from dbmkit.datasets import cdnow_summary
>>> s = cdnow_summary(spend=True)
>>> rep = s[s["frequency"] > 0]
>>> gg = GammaGamma().fit(rep["frequency"], rep["monetary_value"])
>>> round(gg.params_["p"], 2), round(gg.params_["q"], 2), round(gg.mean_spend_, 2)
(6.25, 3.74, 35.17)
"""
from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from .base import Fitter
from .numeric import as_array, at_boundary, mean_negative_ll, minimise, unique_rows, wsum

__all__ = ["GammaGamma"]


class GammaGamma(Fitter):
    """The Gamma-Gamma model of spend: a customer's purchase values vary around their own mean, and those means vary
    across customers. Fitted on repeat buyers (frequency > 0) with ``monetary_value`` = mean repeat-purchase value.

    >>> gg = GammaGamma().fit([1, 2, 3, 5, 1, 4, 2, 6], [20.0, 35.0, 18.0, 50.0, 12.0, 30.0, 25.0, 41.0])
    >>> sorted(gg.params_)
    ['gamma', 'p', 'q']
    """

    param_names = ("p", "q", "gamma")
    model_name = "Gamma-Gamma"
    fit_args = "frequency, monetary_value"

    @staticmethod
    def _factorise(x, m, w) -> dict:
        ux, ix = np.unique(x, return_inverse=True)
        lm = np.log(m)
        return dict(x=x, m=m, w=w, ux=ux, Wx=np.bincount(ix, weights=w), A=wsum(w, x * lm), B=wsum(w, lm))

    @staticmethod
    def _ll_grad(theta, d):
        p, q, g = np.exp(theta)
        ux, Wx, w, x, m = d["ux"], d["Wx"], d["w"], d["x"], d["m"]
        W = Wx.sum()
        pu = p * ux
        lg = np.log(g + x * m)                       # the only per-row special work
        ll = (wsum(Wx, gammaln(pu + q) - gammaln(pu) - gammaln(q) + q * np.log(g) + pu * np.log(ux))
              + p * d["A"] - d["B"] - wsum(w, (p * x + q) * lg))
        d_p = wsum(Wx, ux * (digamma(pu + q) - digamma(pu) + np.log(ux))) + d["A"] - wsum(w, x * lg)
        d_q = wsum(Wx, digamma(pu + q) - digamma(q)) + W * np.log(g) - wsum(w, lg)
        d_g = q * W / g - wsum(w, (p * x + q) / (g + x * m))
        return ll, np.array([d_p * p, d_q * q, d_g * g])

    def fit(self, frequency, monetary_value, weights=None) -> "GammaGamma":
        """Maximum-likelihood fit on customers with frequency > 0 (others are ignored); returns self."""
        x = np.atleast_1d(as_array(frequency, "frequency"))
        m = np.atleast_1d(as_array(monetary_value, "monetary_value"))
        if x.shape != m.shape:
            raise ValueError(f"frequency ({x.shape[0]}) and monetary_value ({m.shape[0]}) differ in length")
        w = (np.ones(x.shape) if weights is None
             else np.broadcast_to(as_array(weights, "weights"), x.shape).astype(float))
        keep = np.isfinite(x) & (x > 0)
        x, m, w = x[keep], m[keep], w[keep]
        bad = ~np.isfinite(m) | (m <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"monetary_value must be > 0 for customers with repeat purchases: {int(bad.sum())} "
                             f"row(s) are not (first: frequency={x[i]:g}, monetary_value={m[i]:g}). Use the mean "
                             "value of repeat purchases and drop customers whose purchases were all returned.")
        if len(x) < 2:
            raise ValueError("Gamma-Gamma needs customers with repeat purchases (frequency > 0); found fewer than 2")
        (x, m), w = unique_rows([x, m], w)
        scale = float(np.average(m, weights=w))      # spend in units of the mean: better conditioned
        data = self._factorise(x, m / scale, w)
        total = w.sum()

        fun = mean_negative_ll(self._ll_grad, data, total)

        res = minimise(fun, np.log([1.0, 2.0, 1.0]), self.model_name, self.max_iter)
        p, q, g = np.exp(res.x)
        self._theta_, self._data_ = res.x, data
        self.params_ = {"p": float(p), "q": float(q), "gamma": float(g * scale)}
        # density of the mean spend carries a factor 1/scale per customer
        self.log_likelihood_ = float(-res.fun * total - total * np.log(scale))
        self.n_customers_ = float(total)
        self.n_unique_rows_ = int(len(w))
        self.at_boundary_ = at_boundary(res.x)
        return self

    @property
    def mean_spend_(self) -> float:
        """The population mean of customers' average spend, p·γ / (q − 1) (infinite when q ≤ 1)."""
        p, q, g = self._p()
        return p * g / (q - 1) if q > 1 else float("inf")

    def conditional_expected_spend(self, frequency, monetary_value):
        """E[average spend | frequency, monetary_value]: a weighted mean of the customer's own average and the
        population mean; customers without repeat purchases get the population mean."""
        p, q, g = self._p()
        x, m = np.broadcast_arrays(np.asarray(frequency, float), np.asarray(monetary_value, float))
        m = np.where(x > 0, m, 0.0)
        return p * (g + x * m) / (p * x + q - 1)
