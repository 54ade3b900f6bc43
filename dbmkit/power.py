"""Sample size and power of a two-group test of response rates (样本量与检验功效): treatment vs control in a
campaign (phase 3, ``dbmkit.campaign``), version B vs version A in an A/B test (phase 4, ``dbmkit.evaluate``).

The test is the two-proportion z-test with the pooled variance under the null hypothesis (the same power as
statsmodels' ``power_proportions_2indep``). One vocabulary for every function — the names of the campaign
settings in the client config:

==========================  =======================================================================================
``baseline_rate``           the response (or open) rate of the control group / version A, e.g. 0.10
``min_detectable_lift``     the smallest absolute lift the test must detect (points of rate: 0.02 = +2 points)
``lift``                    the true absolute lift at which power is evaluated (same unit)
``significance``            α, the false-positive rate of the test (0.05)
``power``                   1 − β, the chance of detecting the lift when it is there (0.80)
``control_share``           the control group's share of everyone in the test (0.5 = equal groups)
``n_treatment, n_control``  group sizes (version B is the "treatment", version A the "control")
``two_sided``               two-sided test (the default) or one-sided
==========================  =======================================================================================

>>> int(sample_size(0.10, 0.02)["n_control"])          # 10 % → 12 %, α = 5 %, power 80 %: 3,841 per group
3841
>>> round(power_at(3841, 3841, 0.10, 0.02), 2), round(detectable_lift(3841, 3841, 0.10), 3)
(0.8, 0.02)
"""
from __future__ import annotations

import math

import pandas as pd
from scipy import optimize, stats

__all__ = ["z_critical", "sample_size", "power_at", "detectable_lift"]


def z_critical(significance: float = 0.05, two_sided: bool = True) -> float:
    """The critical value of the standard normal for the significance level α (1.96 for 5 % two-sided).

    >>> round(z_critical(0.05), 2), round(z_critical(0.05, two_sided=False), 3)
    (1.96, 1.645)
    """
    if not 0 < significance < 1:
        raise ValueError(f"the significance level α must be between 0 and 1 (e.g. 0.05 for 95 % intervals), "
                         f"not {significance!r}")
    return float(stats.norm.ppf(1 - significance / (2 if two_sided else 1)))


def _check_rates(baseline_rate: float, lift: float, name: str = "lift") -> None:
    if not 0 < baseline_rate < 1:
        raise ValueError(f"baseline_rate must be a probability between 0 and 1 (e.g. 0.2 for 20 %), "
                         f"not {baseline_rate!r}")
    if not 0 < baseline_rate + lift < 1:
        raise ValueError(f"baseline_rate + {name} = {baseline_rate + lift} is not a rate between 0 and 1; give the "
                         f"lift in points of rate, e.g. 0.02 for +2 points")


def sample_size(baseline_rate: float, min_detectable_lift: float, significance: float = 0.05, power: float = 0.80,
                control_share: float = 0.5, two_sided: bool = True) -> pd.Series:
    """People needed to detect an absolute lift in response rate with a two-proportion z-test.

    Returns a Series with ``n_control``, ``n_treatment`` and ``n_total`` (rounded up; the treatment group is
    ``(1 − control_share) / control_share`` times the control group).

    >>> sample_size(0.05, 0.01, control_share=0.1).tolist()      # a 10 % control group
    [4651, 41859, 46510]
    """
    p0, d = float(baseline_rate), float(min_detectable_lift)
    if not 0 < p0 < 1:
        raise ValueError(f"baseline_rate must be a probability between 0 and 1, not {baseline_rate!r}")
    if d == 0 or not 0 < p0 + d < 1:
        raise ValueError(f"min_detectable_lift must be non-zero (the smallest lift worth finding, e.g. 0.01) and "
                         f"baseline_rate + min_detectable_lift below 1 (got {min_detectable_lift!r})")
    if not 0 < control_share < 1:
        raise ValueError("control_share must be between 0 and 1")
    k = (1 - control_share) / control_share                        # treatment per control
    p1 = p0 + d
    pbar = (p0 + k * p1) / (1 + k)
    za, zb = z_critical(significance, two_sided), float(stats.norm.ppf(power))
    n_c = (za * math.sqrt(pbar * (1 - pbar) * (1 + 1 / k))
           + zb * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1) / k)) ** 2 / d ** 2
    n_c = int(math.ceil(n_c - 1e-9))
    n_t = int(math.ceil(k * n_c - 1e-9))
    return pd.Series({"n_control": n_c, "n_treatment": n_t, "n_total": n_c + n_t})


def power_at(n_treatment: float, n_control: float, baseline_rate: float, lift: float, significance: float = 0.05,
             two_sided: bool = True) -> float:
    """Power of the test to detect a true ``lift`` with the given group sizes (0 when a group is empty).

    >>> round(power_at(8000, 900, 0.20, 0.03), 3)
    0.532
    """
    if n_treatment <= 0 or n_control <= 0:
        return 0.0
    _check_rates(float(baseline_rate), float(lift))
    p0, p1 = float(baseline_rate), float(baseline_rate) + float(lift)
    pbar = (n_control * p0 + n_treatment * p1) / (n_control + n_treatment)
    se0 = math.sqrt(pbar * (1 - pbar) * (1 / n_treatment + 1 / n_control))
    se1 = math.sqrt(p1 * (1 - p1) / n_treatment + p0 * (1 - p0) / n_control)
    za = z_critical(significance, two_sided)
    pw = stats.norm.cdf((abs(lift) - za * se0) / se1)
    if two_sided:                                  # the (tiny) chance of a significant result in the wrong direction
        pw += stats.norm.cdf((-abs(lift) - za * se0) / se1)
    return float(pw)


def detectable_lift(n_treatment: float, n_control: float, baseline_rate: float, significance: float = 0.05,
                    power: float = 0.80, two_sided: bool = True) -> float:
    """The smallest absolute lift the test detects with the given power (minimum detectable effect, MDE); NaN
    when no lift up to a rate of 100 % reaches that power.

    >>> round(detectable_lift(8000, 900, 0.20), 4)
    0.0412
    """
    if n_treatment <= 0 or n_control <= 0:
        return float("nan")
    hi = 1 - baseline_rate - 1e-9
    if power_at(n_treatment, n_control, baseline_rate, hi, significance, two_sided) < power:
        return float("nan")
    return float(optimize.brentq(
        lambda d: power_at(n_treatment, n_control, baseline_rate, d, significance, two_sided) - power, 1e-9, hi))
