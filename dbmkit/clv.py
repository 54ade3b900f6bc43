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
converge raises :class:`ConvergenceError` with what to check.

Example
-------
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

import warnings

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

__all__ = ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "GammaGamma", "ConvergenceError", "historical_clv",
           "retention_clv", "retention_rate", "btyd_clv", "calibration_holdout", "holdout_by_frequency",
           "holdout_summary", "build_clv", "fit_btyd", "value_tiers", "truth_person_map", "truth_future",
           "VALUE_TIERS", "frequency_histogram", "p_alive_matrix", "decile_calibration", "margin_rates",
           "clv_holdout", "fit_purchase_model", "MODELS", "clv_table", "model_comparison", "calibration_end",
           "BOUNDARY_NOTE"]

# value tiers of the clv table: (name, share of customers by CLV rank, from the top)
VALUE_TIERS = (("platinum", 0.05), ("gold", 0.15), ("silver", 0.30), ("bronze", 0.50))


def _wsum(w: np.ndarray, v: np.ndarray) -> float:
    """Weighted sum without BLAS (np.dot starts BLAS threads that spin on a busy machine: 10× slower)."""
    return float(np.sum(w * v))


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


class ConvergenceError(RuntimeError):
    """A maximum-likelihood fit that did not converge (the message says what to check)."""


# --------------------------------------------------------------------------------------------- input checks
def _as_array(x, name: str) -> np.ndarray:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (got {type(x).__name__})") from None
    return a


