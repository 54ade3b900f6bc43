"""Uncertainty of rates and of differences of rates: intervals and empirical-Bayes shrinkage.

Written once and used wherever a decision rests on a rate — the RFM cells of chapter 21, the uplift deciles and the
KPI dashboard of chapter 41, the campaign comparison of chapter 40 (``evaluate.stats`` re-exports the intervals):

* ``wilson_interval`` — the Wilson score interval of a proportion (good for small n and rates near 0);
* ``newcombe_interval`` — Newcombe's hybrid score interval of a difference of two proportions p1 − p2;
* ``beta_binomial_prior`` / ``shrink_rates`` — empirical Bayes for many small groups' rates: a Beta(a, b) prior
  fitted to all groups by the method of moments, each group's rate pulled toward the overall rate, the more the
  fewer people it has (the posterior mean (s + a) / (n + a + b), with its equal-tailed Beta interval);
* ``difference_variance`` — the variance of a cell's incremental rate, from the cell's shrunk treated rate (the
  control group is too small to give its own rate a stable variance — and a variance read off the control group's
  own rate would favour the cells whose controls happened to buy little);
* ``shrink_differences`` — the normal hierarchical model for many estimated differences (the incremental rate of
  every cell): d_i ~ N(θ_i, v_i), θ_i ~ N(μ, τ²); each d_i is pulled toward μ by the factor v_i / (v_i + τ²),
  averaged over the τ the data allow.

Why shrink: choosing the cells with the highest *raw* estimates picks the cells whose noise happened to be
positive as much as the cells that are really good — the **winner's curse** (选择偏差). Their next result
regresses toward the mean. The shrunk estimate is what to expect of a cell given how much evidence it has
(Efron & Morris 1975, "Data analysis using Stein's estimator and its generalizations", JASA 70: 311–319).

Example
-------
>>> s, n = np.array([2, 30, 0]), np.array([10, 100, 5])
>>> a, b = beta_binomial_prior(s, n)
>>> r = shrink_rates(s, n)
>>> [round(x, 3) for x in r["rate"]], [round(x, 3) for x in r["shrunk"]]
([0.2, 0.3, 0.0], [0.274, 0.287, 0.27])
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from .power import z_critical

__all__ = ["wilson_interval", "newcombe_interval", "beta_binomial_prior", "shrink_rates", "difference_variance",
           "shrink_differences"]


def wilson_interval(successes, n, alpha: float = 0.05):
    """Wilson score interval of a proportion (works for 0 and n successes, unlike the textbook ±1.96·se).

    >>> [round(x, 4) for x in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    s = np.asarray(successes, float)
    n = np.asarray(n, float)
    z = z_critical(alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
        lo, hi = np.minimum(centre - half, p), np.maximum(centre + half, p)   # exact at p = 0 and p = 1
    lo = np.where(n > 0, np.clip(lo, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(hi, 0, 1), np.nan)
    return (float(lo), float(hi)) if lo.ndim == 0 else (lo, hi)


def newcombe_interval(s1, n1, s2, n2, alpha: float = 0.05):
    """Newcombe's hybrid score interval (method 10) of the difference of two proportions p1 − p2.

    >>> [round(x, 4) for x in newcombe_interval(56, 70, 48, 80)]
    [0.0524, 0.3339]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = np.asarray(s1, float) / np.asarray(n1, float), np.asarray(s2, float) / np.asarray(n2, float)
    l1, u1 = wilson_interval(s1, n1, alpha)
    l2, u2 = wilson_interval(s2, n2, alpha)
    d = p1 - p2
    lo = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (float(lo), float(hi)) if np.ndim(lo) == 0 else (lo, hi)


def beta_binomial_prior(successes, n, min_strength: float = 1.0) -> tuple[float, float]:
    """Beta(a, b) prior of the groups' true rates, fitted to all groups by the method of moments.

    The overall rate m = Σs / Σn; the spread of the true rates is what the observed spread has beyond the binomial
    noise: Var(p̂_i) ≈ m(1 − m)[ρ + (1 − ρ)/n_i] with ρ = 1 / (a + b + 1). When the groups vary no more than
    noise would, a + b is very large (every group is shrunk to m); ``min_strength`` keeps a + b at least 1.

    >>> a, b = beta_binomial_prior([10, 20, 30, 40], [100, 100, 100, 100])
    >>> round(a / (a + b), 3), round(a + b, 1)
    (0.25, 11.5)
    """
    s, n = np.asarray(successes, float), np.asarray(n, float)
    ok = n > 0
    s, n = s[ok], n[ok]
    if len(n) == 0 or n.sum() == 0:
        return float("nan"), float("nan")
    m = float(s.sum() / n.sum())
    if m <= 0 or m >= 1 or len(n) < 2:
        strength = 1e6                                   # no spread can be measured: everyone is the overall rate
    else:
        p = s / n
        w = n / n.sum()
        observed = float((w * (p - m) ** 2).sum()) * len(n) / (len(n) - 1)   # weighted variance of the rates
        noise = m * (1 - m) * float((w / n).sum())           # what binomial noise alone would give
        excess = (observed - noise) / (m * (1 - m) * (1 - float((w / n).sum())) or np.inf)
        rho = float(np.clip(excess, 1e-6, 1.0))
        strength = max(1 / rho - 1, min_strength)
    return m * strength, (1 - m) * strength


def shrink_rates(successes, n, alpha: float = 0.05, prior: tuple[float, float] | None = None) -> pd.DataFrame:
    """Each group's rate, its Wilson interval, and its empirical-Bayes (beta-binomial) estimate with the Beta
    posterior's equal-tailed interval. Columns: n, successes, rate, low, high, shrunk, shrunk_low, shrunk_high,
    weight (the share of the estimate that comes from the group's own data, n / (n + a + b)).

    >>> r = shrink_rates([1, 50], [4, 200], prior=(2.0, 8.0))
    >>> r[["rate", "shrunk", "weight"]].round(3).values.tolist()
    [[0.25, 0.214, 0.286], [0.25, 0.248, 0.952]]
    """
    s, nn = np.asarray(successes, float), np.asarray(n, float)
    a, b = prior if prior is not None else beta_binomial_prior(s, nn)
    lo, hi = wilson_interval(s, nn, alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(nn > 0, s / nn, np.nan)
    pa, pb = s + a, nn - s + b
    return pd.DataFrame({"n": nn, "successes": s, "rate": rate, "low": lo, "high": hi,
                         "shrunk": pa / (pa + pb), "shrunk_low": _st.beta.ppf(alpha / 2, pa, pb),
                         "shrunk_high": _st.beta.ppf(1 - alpha / 2, pa, pb), "weight": nn / (nn + a + b)})


def difference_variance(rate, n1, n0) -> np.ndarray:
    """Sampling variance of p̂1 − p̂0 for a cell of ``n1`` treated and ``n0`` control contacts: rate·(1 − rate)·
    (1/n1 + 1/n0), with ``rate`` the cell's (shrunk) treated rate standing in for both groups. The incremental
    effect is small beside the rate, and a variance read off a handful of controls' own rate is both unstable and
    biased: cells whose controls happened to buy little would look precise, and get the most weight.

    >>> round(float(difference_variance(0.2, 100, 25)), 5)
    0.008
    """
    r, n1, n0 = (np.asarray(x, float) for x in (rate, n1, n0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return r * (1 - r) * (1 / n1 + 1 / n0)


def shrink_differences(estimates, variances, alpha: float = 0.05, grid: int = 200) -> pd.DataFrame:
    """Shrink many differences d_i with sampling variances v_i (e.g. every cell's incremental rate) toward their
    common mean: the normal hierarchical model d_i ~ N(θ_i, v_i), θ_i ~ N(μ, τ²), with a flat prior on μ and a
    uniform prior on τ, integrated over a grid of τ (Gelman et al., *Bayesian Data Analysis*, 3rd ed., §5.4 — the
    "eight schools"). Given τ each cell's estimate is μ̂ + B_i(d_i − μ̂), B_i = τ² / (τ² + v_i): the fewer data
    (the larger v_i), the closer to the common mean. Averaging over the τ the data allow — rather than plugging in
    one estimate, which is 0 whenever the cells' true differences are too small to measure — keeps the interval
    honest: it does not claim the cells are identical, only that the data cannot tell them apart.

    A cell without an estimate (NaN: no control group) gets the common mean with the spread of a new cell, and
    weight 0. Columns: estimate, variance, shrunk (posterior mean), se (posterior sd), shrunk_low, shrunk_high
    (± z·se), weight (the posterior mean of B_i: the share of the cell's own evidence), se_own (the part of the error
    that is the cell's own, independent between cells) and se_common (the rest, counted as shared by all cells: a sum
    over cells adds se_own in squares and se_common directly — on the safe side). ``attrs``: mu and mu_se (posterior
    mean and sd of μ), tau (posterior mean of τ) and tau2 (the DerSimonian–Laird moment estimate of τ², for
    reference).

    >>> r = shrink_differences([0.30, -0.10, 0.05, np.nan], [0.001, 0.001, 0.004, np.nan])
    >>> round(r.attrs["tau2"], 4), r["shrunk"].round(3).tolist(), r["weight"].round(2).tolist()
    (0.0589, [0.296, -0.096, 0.053, 0.084], [0.98, 0.98, 0.93, 0.0])
    >>> r = shrink_differences([0.10, -0.05, 0.02], [0.01, 0.01, 0.01])   # moment estimate of τ²: 0, yet the
    >>> r["shrunk"].round(3).tolist(), round(r.attrs["tau2"], 4)          # data allow some spread
    ([0.049, -0.001, 0.022], 0.0)
    """
    d, v = np.asarray(estimates, float), np.asarray(variances, float)
    ok = np.isfinite(d) & np.isfinite(v) & (v > 0)
    out = pd.DataFrame({"estimate": d, "variance": v})
    if not ok.any():
        out = out.assign(shrunk=np.nan, se=np.nan, shrunk_low=np.nan, shrunk_high=np.nan, weight=np.nan,
                         se_own=np.nan, se_common=np.nan)
        out.attrs.update(mu=float("nan"), mu_se=float("nan"), tau=float("nan"), tau2=float("nan"))
        return out
    dk, vk = d[ok], v[ok]
    w = 1 / vk
    mu_fixed = float((w * dk).sum() / w.sum())
    q = float((w * (dk - mu_fixed) ** 2).sum())
    c = float(w.sum() - (w ** 2).sum() / w.sum())
    tau2_dl = max(0.0, (q - (len(dk) - 1)) / c) if len(dk) > 1 and c > 0 else 0.0
    # the grid of τ: from 0 to well beyond the spread of the estimates
    top = max(float(np.std(dk)) * 3, float(np.sqrt(np.median(vk))), 1e-9)
    taus = np.linspace(0.0, top, grid)
    var = vk[None, :] + taus[:, None] ** 2                               # grid × cells
    prec = 1 / var
    mu_t = (prec * dk).sum(axis=1) / prec.sum(axis=1)
    v_mu = 1 / prec.sum(axis=1)
    logp = 0.5 * np.log(v_mu) - 0.5 * np.log(var).sum(axis=1) - 0.5 * (prec * (dk - mu_t[:, None]) ** 2).sum(axis=1)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    # per τ and cell: the conditional posterior mean and variance (μ integrated out); new cells: B = 0
    t2 = (taus ** 2)[:, None]
    b = np.where(ok[None, :], t2 / (t2 + np.where(ok, v, 1.0)[None, :]), 0.0)
    m = mu_t[:, None] + b * (np.where(ok, d, 0.0)[None, :] - mu_t[:, None])
    own = np.where(ok[None, :], b * np.where(ok, v, 0.0)[None, :], t2)
    cond_var = own + (1 - b) ** 2 * v_mu[:, None]
    mean = p @ m
    total = p @ (cond_var + m ** 2) - mean ** 2
    se = np.sqrt(np.maximum(total, 0.0))
    se_own = np.sqrt(np.minimum(p @ own, se ** 2))
    half = z_critical(alpha) * se
    out = out.assign(shrunk=mean, se=se, shrunk_low=mean - half, shrunk_high=mean + half, weight=p @ b,
                     se_own=se_own, se_common=np.sqrt(np.maximum(se ** 2 - se_own ** 2, 0.0)))
    mu = float(p @ mu_t)
    out.attrs.update(mu=mu, mu_se=float(np.sqrt(max(p @ (v_mu + mu_t ** 2) - mu ** 2, 0.0))), tau=float(p @ taus),
                     tau2=tau2_dl)
    return out
