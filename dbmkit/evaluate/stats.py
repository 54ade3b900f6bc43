"""Target vs control (目标组 vs 对照组): is the treated group's result really better, and by how much?

``compare_groups`` puts every treatment group beside one control group, for every outcome: binary outcomes
(responded 0/1) as proportions with Wilson intervals and the Newcombe hybrid-score interval of the difference;
continuous outcomes (revenue, margin per contact) as means with the Welch interval (or a bootstrap). It gives the
absolute lift (percentage points for rates), the relative lift, the p-value and the incremental total
(lift × treated contacts). With ``by=`` it breaks the comparison down (channel, cell, segment, offer) and adds a
Holm-adjusted p-value and a warning for small cells — the more slices you look at, the more "significant" ones
appear by chance (multiple comparisons). The intervals of a rate and of a difference of rates are written once, in
``dbmkit.uncertainty`` (re-exported here).

``srm_check`` tests for a sample-ratio mismatch: a control group that is not the size it was planned to be is a
sign the split was broken (a filter applied after the split, a list truncated) and the comparison is not fair.

Example
-------
>>> df = pd.DataFrame({"group": ["control"] * 80 + ["treatment"] * 70,
...                    "bought": [1] * 48 + [0] * 32 + [1] * 56 + [0] * 14})
>>> r = compare_groups(df, "group", "bought", control="control")
>>> r[["group", "n", "value", "control_value", "abs_lift"]].round(3).values.tolist()
[['treatment', 70, 0.8, 0.6, 0.2]]
>>> round(float(r["ci_low"].iloc[0]), 4), round(float(r["ci_high"].iloc[0]), 4)
(0.0524, 0.3339)
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from ..uncertainty import newcombe_interval, wilson_interval

__all__ = ["compare_groups", "srm_check", "wilson_interval", "newcombe_interval", "welch_interval",
           "two_proportion_p_value", "bootstrap_mean_diff", "holm_adjust", "is_binary"]

COLUMNS = ["group", "outcome", "kind", "n", "control_n", "value", "control_value", "abs_lift", "rel_lift",
           "ci_low", "ci_high", "p_value", "incremental"]


def two_proportion_p_value(s1, n1, s2, n2) -> float:
    """Two-sided p-value of the pooled z-test (the chi-square test of a 2×2 table without continuity correction).

    >>> round(two_proportion_p_value(56, 70, 48, 80), 4)
    0.008
    """
    s1, n1, s2, n2 = float(s1), float(n1), float(s2), float(n2)
    if min(n1, n2) <= 0:
        return float("nan")
    p = (s1 + s2) / (n1 + n2)
    se = np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (s1 / n1 - s2 / n2) / se
    return float(2 * _st.norm.sf(abs(z)))


def welch_interval(x, y, alpha: float = 0.05) -> tuple[float, float, float, float]:
    """Welch's unequal-variance t interval of mean(x) − mean(y): (diff, low, high, p-value).

    >>> d, lo, hi, p = welch_interval([1.0, 2, 3, 4], [1.0, 1, 2, 2])
    >>> round(d, 2), round(lo, 3), round(hi, 3), round(p, 3)
    (1.0, -0.935, 2.935, 0.228)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    n1, n2 = len(x), len(y)
    d = float(x.mean() - y.mean()) if n1 and n2 else float("nan")
    if n1 < 2 or n2 < 2:
        return d, float("nan"), float("nan"), float("nan")
    v1, v2 = x.var(ddof=1) / n1, y.var(ddof=1) / n2
    se = np.sqrt(v1 + v2)
    if se == 0:
        return d, d, d, (1.0 if d == 0 else 0.0)
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    t = float(_st.t.ppf(1 - alpha / 2, df))
    p = float(2 * _st.t.sf(abs(d / se), df))
    return d, float(d - t * se), float(d + t * se), p