def _check_btyd(frequency, recency, T, weights=None) -> tuple[np.ndarray, ...]:
    x, tx, TT = (_as_array(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T")))
    x, tx, TT = np.broadcast_arrays(np.atleast_1d(x), np.atleast_1d(tx), np.atleast_1d(TT))
    w = np.ones(x.shape) if weights is None else np.broadcast_to(_as_array(weights, "weights"), x.shape)
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


def _unique_rows(cols: list[np.ndarray], w: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows into one with the summed weight (the likelihood only depends on the values)."""
    df = pd.DataFrame({f"c{i}": c for i, c in enumerate(cols)})
    df["w"] = w
    g = df.groupby([f"c{i}" for i in range(len(cols))], sort=False, observed=True)["w"].sum().reset_index()
    g = g[g["w"] > 0]
    return [g[f"c{i}"].to_numpy(float) for i in range(len(cols))], g["w"].to_numpy(float)


LOG_BOUND = 18.0      # log-parameters stay within ±18 (parameters between 1.5e-8 and 6.6e7, in scaled time units)


def _minimise(fun, x0: np.ndarray, what: str, max_iter: int) -> optimize.OptimizeResult:
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


def _at_boundary(theta: np.ndarray) -> bool:
    """True when a (scaled) parameter drifted far from any usual value (below 1e-4 or above 8,000): the likelihood is
    flat towards an edge of the parameter space (see BOUNDARY_NOTE)."""
    return bool(np.any(np.abs(np.asarray(theta)) >= 9.0))


BOUNDARY_NOTE = ("some parameters ran to the edge of the parameter space: the data cannot tell them apart from "
                 "'infinitely large or small' (typically: customers who all buy at about the same rate or spend "
                 "about the same, or no sign of customers leaving). Predictions remain usable; the parameter values "
                 "and their standard errors are not meaningful on their own.")


def _hessian_se(grad, theta: np.ndarray) -> np.ndarray:
    """Standard errors of log-parameters from a finite-difference Hessian of the total log-likelihood."""
    k = len(theta)
    H = np.zeros((k, k))
    for i in range(k):
        h = 1e-5 * max(1.0, abs(theta[i]))
        e = np.zeros(k)
        e[i] = h
        H[:, i] = (grad(theta + e) - grad(theta - e)) / (2 * h)
    H = (H + H.T) / 2
    try:
        cov = np.linalg.inv(-H)
        return np.sqrt(np.clip(np.diag(cov), 0, None))
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)


def _summary_table(names, params: dict, se_log: np.ndarray) -> pd.DataFrame:
    est = np.array([params[n] for n in names])
    return pd.DataFrame({"parameter": list(names), "estimate": est, "std_error": est * se_log,
                         "ci_low": est * np.exp(-1.96 * se_log), "ci_high": est * np.exp(1.96 * se_log)})


# --------------------------------------------------------------------------------------------- BG/NBD
class BetaGeo:
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

    def __init__(self, max_iter: int = 2000):
        self.max_iter = max_iter
        self.params_: dict[str, float] = {}
        self.log_likelihood_: float = float("nan")

    # ---- likelihood on scaled time, log-parameters
    @staticmethod
    def _data(x, tx, T, w) -> dict:
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
        ll = _wsum(Wx, C) - _wsum(w, rx * LT) + _wsum(w, np.logaddexp(0.0, z))
        ws_ = w * s
        d_r = _wsum(Wx, digamma(r + ux) - digamma(r) + np.log(alpha)) - _wsum(w, LT) + _wsum(ws_, LT - Ltx)
        d_alpha = r / alpha * Wx.sum() - _wsum(w, rx * IT) + _wsum(ws_, rx * (IT - Itx))
        S_x = np.bincount(ix, weights=ws_, minlength=len(ux))
        d_a = _wsum(Wx, digamma(a + b) - digamma(a + b + ux + k)) + S_x.sum() / a
        d_b = (_wsum(Wx, digamma(a + b) + digamma(b + ux + k) - digamma(b) - digamma(a + b + ux + k))
               - _wsum(S_x, inv_b))
        return ll, np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    def fit(self, frequency, recency, T, weights=None):
        """Maximum-likelihood fit on the unique (frequency, recency, T) rows; returns self."""
        x, tx, TT, w = _check_btyd(frequency, recency, T, weights)
        if w.sum() <= 0:
            raise ValueError("no customers to fit (all weights are zero)")
        if not (x[w > 0] > 0).any():
            raise ValueError(f"no customer has a repeat purchase (frequency > 0): {self.model_name} cannot be fitted")
        (x, tx, TT), w = _unique_rows([x, tx, TT], w)
        scale = float(TT.max()) / 10.0 if TT.max() > 0 else 1.0
        data = self._data(x, tx / scale, TT / scale, w)
        total = w.sum()

        def fun(theta):
            ll, g = self._ll_grad(theta, data)
            if not np.isfinite(ll):
                return 1e20, np.zeros_like(theta)
            return -ll / total, -g / total

        x0 = np.log([0.5, max(float(np.average(TT / scale, weights=w)), 0.1) / 2, 1.0, 1.0])
        res = _minimise(fun, x0, self.model_name, self.max_iter)
        r, alpha_s, a, b = np.exp(res.x)
        self._theta, self._data_scaled = res.x, data
        self.params_ = {"r": float(r), "alpha": float(alpha_s * scale), "a": float(a), "b": float(b)}
        # the density of purchase times carries one factor 1/scale per repeat purchase
        self.log_likelihood_ = float(-res.fun * total - _wsum(w, x) * np.log(scale))
        self.n_customers_ = float(total)
        self.n_unique_rows_ = int(len(w))
        self.at_boundary_ = _at_boundary(res.x)
        return self

    def _p(self):
        if not self.params_:
            raise RuntimeError(f"fit the model first: {type(self).__name__}().fit(frequency, recency, T)")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals (from the Hessian of the log-likelihood)."""
        self._p()
        se = _hessian_se(lambda th: self._ll_grad(th, self._data_scaled)[1], self._theta)
        return _summary_table(self.param_names, self.params_, se)

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
        x, tx, TT, _ = _check_btyd(frequency, recency, T)
        k = self._k
        A = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x + k) - gammaln(b)
             - gammaln(a + b + x + k) - (r + x) * np.log(alpha + TT))
        return A + np.logaddexp(0.0, self._drop_term(x, tx, TT))

    def p_alive(self, frequency, recency, T):
        """P(alive | frequency, recency, T): the probability that the customer has not dropped out."""
        x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (frequency, recency, T)))
        return expit(-self._drop_term(x, tx, TT))

    def _alive_purchases(self, t, x, TT):
        """Expected purchases in the next t of a customer known to be alive (depends on frequency and T only)."""
        r, alpha, a, b = self._p()
        if abs(a - 1) < 1e-5:        # removable singularity at a = 1: average the two sides
            return 0.5 * (self._with_a(1 + 2e-5)._alive_purchases(t, x, TT)
                          + self._with_a(1 - 2e-5)._alive_purchases(t, x, TT))
        k = self._k
        with np.errstate(divide="ignore", invalid="ignore"):
            hyp = _hyp2f1(r + x, b + x + k, a + b + x + k - 1, t / (alpha + TT + t))
            mult = (a + b + x + k - 1) / (a - 1)
            body = 1.0 - hyp * np.exp((r + x) * (np.log(alpha + TT) - np.log(alpha + TT + t)))
        return np.where(t == 0, 0.0, mult * body)

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | frequency, recency, T]: expected purchases in the next ``t`` time units."""
        t, x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (t, frequency, recency, T)))
        return self._alive_purchases(t, x, TT) * self.p_alive(x, tx, TT)

    def _with_a(self, a: float):
        twin = type(self)()
        twin.params_ = {**self.params_, "a": a}
        return twin

    def expected_purchases_new(self, t):
        """E[X(t)]: expected purchases of a newly acquired customer in ``t`` time units (unconditional)."""
        r, alpha, a, b = self._p()
        if abs(a - 1) < 1e-5:
            return 0.5 * (self._with_a(1 + 2e-5).expected_purchases_new(t)
                          + self._with_a(1 - 2e-5).expected_purchases_new(t))
        t = np.asarray(t, float)
        hyp = _hyp2f1(r, b, a + b - 1, t / (alpha + t))
        return (a + b - 1) / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp)

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

    def __repr__(self) -> str:
        if not self.params_:
            return f"{type(self).__name__}(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{type(self).__name__}({ps}, log_likelihood={self.log_likelihood_:.2f})"


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

    def expected_purchases_new(self, t):
        r, alpha, a, b = self._p()
        if abs(a - 1) < 1e-5:
            return 0.5 * (self._with_a(1 + 2e-5).expected_purchases_new(t)
                          + self._with_a(1 - 2e-5).expected_purchases_new(t))
        t = np.asarray(t, float)
        hyp = _hyp2f1(r, b + 1, a + b, t / (alpha + t))
        return b / (a - 1) * (1.0 - (alpha / (alpha + t)) ** r * hyp)


class ParetoNBD:
    """The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), the ancestor of BG/NBD: while alive a customer
    buys at rate λ ~ Gamma(r, α) and leaves at a random *time* with rate μ ~ Gamma(s, β) (not after a purchase).
    Fitted by maximum likelihood (likelihood of Fader, Hardie & Lee 2005, numerical gradient — slower than
    :class:`BetaGeo`; fine for tens of thousands of unique (frequency, recency, T) rows). Same methods as BetaGeo
    for p_alive and expected_purchases.

    >>> from dbmkit.datasets import cdnow_summary
    >>> s = cdnow_summary()
    >>> round(ParetoNBD().fit(s["frequency"], s["recency"], s["T"]).log_likelihood_, 1)
    -9595.0
    """

    param_names = ("r", "alpha", "s", "beta")
    model_name = "Pareto/NBD"

    def __init__(self, max_iter: int = 5000):
        self.max_iter = max_iter
        self.params_: dict[str, float] = {}
        self.log_likelihood_: float = float("nan")

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
        x, tx, TT, w = _check_btyd(frequency, recency, T, weights)
        if not (x[w > 0] > 0).any():
            raise ValueError("no customer has a repeat purchase (frequency > 0): Pareto/NBD cannot be fitted")
        (x, tx, TT), w = _unique_rows([x, tx, TT], w)
        scale = float(TT.max()) / 10.0 if TT.max() > 0 else 1.0
        xs, txs, Ts = x, tx / scale, TT / scale
        total = w.sum()

        def fun(theta):
            ll = _wsum(w, self._ll_rows(np.exp(theta), xs, txs, Ts))
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
        self.at_boundary_ = _at_boundary(best.x)
        r, alpha_s, s_, beta_s = np.exp(best.x)
        self._theta, self._scaled = best.x, (xs, txs, Ts, w, scale)
        self.params_ = {"r": float(r), "alpha": float(alpha_s * scale), "s": float(s_), "beta": float(beta_s * scale)}
        self.log_likelihood_ = float(-best.fun * total - _wsum(w, x) * np.log(scale))
        self.n_customers_ = float(total)
        return self

    def _p(self):
        if not self.params_:
            raise RuntimeError("fit the model first: ParetoNBD().fit(frequency, recency, T)")
        p = self.params_
        return p["r"], p["alpha"], p["s"], p["beta"]

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals (numerical Hessian)."""
        self._p()
        xs, txs, Ts, w, _ = self._scaled

        def grad(th, h=1e-5):
            g = np.zeros(4)
            for i in range(4):
                e = np.zeros(4)
                e[i] = h
                g[i] = (_wsum(w, self._ll_rows(np.exp(th + e), xs, txs, Ts))
                        - _wsum(w, self._ll_rows(np.exp(th - e), xs, txs, Ts))) / (2 * h)
            return g
        se = _hessian_se(grad, self._theta)
        return _summary_table(self.param_names, self.params_, se)

    def log_likelihood(self, frequency, recency, T) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        x, tx, TT, _ = _check_btyd(frequency, recency, T)
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

    def expected_purchases(self, t, frequency, recency, T):
        """E[Y(t) | frequency, recency, T]: expected purchases in the next ``t`` time units."""
        t, x, tx, TT = np.broadcast_arrays(*(np.asarray(v, float) for v in (t, frequency, recency, T)))
        return self._alive_purchases(t, x, TT) * self.p_alive(x, tx, TT)

    def expected_purchases_new(self, t):
        """E[X(t)] for a newly acquired customer."""
        r, alpha, s, beta = self._p()
        t = np.asarray(t, float)
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))

    def __repr__(self) -> str:
        if not self.params_:
            return "ParetoNBD(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"ParetoNBD({ps}, log_likelihood={self.log_likelihood_:.2f})"


