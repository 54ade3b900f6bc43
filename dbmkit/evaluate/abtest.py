"""A/B tests (A/B测试): plan the size before, judge the significance after, and do not peek.

An A/B test sends two versions (subject lines, content, images, send time, call to action) to two random halves
of a list and compares a rate. Three rules keep it honest:

1. **Power before** — decide the smallest lift worth detecting and compute the sample size per version
   (``ab_sample_size``); a test too small to see a realistic lift mostly produces "no difference". The maths is
   :mod:`dbmkit.power` (the same as for a campaign's control group), here in A/B terms: version A is the control,
   version B the treatment, ``alpha`` the significance, ``ratio`` = B per A.
2. **Significance after** — compare B with A once, at the planned size (``ab_test``: difference, Newcombe
   interval, p-value); a p-value says how surprising the difference would be if there were none.
3. **No peeking** — looking at the p-value every day and stopping at the first "significant" result inflates the
   false-positive rate far above α (``peeking_simulation`` shows by how much); fix the size in advance or use a
   sequential design with stricter thresholds.

Example
-------
>>> ab_sample_size(0.10, 0.02)          # 10 % → 12 % open rate, α = 5 %, power 80 %
3841
>>> round(ab_power(3841, 3841, 0.10, 0.02), 2)
0.8
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..power import detectable_lift, power_at, sample_size, z_critical
from .stats import compare_groups

__all__ = ["ab_sample_size", "ab_power", "minimum_detectable_lift", "power_curve", "ab_test", "peeking_simulation",
           "ab_test_data"]


def ab_sample_size(p_base: float, lift: float, alpha: float = 0.05, power: float = 0.80,
                   ratio: float = 1.0) -> int:
    """Contacts needed in version A to detect an absolute ``lift`` over the base rate ``p_base`` (two-sided
    test of two proportions); version B gets ``ratio`` × that many. :func:`dbmkit.power.sample_size` in A/B
    terms (A is the control, B the treatment, ``alpha`` the significance).

    >>> ab_sample_size(0.05, 0.01), ab_sample_size(0.05, 0.01, ratio=9)
    (8158, 4651)
    """
    if not float(ratio) > 0:
        raise ValueError(f"ratio is the number of B contacts per A contact (1 = equal versions), not {ratio!r}")
    return int(sample_size(p_base, lift, alpha, power, control_share=1 / (1 + float(ratio)))["n_control"])


def ab_power(n_a: int, n_b: int, p_base: float, lift: float, alpha: float = 0.05) -> float:
    """Probability that a test with ``n_a`` and ``n_b`` contacts finds a true ``lift`` significant (two-sided):
    :func:`dbmkit.power.power_at` in A/B terms."""
    return power_at(n_b, n_a, p_base, lift, alpha)


def minimum_detectable_lift(n_a: int, n_b: int, p_base: float, alpha: float = 0.05, power: float = 0.80) -> float:
    """The smallest absolute lift that a test of this size detects with the given power
    (:func:`dbmkit.power.detectable_lift` in A/B terms).

    >>> round(minimum_detectable_lift(3841, 3841, 0.10), 3)
    0.02
    """
    return detectable_lift(n_b, n_a, p_base, alpha, power)


def power_curve(p_base: float, n_a: int, n_b: int, lifts=None, alpha: float = 0.05) -> pd.DataFrame:
    """Power of a test of this size for a range of true lifts (for the chart "what can this test see?")."""
    lifts = np.linspace(0.0, min(0.1, 0.9 - p_base), 41) if lifts is None else np.asarray(lifts, float)
    return pd.DataFrame({"lift": lifts, "power": [ab_power(n_a, n_b, p_base, d, alpha) if d > 0 else alpha
                                                  for d in lifts]})


def ab_test(df: pd.DataFrame, group_col: str, outcome, a, b, alpha: float = 0.05) -> pd.DataFrame:
    """Version ``b`` against version ``a`` (the reference) on one or several outcomes: the rows of
    :func:`compare_groups` plus ``significant`` (p < alpha) and ``winner``.

    >>> df = pd.DataFrame({"cell": ["A"] * 1000 + ["B"] * 1000,
    ...                    "opened": [1] * 200 + [0] * 800 + [1] * 250 + [0] * 750})
    >>> r = ab_test(df, "cell", "opened", "A", "B")
    >>> r[["group", "value", "control_value", "winner"]].values.tolist()
    [['B', 0.25, 0.2, 'B']]
    """
    for g in (a, b):
        if g not in set(df[group_col]):
            raise ValueError(f"no version {g!r} in column {group_col!r}; "
                             f"versions: {sorted(map(str, set(df[group_col])))}")
    sub = df[df[group_col].isin([a, b])]
    r = compare_groups(sub, group_col, outcome, control=a, alpha=alpha, groups=[b])
    r["significant"] = r["p_value"] < alpha
    r["winner"] = np.where(~r["significant"], "no clear winner", np.where(r["abs_lift"] > 0, str(b), str(a)))
    return r


def peeking_simulation(p_base: float = 0.10, n_per_arm: int = 5000, looks=(1, 2, 5, 10, 20, 50),
                       alpha: float = 0.05, lift: float = 0.0, n_sims: int = 2000, seed: int = 0) -> pd.DataFrame:
    """How often a test is declared significant when you look ``k`` times and stop at the first p < alpha.

    With ``lift = 0`` (an A/A test: no real difference) the share is the false-positive rate: ≈ alpha for one
    look, far more with many looks. Each row: looks, share_significant.

    >>> r = peeking_simulation(n_sims=400, looks=(1, 10))
    >>> bool(r["share_significant"].iloc[1] > r["share_significant"].iloc[0])
    True
    """
    looks = [int(k) for k in looks]
    if min(looks) < 1:
        raise ValueError("looks must be whole numbers ≥ 1")
    grid = int(np.lcm.reduce(looks)) if np.lcm.reduce(looks) <= 1000 else max(looks)
    step = n_per_arm / grid
    if step < 1:
        raise ValueError(f"n_per_arm ({n_per_arm}) is too small for {grid} looks")
    rng = np.random.default_rng(seed)
    sizes = np.diff(np.round(np.linspace(0, n_per_arm, grid + 1)).astype(int))
    a = np.cumsum(rng.binomial(sizes[None, :], p_base, (n_sims, grid)), axis=1)
    b = np.cumsum(rng.binomial(sizes[None, :], p_base + lift, (n_sims, grid)), axis=1)
    n = np.cumsum(sizes)[None, :].astype(float)
    pool = (a + b) / (2 * n)
    se = np.sqrt(pool * (1 - pool) * 2 / n)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, (b - a) / n / se, 0.0)
    sig = np.abs(z) > z_critical(alpha)
    rows = []
    for k in looks:
        idx = (np.arange(1, k + 1) * grid // k) - 1
        rows.append(dict(looks=k, share_significant=float(sig[:, idx].any(axis=1).mean())))
    return pd.DataFrame(rows)


def ab_test_data(ws, campaign_id: str) -> pd.DataFrame:
    """The treated contacts of a past campaign with their cell (version) and 0/1 outcomes: opened and clicked
    (from ``email_events``, unique per recipient; a click counts as an open), responded (bought in the window),
    plus revenue and margin."""
    from .attribution import campaign_outcomes
    out = campaign_outcomes(ws, campaign_id, rule="all")
    out = out[out["group"] == "treatment"]
    ev = ws.sql("""SELECT customer_id,
                          max(CASE WHEN event IN ('opened', 'clicked') THEN 1 ELSE 0 END) AS opened,
                          max(CASE WHEN event = 'clicked' THEN 1 ELSE 0 END) AS clicked
                   FROM email_events WHERE campaign_id = ? GROUP BY customer_id""", [campaign_id])
    out = out.merge(ev, on="customer_id", how="left")
    for c in ("opened", "clicked"):
        out[c] = out[c].fillna(0).astype(int)
    return out[["campaign_id", "customer_id", "cell", "opened", "clicked", "responded", "revenue", "margin"]]\
        .reset_index(drop=True)