def bootstrap_mean_diff(x, y, n_boot: int = 2000, alpha: float = 0.05, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(x) − mean(y) (each group resampled on its own).

    >>> lo, hi = bootstrap_mean_diff(np.arange(50.0), np.arange(50.0) - 5, n_boot=500)
    >>> lo < 5 < hi
    True
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) == 0 or len(y) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_boot)
    chunk = max(1, int(2e6 // max(len(x), len(y))))
    for s in range(0, n_boot, chunk):
        k = min(chunk, n_boot - s)
        mx = x[rng.integers(0, len(x), (k, len(x)))].mean(axis=1)
        my = y[rng.integers(0, len(y), (k, len(y)))].mean(axis=1)
        diffs[s:s + k] = mx - my
    return float(np.quantile(diffs, alpha / 2)), float(np.quantile(diffs, 1 - alpha / 2))


def holm_adjust(p_values) -> np.ndarray:
    """Holm's step-down adjustment of p-values for multiple comparisons (NaN stays NaN).

    >>> holm_adjust([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    if len(ok) == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def is_binary(s: pd.Series) -> bool:
    """True when a column only holds 0/1 (or True/False) values."""
    v = pd.unique(s.dropna())
    try:
        return len(v) > 0 and set(np.asarray(v, float).tolist()) <= {0.0, 1.0}
    except (TypeError, ValueError):
        return False


def _one(tr: pd.Series, ct: pd.Series, kind: str, alpha: float, bootstrap: int, seed: int) -> dict:
    tr, ct = tr.dropna().astype(float), ct.dropna().astype(float)
    n1, n2 = len(tr), len(ct)
    row = dict(kind=kind, n=n1, control_n=n2)
    if n1 == 0 or n2 == 0:
        return {**row, "value": tr.mean() if n1 else np.nan, "control_value": ct.mean() if n2 else np.nan,
                "abs_lift": np.nan, "rel_lift": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan,
                "incremental": np.nan}
    v1, v2 = float(tr.mean()), float(ct.mean())
    if kind == "proportion":
        s1, s2 = float(tr.sum()), float(ct.sum())
        lo, hi = newcombe_interval(s1, n1, s2, n2, alpha)
        p = two_proportion_p_value(s1, n1, s2, n2)
    else:
        _, lo, hi, p = welch_interval(tr.to_numpy(), ct.to_numpy(), alpha)
        if bootstrap:
            lo, hi = bootstrap_mean_diff(tr.to_numpy(), ct.to_numpy(), bootstrap, alpha, seed)
    d = v1 - v2
    return {**row, "value": v1, "control_value": v2, "abs_lift": d,
            "rel_lift": d / v2 if v2 != 0 else np.nan, "ci_low": lo, "ci_high": hi, "p_value": p,
            "incremental": d * n1}


def compare_groups(df: pd.DataFrame, group_col: str, outcomes, control, alpha: float = 0.05,
                   by: str | list[str] | None = None, groups: list | None = None, bootstrap: int = 0,
                   seed: int = 0, kinds: dict[str, str] | None = None, min_cell: int = 100) -> pd.DataFrame:
    """Every treatment group against one control group, for every outcome.

    Parameters
    ----------
    df : one row per contact (treated, control …) with the group column and the outcome columns.
    group_col : the column naming the group (e.g. "group" or "cell").
    outcomes : an outcome column or a list of them. 0/1 columns are compared as proportions (Wilson/Newcombe,
        pooled z-test), others as means (Welch; with ``bootstrap=B`` a percentile bootstrap interval).
    control : the value of ``group_col`` that marks the control group.
    alpha : 1 − confidence level of the intervals (0.05 → 95 %).
    by : break the comparison down by these columns (channel, cell, segment, offer): adds ``p_adjusted``
        (Holm, over every row of the result) and ``note`` (small cells).
    groups : the treatment groups to report (default: every group but the control).
    kinds : force "proportion" or "mean" per outcome.
    min_cell : a slice with fewer contacts than this in either group gets a warning note.

    Returns
    -------
    One row per (group, outcome) [per slice]: group, outcome, kind, n, control_n, value, control_value,
    abs_lift (value − control_value), rel_lift (abs_lift / control_value), ci_low, ci_high (interval of abs_lift),
    p_value, incremental (abs_lift × n: incremental responses for a rate, incremental money for a mean).
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError("df must be a DataFrame with one row per contact")
    outs = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    bys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [c for c in [group_col, *outs, *bys] if c not in df.columns]
    if missing:
        raise KeyError(f"df has no column(s) {missing}; it has {list(df.columns)}")
    present = pd.unique(df[group_col].dropna())
    if control not in set(present):
        raise ValueError(f"no control group {control!r} in column {group_col!r}; the groups are "
                         f"{sorted(map(str, present))}. Pass control= one of them")
    treat = [g for g in (groups if groups is not None else sorted(present, key=str)) if g != control]
    if not treat:
        raise ValueError(f"only the control group {control!r} is in {group_col!r}: nothing to compare")
    kinds = dict(kinds or {})
    for o in outs:
        if o not in kinds:
            if not pd.api.types.is_numeric_dtype(df[o]) and not pd.api.types.is_bool_dtype(df[o]):
                raise ValueError(f"outcome {o!r} is not numeric (dtype {df[o].dtype}); use a 0/1 or money column")
            kinds[o] = "proportion" if is_binary(df[o]) else "mean"
        elif kinds[o] not in ("proportion", "mean"):
            raise ValueError(f"kinds[{o!r}] must be 'proportion' or 'mean', not {kinds[o]!r}")
    rows = []
    slices = [((), df)] if not bys else [((k if isinstance(k, tuple) else (k,)), g)
                                         for k, g in df.groupby(bys, sort=True, dropna=False)]
    for key, part in slices:
        ctrl = part[part[group_col] == control]
        for g in treat:
            tr = part[part[group_col] == g]
            if bys and len(tr) == 0:
                continue
            for o in outs:
                r = _one(tr[o], ctrl[o], kinds[o], alpha, bootstrap, seed)
                rows.append({**dict(zip(bys, key)), "group": g, "outcome": o, **r})
    out = pd.DataFrame(rows, columns=[*bys, *COLUMNS])
    if bys:
        out["p_adjusted"] = holm_adjust(out["p_value"].to_numpy())
        small = (out["n"] < min_cell) | (out["control_n"] < min_cell)
        none = out["control_n"] == 0
        out["note"] = np.where(none, "no control contacts in this slice: no comparison",
                               np.where(small, f"small cell (< {min_cell} contacts): treat with caution", ""))
    for c in ("n", "control_n"):
        out[c] = out[c].astype(int)
    return out.reset_index(drop=True)


def srm_check(df: pd.DataFrame, group_col: str = "group", expected: dict | None = None,
              threshold: float = 0.001) -> pd.DataFrame:
    """Sample-ratio mismatch: do the group sizes match the planned split? (chi-square goodness of fit)

    ``expected`` maps each group to its planned share (e.g. {"treatment": 0.9, "control": 0.1}); default: equal
    shares. A p-value below ``threshold`` (0.001 is the usual bar) flags a broken split.

    >>> df = pd.DataFrame({"group": ["treatment"] * 905 + ["control"] * 95})
    >>> r = srm_check(df, expected={"treatment": 0.9, "control": 0.1})
    >>> r[["group", "n", "expected_n"]].values.tolist(), bool(r["srm"].iloc[0])
    ([['control', 95, 100.0], ['treatment', 905, 900.0]], False)
    """
    if group_col not in df.columns:
        raise KeyError(f"df has no column {group_col!r}; it has {list(df.columns)}")
    counts = df[group_col].value_counts().sort_index()
    if expected is None:
        expected = {g: 1 / len(counts) for g in counts.index}
    unknown = sorted(set(map(str, counts.index)) - set(map(str, expected)))
    if unknown:
        raise ValueError(f"groups {unknown} are in the data but not in `expected` {sorted(expected)}")
    total_share = sum(expected.values())
    if total_share <= 0:
        raise ValueError("the expected shares must be positive")
    groups = sorted(expected, key=str)
    n = np.array([int(counts.get(g, 0)) for g in groups], float)
    share = np.array([expected[g] / total_share for g in groups], float)
    exp_n = share * n.sum()
    chi2 = float(((n - exp_n) ** 2 / np.where(exp_n > 0, exp_n, np.nan)).sum())
    p = float(_st.chi2.sf(chi2, len(groups) - 1)) if len(groups) > 1 else float("nan")
    return pd.DataFrame({"group": groups, "n": n.astype(int), "observed_share": n / max(n.sum(), 1),
                         "expected_share": share, "expected_n": exp_n, "chi2": chi2, "p_value": p,
                         "srm": p < threshold})