# --------------------------------------------------------------------------------------------- Gamma-Gamma
class GammaGamma:
    """The Gamma-Gamma model of spend: a customer's purchase values vary around their own mean, and those means vary
    across customers. Fitted on repeat buyers (frequency > 0) with ``monetary_value`` = mean repeat-purchase value.

    >>> gg = GammaGamma().fit([1, 2, 3, 5, 1, 4, 2, 6], [20.0, 35.0, 18.0, 50.0, 12.0, 30.0, 25.0, 41.0])
    >>> sorted(gg.params_)
    ['gamma', 'p', 'q']
    """

    param_names = ("p", "q", "gamma")

    def __init__(self, max_iter: int = 2000):
        self.max_iter = max_iter
        self.params_: dict[str, float] = {}
        self.log_likelihood_: float = float("nan")

    @staticmethod
    def _data(x, m, w) -> dict:
        ux, ix = np.unique(x, return_inverse=True)
        lm = np.log(m)
        return dict(x=x, m=m, w=w, ux=ux, Wx=np.bincount(ix, weights=w), A=_wsum(w, x * lm), B=_wsum(w, lm))

    @staticmethod
    def _ll_grad(theta, d):
        p, q, g = np.exp(theta)
        ux, Wx, w, x, m = d["ux"], d["Wx"], d["w"], d["x"], d["m"]
        W = Wx.sum()
        pu = p * ux
        lg = np.log(g + x * m)                       # the only per-row special work
        ll = (_wsum(Wx, gammaln(pu + q) - gammaln(pu) - gammaln(q) + q * np.log(g) + pu * np.log(ux))
              + p * d["A"] - d["B"] - _wsum(w, (p * x + q) * lg))
        d_p = _wsum(Wx, ux * (digamma(pu + q) - digamma(pu) + np.log(ux))) + d["A"] - _wsum(w, x * lg)
        d_q = _wsum(Wx, digamma(pu + q) - digamma(q)) + W * np.log(g) - _wsum(w, lg)
        d_g = q * W / g - _wsum(w, (p * x + q) / (g + x * m))
        return ll, np.array([d_p * p, d_q * q, d_g * g])

    def fit(self, frequency, monetary_value, weights=None) -> "GammaGamma":
        """Maximum-likelihood fit on customers with frequency > 0 (others are ignored); returns self."""
        x = np.atleast_1d(_as_array(frequency, "frequency"))
        m = np.atleast_1d(_as_array(monetary_value, "monetary_value"))
        if x.shape != m.shape:
            raise ValueError(f"frequency ({x.shape[0]}) and monetary_value ({m.shape[0]}) differ in length")
        w = (np.ones(x.shape) if weights is None
             else np.broadcast_to(_as_array(weights, "weights"), x.shape).astype(float))
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
        (x, m), w = _unique_rows([x, m], w)
        scale = float(np.average(m, weights=w))      # spend in units of the mean: better conditioned
        data = self._data(x, m / scale, w)
        total = w.sum()

        def fun(theta):
            ll, g = self._ll_grad(theta, data)
            if not np.isfinite(ll):
                return 1e20, np.zeros_like(theta)
            return -ll / total, -g / total

        res = _minimise(fun, np.log([1.0, 2.0, 1.0]), "Gamma-Gamma", self.max_iter)
        p, q, g = np.exp(res.x)
        self._theta, self._data_scaled = res.x, data
        self.params_ = {"p": float(p), "q": float(q), "gamma": float(g * scale)}
        # density of the mean spend carries a factor 1/scale per customer
        self.log_likelihood_ = float(-res.fun * total - total * np.log(scale))
        self.n_customers_ = float(total)
        self.at_boundary_ = _at_boundary(res.x)
        return self

    def _p(self):
        if not self.params_:
            raise RuntimeError("fit the model first: GammaGamma().fit(frequency, monetary_value)")
        return self.params_["p"], self.params_["q"], self.params_["gamma"]

    def summary(self) -> pd.DataFrame:
        """Parameters with standard errors and 95 % intervals."""
        self._p()
        se = _hessian_se(lambda th: self._ll_grad(th, self._data_scaled)[1], self._theta)
        return _summary_table(self.param_names, self.params_, se)

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

    def __repr__(self) -> str:
        if not self.params_:
            return "GammaGamma(unfitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"GammaGamma({ps}, log_likelihood={self.log_likelihood_:.2f})"


# --------------------------------------------------------------------------------------------- simple CLV
def historical_clv(summary: pd.DataFrame, margin_col: str = "margin_total",
                   acquisition_cost_col: str | None = None) -> pd.DataFrame:
    """Historical CLV: the margin each customer has brought so far (optionally minus what acquiring them cost).

    >>> s = pd.DataFrame({"customer_id": ["a", "b"], "margin_total": [120.0, 15.0], "acquisition_cost": [20.0, 30.0]})
    >>> historical_clv(s, acquisition_cost_col="acquisition_cost")["historical_clv"].tolist()
    [100.0, -15.0]
    """
    need = ["customer_id", margin_col] + ([acquisition_cost_col] if acquisition_cost_col else [])
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise KeyError(f"historical_clv needs column(s) {missing}; the customer summary has {list(summary.columns)}")
    out = summary[["customer_id"]].copy()
    value = summary[margin_col].astype(float).fillna(0.0)
    if acquisition_cost_col:
        value = value - summary[acquisition_cost_col].astype(float).fillna(0.0)
    out["historical_clv"] = value.to_numpy()
    return out


def retention_clv(margin, retention, discount_rate: float = 0.10):
    """Retention-formula CLV = margin × r / (1 + d − r): the present value of a customer who brings ``margin`` per
    period and stays each period with probability ``r`` (``d`` = discount rate per period). Works on numbers,
    arrays or Series.

    >>> round(retention_clv(100.0, 0.8, 0.10), 2)
    266.67
    """
    r = np.asarray(retention, float)
    known = np.isfinite(r)       # unknown retention (no history to measure it) gives an unknown value
    if np.any((r[known] < 0) | (r[known] > 1)) or np.any(np.isinf(r)):
        raise ValueError("retention must be a probability between 0 and 1 (e.g. 0.8 for 80 % of customers staying)")
    if not 0 <= discount_rate < 1:
        raise ValueError("discount_rate is a rate per period between 0 and 1, e.g. 0.10")
    value = np.asarray(margin, float) * r / (1.0 + discount_rate - r)
    if isinstance(margin, pd.Series):
        return pd.Series(value, index=margin.index, name="retention_clv")
    return float(value) if np.ndim(value) == 0 else value


def retention_rate(ws, by: str | None = None) -> pd.DataFrame:
    """Year-on-year retention (顾客保留率): of the customers who bought in the year before last, the share who bought
    again in the last year, and their average margin in the last year (overall, or per value of a ``customers``
    column such as ``acquisition_channel``). With less than two years of history the rates are unknown (NaN)."""
    from . import sql as _sql
    df = _sql.run(ws, "yearly_retention", {"as_of": ws.as_of.date()})
    if by:
        cust = ws.sql(f"SELECT customer_id, {_sql._ident(by)} AS grp FROM customers") if by != "all" else None
        df = df.merge(cust, on="customer_id", how="left") if cust is not None else df.assign(grp="all")
    else:
        df = df.assign(grp="all")
    if df.empty:        # less than two years of history: nothing to measure
        return pd.DataFrame({by or "group": ["all"], "customers": [0], "retained": [0],
                             "margin_per_customer": [np.nan], "retention_rate": [np.nan],
                             "margin_per_retained": [np.nan]})
    g = df.groupby("grp", dropna=False)
    out = pd.DataFrame({"customers": g.size(), "retained": g["retained"].sum(),
                        "margin_per_customer": g["margin_prev"].mean()})
    out["retention_rate"] = out["retained"] / out["customers"]
    kept = df[df["retained"]].groupby("grp", dropna=False)["margin_last"].mean()
    out["margin_per_retained"] = kept.reindex(out.index)
    return out.reset_index(names=by or "group")


# --------------------------------------------------------------------------------------------- BTYD CLV
def btyd_clv(summary: pd.DataFrame, bg: BetaGeo, gg: GammaGamma, horizon_months: int = 12, margin=0.40,
             annual_discount_rate: float = 0.10, days_per_unit: float = 1.0,
             monetary_col: str = "monetary_mean_repeat") -> pd.DataFrame:
    """CLV over a horizon from fitted BG/NBD and Gamma-Gamma models: expected purchases × expected spend × margin,
    discounted month by month.

    ``summary`` holds frequency, recency, T (in the models' time unit, ``days_per_unit`` days each) and the mean
    repeat spend; ``margin`` is a rate (one number or one per customer). Returns customer_id, p_alive,
    expected_purchases (over the horizon), expected_spend, clv_revenue (undiscounted expected revenue) and clv
    (discounted expected margin).
    """
    for c in ("frequency", "recency", "T", monetary_col):
        if c not in summary.columns:
            raise KeyError(f"btyd_clv needs column {c!r} (from dbmkit.rfm.customer_summary); "
                           f"have {list(summary.columns)}")
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1")
    if gg.params_ and gg.params_["q"] <= 1:
        raise ValueError(f"Gamma-Gamma q = {gg.params_['q']:.3f} ≤ 1: the model's mean spend is infinite (a very heavy "
                         "tail of purchase values). Cap extreme order values or check for data errors before the CLV.")
    month = 365.25 / 12 / days_per_unit
    ts = np.arange(horizon_months + 1) * month
    x, tx, T = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))

    # expected purchases while alive depend on (frequency, T) only: compute them once per unique pair and month,
    # then multiply by each customer's P(alive)
    xt = pd.DataFrame({"x": x, "T": T})
    key = xt.groupby(["x", "T"], sort=False).ngroup().to_numpy()
    u = xt.drop_duplicates(["x", "T"])
    alive_cum = np.column_stack([bg._alive_purchases(np.full(len(u), t), u["x"].to_numpy(), u["T"].to_numpy())
                                 if t > 0 else np.zeros(len(u)) for t in ts])
    cum_purchases = alive_cum[key] * bg.p_alive(x, tx, T)[:, None]
    step = np.diff(cum_purchases, axis=1)
    disc = (1.0 + annual_discount_rate) ** (-np.arange(1, horizon_months + 1) / 12.0)
    spend = gg.conditional_expected_spend(x, summary[monetary_col].to_numpy(float))
    m = np.broadcast_to(np.asarray(margin, float), x.shape)
    ids = summary["customer_id"].to_numpy() if "customer_id" in summary else summary.index
    out = pd.DataFrame({"customer_id": ids})
    out["p_alive"] = bg.p_alive(x, tx, T)
    out["expected_purchases"] = cum_purchases[:, -1]
    out["expected_spend"] = spend
    out["clv_revenue"] = out["expected_purchases"] * spend
    out["clv"] = (step * disc).sum(axis=1) * spend * m
    return out


MODELS = {"bgnbd": BetaGeo, "mbgnbd": ModifiedBetaGeo}


_FIT_CACHE: dict = {}


def _fit_once(cls, frequency, recency, T):
    """``cls().fit(frequency, recency, T)``, remembered for the last few identical inputs (a chapter compares the
    models, then fits the chosen one on the same customers): a copy of the earlier fit, the same numbers."""
    import copy
    import hashlib

    try:
        arrays = [np.ascontiguousarray(np.asarray(v, dtype=float)) for v in (frequency, recency, T)]
    except (TypeError, ValueError):
        return cls().fit(frequency, recency, T)         # not numbers: the fit's own message names the problem
    h = hashlib.sha1()
    for v in arrays:
        h.update(str(v.shape).encode())
        h.update(v.tobytes())
    key = (cls.__name__, h.hexdigest())
    if key not in _FIT_CACHE:
        fitted = cls().fit(*arrays)                      # a ConvergenceError is raised, not remembered
        while len(_FIT_CACHE) >= 4:
            _FIT_CACHE.pop(next(iter(_FIT_CACHE)))
        _FIT_CACHE[key] = fitted
    return copy.deepcopy(_FIT_CACHE[key])


def fit_purchase_model(frequency, recency, T, model: str = "auto") -> BetaGeo:
    """Fit the purchase model: ``"bgnbd"`` (:class:`BetaGeo`), ``"mbgnbd"`` (:class:`ModifiedBetaGeo`) or ``"auto"``
    — both, keeping the one with the higher log-likelihood (they have the same number of parameters)."""
    if model not in ("auto", *MODELS):
        raise ValueError(f"model must be 'auto', 'bgnbd' or 'mbgnbd', not {model!r}")
    if model != "auto":
        return _fit_once(MODELS[model], frequency, recency, T)
    fits = []
    for cls in MODELS.values():
        try:
            fits.append(_fit_once(cls, frequency, recency, T))
        except ConvergenceError:
            continue
    if not fits:
        raise ConvergenceError("neither BG/NBD nor MBG/NBD converged: check the inputs (one time unit, enough "
                               "repeat buyers)")
    return max(fits, key=lambda f: f.log_likelihood_)


def fit_btyd(summary: pd.DataFrame, monetary_col: str = "monetary_mean_repeat", model: str = "auto"
             ) -> tuple[BetaGeo, GammaGamma]:
    """Fit the purchase model (BG/NBD, MBG/NBD or the better of the two, see :func:`fit_purchase_model`) on all
    customers and Gamma-Gamma on repeat buyers with a positive mean spend."""
    bg = fit_purchase_model(summary["frequency"], summary["recency"], summary["T"], model)
    rep = summary[(summary["frequency"] > 0) & (summary[monetary_col] > 0)]
    gg = GammaGamma().fit(rep["frequency"], rep[monetary_col])
    return bg, gg


def margin_rates(summary: pd.DataFrame, default_margin: float = 0.40) -> np.ndarray:
    """Each customer's margin rate on purchases (after returns), shrunk towards the base's rate: customers with
    little history get about the average, heavy buyers their own mix (deal seekers and serial returners lower).

    rate = (margin + m̄·K) / (purchases + K), with m̄ the base's margin rate and K the median purchases per customer.
    """
    if "margin_total" not in summary.columns or summary["margin_total"].isna().all():
        return np.full(len(summary), default_margin)
    purchases = (summary["monetary_total"].fillna(0) + summary.get("returns_total", 0)).to_numpy(float)
    margin = summary["margin_total"].fillna(0).to_numpy(float)
    base = margin.sum() / purchases.sum() if purchases.sum() > 0 else default_margin
    k = max(float(np.median(purchases[purchases > 0])) if (purchases > 0).any() else 1.0, 1.0)
    return np.clip((margin + base * k) / (np.clip(purchases, 0, None) + k), -1.0, 1.0)


def value_tiers(values, tiers=VALUE_TIERS) -> np.ndarray:
    """Tier labels by rank of value (default: top 5 % platinum, next 15 % gold, next 30 % silver, rest bronze).

    >>> value_tiers([10, 50, 20, 5, 1, 0, 3, 7, 2, 100, 4, 6, 8, 9, 11, 12, 13, 14, 15, 16]).tolist()[:3]
    ['silver', 'gold', 'gold']
    """
    v = np.asarray(values, float)
    n = len(v)
    order = np.argsort(-v, kind="stable")
    rank_share = np.empty(n)
    rank_share[order] = (np.arange(n) + 0.5) / max(n, 1)
    edges = np.cumsum([s for _, s in tiers])
    idx = np.minimum(np.searchsorted(edges, rank_share, side="right"), len(tiers) - 1)
    return np.array([name for name, _ in tiers], dtype=object)[idx]


# --------------------------------------------------------------------------------------------- calibration / holdout
def calibration_holdout(transactions: pd.DataFrame | str, customer_col: str = "customer_id",
                        date_col: str = "order_ts", amount_col: str = "net_amount", calibration_end=None,
                        holdout_end=None, time_unit: str = "D", cost_col: str | None = None, con=None) -> pd.DataFrame:
    """Split a transaction table at ``calibration_end``: BTYD summary of the calibration period (frequency_cal,
    recency_cal, T_cal, monetary_value_cal …) and what the same customers did up to ``holdout_end``
    (frequency_holdout = purchase days, monetary_holdout, margin_holdout, duration_holdout). Runs in DuckDB.

    >>> tx = pd.DataFrame({"c": ["a", "a", "a", "b", "c"], "d": pd.to_datetime(["2024-01-01", "2024-01-20",
    ...                    "2024-03-05", "2024-01-10", "2024-02-15"]), "v": [10.0, 20.0, 30.0, 5.0, 8.0]})
    >>> ch = calibration_holdout(tx, "c", "d", "v", calibration_end="2024-01-31", holdout_end="2024-03-31")
    >>> ch[["customer_id", "frequency_cal", "recency_cal", "T_cal", "frequency_holdout"]].values.tolist()
    [['a', 1, 19.0, 30.0, 1], ['b', 0, 0.0, 21.0, 0]]
    """
    import duckdb

    from . import sql as _sql
    from .rfm import TIME_UNITS
    if time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {list(TIME_UNITS)}, not {time_unit!r}")
    if calibration_end is None or holdout_end is None:
        raise ValueError("give calibration_end and holdout_end (dates), e.g. '1997-09-30' and '1998-06-30'")
    cal, hold = pd.Timestamp(calibration_end).date(), pd.Timestamp(holdout_end).date()
    if hold <= cal:
        raise ValueError(f"holdout_end ({hold}) must come after calibration_end ({cal})")
    own = con is None
    con = con or duckdb.connect()
    try:
        if isinstance(transactions, pd.DataFrame):
            cols = [customer_col, date_col, amount_col] + ([cost_col] if cost_col else [])
            missing = [c for c in cols if c not in transactions.columns]
            if missing:
                raise KeyError(f"transactions has no column(s) {missing}; it has {list(transactions.columns)}")
            con.register("_ch_tx", transactions[cols])
            table = "_ch_tx"
        else:
            table = transactions
        sql = _sql.render("calibration_holdout", tx=_sql.Raw(table), customer=customer_col, ts=date_col,
                          amount=amount_col, cost=cost_col if cost_col else _sql.Raw("0"))
        out = con.execute(sql, {"cal_end": cal, "holdout_end": hold, "unit": TIME_UNITS[time_unit]}).df()
    finally:
        if own:
            con.close()
    return out


def calibration_end(ws, holdout_days: int | None = None) -> pd.Timestamp:
    """The end of the calibration period: ``holdout_days`` before the analysis date when given; else the config's
    ``analysis.calibration_weeks`` counted from the first purchase (CDNOW: 39 weeks → 1997-09-30); else one year
    before the analysis date — or the last third of the history when it is shorter than three years."""
    if holdout_days is not None:
        if holdout_days < 1:
            raise ValueError("holdout_days must be at least 1")
        return ws.as_of - pd.Timedelta(days=int(holdout_days))
    first = pd.Timestamp(ws.sql("SELECT min(CAST(order_ts AS DATE)) AS d FROM purchases")["d"].iloc[0])
    weeks = ws.cfg.analysis.calibration_weeks
    if weeks:
        return first + pd.Timedelta(days=7 * int(weeks) - 1)
    history = (ws.as_of - first).days
    return ws.as_of - pd.Timedelta(days=int(min(365, max(history // 3, 1))))


def holdout_summary(ws, holdout_days: int | None = None) -> pd.DataFrame:
    """:func:`calibration_holdout` on the workspace's completed purchases (days): calibration up to
    :func:`calibration_end`, the holdout is the rest up to the analysis date."""
    end = ws.as_of
    cal = calibration_end(ws, holdout_days)
    if cal >= end:
        raise ValueError(f"the calibration period ends {cal.date()}, not before the analysis date {end.date()}: "
                         "shorten analysis.calibration_weeks or give holdout_days")
    with ws.connect() as con:
        return calibration_holdout("purchases", "customer_id", "order_ts", "net_amount", calibration_end=cal,
                                   holdout_end=end, time_unit="D", cost_col="cost", con=con)


def holdout_by_frequency(ch: pd.DataFrame, bg: BetaGeo, max_frequency: int = 7, actual_col: str = "frequency_holdout",
                         duration=None) -> pd.DataFrame:
    """Predicted vs actual purchases in the holdout, by calibration frequency (0, 1, …, ``max_frequency``+): the
    classic validation of a BTYD model (FHL 2005, figure 4). ``duration`` defaults to the ``duration_holdout``
    column. Returns frequency (label), customers, actual, predicted (means per customer) and their totals."""
    need = ["frequency_cal", "recency_cal", "T_cal", actual_col]
    missing = [c for c in need if c not in ch.columns]
    if missing:
        raise KeyError(f"holdout_by_frequency needs {missing} (from calibration_holdout); have {list(ch.columns)}")
    t = ch["duration_holdout"].to_numpy(float) if duration is None else np.broadcast_to(float(duration), len(ch))
    pred = bg.expected_purchases(t, ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    bucket = np.minimum(ch["frequency_cal"].to_numpy(int), max_frequency)
    df = pd.DataFrame({"bucket": bucket, "actual": ch[actual_col].to_numpy(float), "predicted": pred})
    g = df.groupby("bucket")
    out = pd.DataFrame({"customers": g.size(), "actual": g["actual"].mean(), "predicted": g["predicted"].mean(),
                        "actual_total": g["actual"].sum(), "predicted_total": g["predicted"].sum()}).reset_index()
    out["frequency"] = [f"{b}+" if b == max_frequency else str(b) for b in out["bucket"]]
    return out[["frequency", "customers", "actual", "predicted", "actual_total", "predicted_total"]]


def frequency_histogram(summary: pd.DataFrame, bg: BetaGeo, max_frequency: int = 7, frequency_col: str = "frequency",
                        T_col: str = "T") -> pd.DataFrame:
    """How many customers made 0, 1, … ``max_frequency``+ repeat purchases: actual vs the fitted model
    (Σ over customers of P(X(T) = x)) — the in-sample fit check of FHL 2005, figure 2."""
    x = np.minimum(summary[frequency_col].to_numpy(int), max_frequency)
    Tu, counts = np.unique(summary[T_col].to_numpy(float), return_counts=True)
    xs = np.arange(max_frequency)
    probs = np.array([bg.probability_of_purchases(xs, t) for t in Tu])          # unique T × x
    model = (probs * counts[:, None]).sum(axis=0)
    model = np.append(model, len(x) - model.sum())
    actual = np.bincount(x, minlength=max_frequency + 1)
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    return pd.DataFrame({"frequency": labels, "actual": actual, "model": model})


def p_alive_matrix(bg: BetaGeo, T: float, max_frequency: int = 20, steps: int = 40) -> pd.DataFrame:
    """P(alive) for every frequency 0…``max_frequency`` (rows) and BTYD recency from 0 to T (columns) of a customer
    with age T: bright where customers bought often *and* recently."""
    rec = np.linspace(0, T, steps + 1)
    xs = np.arange(max_frequency + 1)
    X, R = np.meshgrid(xs, rec, indexing="ij")
    P = bg.p_alive(X, np.where(X == 0, 0, R), np.full_like(R, T))
    return pd.DataFrame(P, index=pd.Index(xs, name="frequency"), columns=pd.Index(rec.round(1), name="recency"))


def decile_calibration(predicted, actual, n: int = 10) -> pd.DataFrame:
    """Customers grouped into ``n`` equal groups by predicted value (1 = highest): mean predicted vs mean actual
    per group — how well the model ranks and sizes customers.

    >>> c = decile_calibration([5, 4, 3, 2, 1, 0], [6, 3, 3, 1, 1, 0], n=3)
    >>> c[["group", "predicted", "actual"]].values.tolist()
    [[1.0, 4.5, 4.5], [2.0, 2.5, 2.0], [3.0, 0.5, 0.5]]
    """
    p = np.asarray(predicted, float)
    a = np.asarray(actual, float)
    order = np.argsort(-p, kind="stable")
    g = np.empty(len(p), np.int64)
    g[order] = np.arange(len(p)) * n // max(len(p), 1) + 1
    df = pd.DataFrame({"group": g, "predicted": p, "actual": a}).groupby("group")
    out = pd.DataFrame({"customers": df.size(), "predicted": df["predicted"].mean(), "actual": df["actual"].mean(),
                        "predicted_total": df["predicted"].sum(), "actual_total": df["actual"].sum()})
    return out.reset_index()


def clv_holdout(ws, holdout_days: int | None = None, model: str = "auto") -> dict:
    """Validate the CLV model on the workspace's own history: fit the purchase model (``model``, as in
    :func:`fit_purchase_model`) and Gamma-Gamma on the calibration period (see :func:`calibration_end`: all but the
    last ``holdout_days``, or the config's ``calibration_weeks``, or all but the last year) and predict the
    holdout's purchases and revenue of the same customers.

    Returns a dict: ``by_frequency`` (table of :func:`holdout_by_frequency`), ``customers`` (per-customer
    predicted and actual holdout purchases and revenue), the fitted ``bg`` and ``gg``, and the totals
    predicted_purchases, actual_purchases, predicted_revenue, actual_revenue with their relative errors
    (``purchases_error``, ``revenue_error`` = predicted / actual − 1)."""
    ch = holdout_summary(ws, holdout_days)
    if ch.empty or not (ch["frequency_cal"] > 0).any():
        raise ValueError("not enough history in the calibration period to validate the model (no repeat buyers); "
                         "use a shorter holdout_days")
    bg = fit_purchase_model(ch["frequency_cal"], ch["recency_cal"], ch["T_cal"], model)
    rep = ch[(ch["frequency_cal"] > 0) & (ch["monetary_value_cal"] > 0)]
    gg = GammaGamma().fit(rep["frequency_cal"], rep["monetary_value_cal"])
    t = ch["duration_holdout"].to_numpy(float)
    pred_n = bg.expected_purchases(t, ch["frequency_cal"], ch["recency_cal"], ch["T_cal"])
    spend = gg.conditional_expected_spend(ch["frequency_cal"], ch["monetary_value_cal"])
    cust = pd.DataFrame({"customer_id": ch["customer_id"], "predicted_purchases": pred_n,
                         "actual_purchases": ch["frequency_holdout"].to_numpy(float),
                         "predicted_revenue": pred_n * spend, "actual_revenue": ch["monetary_holdout"].to_numpy(float)})
    res = {"calibration_end": calibration_end(ws, holdout_days).date(),
           "by_frequency": holdout_by_frequency(ch, bg), "customers": cust, "bg": bg, "gg": gg,
           "predicted_purchases": float(cust["predicted_purchases"].sum()),
           "actual_purchases": float(cust["actual_purchases"].sum()),
           "predicted_revenue": float(cust["predicted_revenue"].sum()),
           "actual_revenue": float(cust["actual_revenue"].sum())}
    res["purchases_error"] = res["predicted_purchases"] / res["actual_purchases"] - 1
    res["revenue_error"] = res["predicted_revenue"] / res["actual_revenue"] - 1
    return res


# --------------------------------------------------------------------------------------------- synthetic truth
def truth_person_map(ws) -> pd.DataFrame | None:
    """For the synthetic client: each true person's customer_id in the database (the customer holding most of the
    person's source records). None for a real client."""
    if ws.truth is None or "records" not in ws.truth:
        return None
    recs = ws.sql("SELECT record_id, customer_id FROM customer_records")
    m = recs.merge(ws.truth["records"][["record_id", "person_id"]], on="record_id")
    m = m.groupby(["person_id", "customer_id"]).size().reset_index(name="n")
    m = m.sort_values(["person_id", "n", "customer_id"], ascending=[True, False, True])
    return m.drop_duplicates("person_id")[["person_id", "customer_id"]].reset_index(drop=True)


def truth_future(ws) -> pd.DataFrame | None:
    """For the synthetic client: what each database customer really does in the year after the analysis date —
    future_purchases (purchase days of completed orders), future_sales (their net amount, before returns),
    future_revenue and future_margin (net of returns). None for a real client."""
    pmap = truth_person_map(ws)
    if pmap is None or "future_orders" not in ws.truth:
        return None
    fut = ws.truth["future_orders"]
    fut = fut[fut["status"] != "cancelled"].merge(pmap, left_on="customer_id", right_on="person_id",
                                                  suffixes=("_person", ""))
    fut = fut.assign(day=fut["order_ts"].dt.normalize(), margin=fut["net_amount"] - fut["cost"])
    done = fut[fut["status"] == "completed"]
    days = done.groupby("customer_id")["day"].nunique().rename("future_purchases")
    sales = done.groupby("customer_id")["net_amount"].sum().rename("future_sales")
    money = fut.groupby("customer_id")[["net_amount", "margin"]].sum().rename(
        columns={"net_amount": "future_revenue", "margin": "future_margin"})
    return pd.concat([days, sales, money], axis=1).fillna(0).reset_index()


# --------------------------------------------------------------------------------------------- the clv table
def clv_table(ws, horizon_months: int | None = None, model: str = "auto", summary: pd.DataFrame | None = None,
              return_models: bool = False, purchase_model: BetaGeo | None = None,
              spend_model: GammaGamma | None = None):
    """The ``clv`` table (docs/DATA_MODEL.md) with the chapter's knobs: the purchase model (``model``: "auto" = the
    better-fitting of BG/NBD and MBG/NBD, or "bgnbd" / "mbgnbd") and Gamma-Gamma fitted on the customer summary
    (days) as of the analysis date; horizon ``horizon_months`` (default: the config's ``analysis.clv_horizon_months``),
    discount ``economics.annual_discount_rate``, margin rate per customer from their own history shrunk to the
    base's (the config's ``gross_margin`` when costs are unknown).

    Columns: customer_id, p_alive, expected_purchases, expected_spend, clv_revenue (expected revenue over the
    horizon, undiscounted, before returns), clv (discounted expected margin over the horizon, after returns),
    historical_clv (margin to date), value_tier (platinum top 5 % by clv, gold next 15 %, silver next 30 %,
    bronze the rest). With ``return_models`` the result is (table, purchase model, spend model).

    ``purchase_model`` / ``spend_model``: models already fitted on this summary (e.g. in the chapter, by
    :func:`fit_purchase_model` and ``GammaGamma().fit`` on the repeat buyers) are used as they are instead of being
    fitted again; ``model`` then only names the choice.
    """
    s = ws.table("customer_summary") if summary is None else summary
    cfg = ws.cfg
    for name, m in (("purchase_model", purchase_model), ("spend_model", spend_model)):
        if m is not None and not getattr(m, "params_", None):
            raise ValueError(f"clv_table({name}=...) needs a fitted model: call .fit(...) first, or leave it None "
                             "to fit one here")
    if purchase_model is None and spend_model is None:
        bg, gg = fit_btyd(s, model=model)
    else:
        bg = purchase_model if purchase_model is not None else \
            fit_purchase_model(s["frequency"], s["recency"], s["T"], model)
        if spend_model is None:
            rep = s[(s["frequency"] > 0) & (s["monetary_mean_repeat"] > 0)]
            spend_model = GammaGamma().fit(rep["frequency"], rep["monetary_mean_repeat"])
        gg = spend_model
    rates = margin_rates(s, cfg.economics.gross_margin)
    out = btyd_clv(s, bg, gg, horizon_months=horizon_months or cfg.analysis.clv_horizon_months, margin=rates,
                   annual_discount_rate=cfg.economics.annual_discount_rate, days_per_unit=1.0)
    out["historical_clv"] = s["margin_total"].fillna(0).to_numpy(float)
    out["value_tier"] = value_tiers(out["clv"].to_numpy())
    out = out[["customer_id", "p_alive", "expected_purchases", "expected_spend", "clv_revenue", "clv",
               "historical_clv", "value_tier"]]
    return (out, bg, gg) if return_models else out


def build_clv(ws) -> pd.DataFrame:
    """The ``clv`` table with the config's settings (see :func:`clv_table`); registered in ``workspace.DERIVED``."""
    return clv_table(ws)


def model_comparison(summary: pd.DataFrame, truth: dict | None = None) -> pd.DataFrame:
    """BG/NBD and MBG/NBD fitted on the same customers: parameters (with standard errors), log-likelihood, and the
    truth's parameters when known — which model describes the customers better?"""
    rows = {}
    for name, cls in (("BG/NBD", BetaGeo), ("MBG/NBD", ModifiedBetaGeo)):
        try:
            m = _fit_once(cls, summary["frequency"], summary["recency"], summary["T"])
        except ConvergenceError:
            continue
        sm = m.summary().set_index("parameter")
        col = {p: sm.loc[p, "estimate"] for p in m.param_names}
        col.update({f"{p} (s.e.)": sm.loc[p, "std_error"] for p in m.param_names})
        col["log-likelihood"] = m.log_likelihood_
        rows[name] = col
    out = pd.DataFrame(rows)
    if truth:
        out["truth"] = pd.Series({p: truth[p] for p in ("r", "alpha", "a", "b") if p in truth})
    return out
