"""Target group vs control group (目标组 vs 对照组): hash-based assignment, a global holdout, sample size, power and a
balance check.

``assign_groups`` decides each person's group from a hash of (campaign id, seed, customer id): the same person
gets the same group for the same campaign and seed, whatever the order or the other members of the list, on every
run and every machine — the property commercial tools get from a stored random number per customer. The share of
controls is binomial around ``control_share``.

``global_holdout`` keeps a share of all customers out of every campaign (hash with a fixed key), to measure the
total effect of the programme.

Sample size, power and the detectable lift (``sample_size``, ``power_at``, ``detectable_lift``) are those of
:mod:`dbmkit.power`, shared with the A/B tests of phase 4; ``control_group_check`` applies them to a plan.

>>> g = assign_groups(["P1", "P2", "P3"], 0.5, "NEW-20260707", seed=42)
>>> g.equals(assign_groups(["P3", "P1", "P2"], 0.5, "NEW-20260707", seed=42).set_index("customer_id")
...          .loc[["P1", "P2", "P3"]].reset_index())
True
"""
from __future__ import annotations

import hashlib
import math
import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..i18n import pick
from ..power import detectable_lift, power_at, sample_size  # the campaign's names for them (__all__)
from ..util import Notice

__all__ = ["assign_groups", "hash_uniform", "global_holdout", "sample_size", "power_at", "detectable_lift",
           "control_group_check", "balance_check", "ControlGroupWarning", "GLOBAL_HOLDOUT_KEY"]

GLOBAL_HOLDOUT_KEY = "GLOBAL-HOLDOUT"


class ControlGroupWarning(Notice):
    """The control group is too small to detect the lift the campaign is meant to detect."""


def hash_uniform(customer_ids, key: str) -> np.ndarray:
    """A number in [0, 1) per id from SHA-256 of ``key|id`` — stable across runs, machines and input order.

    >>> float(hash_uniform(["P1"], "k")[0]) == float(hash_uniform(["P0", "P1"], "k")[1])
    True
    """
    out = np.empty(len(customer_ids), dtype=float)
    prefix = (str(key) + "|").encode("utf-8")
    for i, cid in enumerate(customer_ids):
        h = hashlib.sha256(prefix + str(cid).encode("utf-8")).digest()
        out[i] = int.from_bytes(h[:8], "big") / 2.0 ** 64
    return out


def assign_groups(customer_ids, control_share: float, campaign_id: str, seed: int) -> pd.DataFrame:
    """Treatment or control for each customer id, by hash: deterministic, order-independent, stable.

    Returns ``customer_id`` and ``group`` ("treatment" / "control") in the input order. A person is in control when
    the hash of (campaign id, seed, id) falls below ``control_share``.

    >>> g = assign_groups([f"C{i}" for i in range(10000)], 0.1, "NEW-20260707", 42)
    >>> bool(0.09 < (g["group"] == "control").mean() < 0.11)
    True
    """
    if not 0 < float(control_share) < 1:
        raise ValueError(f"control_share must be between 0 and 1 (exclusive), e.g. 0.1 — not {control_share!r}")
    ids = pd.Series(list(customer_ids) if not isinstance(customer_ids, pd.Series) else customer_ids.to_numpy(),
                    dtype=object)
    if ids.isna().any():
        raise ValueError("customer_ids contain missing values; every person needs an id to be assigned a group")
    u = hash_uniform(ids.astype(str).to_numpy(), f"{campaign_id}|{seed}")
    return pd.DataFrame({"customer_id": ids.to_numpy(), "group": np.where(u < control_share, "control", "treatment")})


def global_holdout(customer_ids, share: float, seed: int, key: str = GLOBAL_HOLDOUT_KEY) -> pd.Series:
    """True for the customers in the global holdout (kept out of every campaign): a hash below ``share`` with a
    key that does not change from campaign to campaign. ``share`` 0 → nobody.

    >>> global_holdout(["P1", "P2"], 0.0, 42).tolist()
    [False, False]
    """
    ids = list(customer_ids)
    if share <= 0:
        return pd.Series(False, index=range(len(ids)))
    if share >= 1:
        raise ValueError("the global holdout share must be below 1")
    return pd.Series(hash_uniform([str(i) for i in ids], f"{key}|{seed}") < share)


def control_group_check(n_treatment: int, n_control: int, baseline_rate: float, min_detectable_lift: float,
                        significance: float = 0.05, power: float = 0.80, warn: bool = True) -> pd.Series:
    """Is the planned control group big enough? Power at the plan, the lift it can detect, the control size needed
    with this treatment group, and a message; warns (``ControlGroupWarning``) when it is too small.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     bool(control_group_check(10000, 100, 0.1, 0.01)["ok"])
    False
    """
    pw = power_at(n_treatment, n_control, baseline_rate, min_detectable_lift, significance)
    mde = detectable_lift(n_treatment, n_control, baseline_rate, significance, power)
    if power_at(n_treatment, 10 ** 9, baseline_rate, min_detectable_lift, significance) < power:
        need = float("inf")
    else:
        need = math.ceil(optimize.brentq(
            lambda n: power_at(n_treatment, n, baseline_rate, min_detectable_lift, significance) - power, 1, 10 ** 9))
    ok = pw >= power
    if ok:
        msg = pick((f"The control group of {n_control:,} gives {pw:.0%} power to detect +{min_detectable_lift:.1%} "
                    f"points over a {baseline_rate:.1%} response rate.",
                    f"{n_control:,}人的对照组在{baseline_rate:.1%}的响应率上检测"
                    f"+{100 * min_detectable_lift:.1f}个百分点提升的统计功效为{pw:.0%}。"))
    else:
        need_txt = pick((f"about {need:,} control members would be needed", f"大约需要{need:,}名对照组成员")
                        if np.isfinite(need) else
                        (f"even an unlimited control group would not reach {power:.0%} with {n_treatment:,} treated",
                         f"在{n_treatment:,}名目标组成员下，即使对照组无限大也达不到{power:.0%}"))
        msg = pick((f"Control group too small: {n_control:,} people give only {pw:.0%} power to detect "
                    f"+{min_detectable_lift:.1%} points (the plan asks {power:.0%}); it can detect about "
                    f"+{mde:.1%} points, and {need_txt}. Raise the control share, contact more people, or accept a "
                    f"larger detectable lift.",
                    f"对照组太小：{n_control:,}人检测+{100 * min_detectable_lift:.1f}个百分点提升的统计功效只有{pw:.0%}"
                    f"（计划要求{power:.0%}）；它大约只能检测出+{100 * mde:.1f}个百分点的提升，{need_txt}。"
                    "请提高对照组比例、联系更多人，或者接受更大的可检测提升。"))
        if warn:
            warnings.warn(msg, ControlGroupWarning, stacklevel=2)
    return pd.Series({"n_treatment": int(n_treatment), "n_control": int(n_control), "baseline_rate": baseline_rate,
                      "min_detectable_lift": min_detectable_lift, "power_at_plan": pw, "detectable_lift": mde,
                      "needed_control": need, "ok": bool(ok), "message": msg})


def balance_check(df: pd.DataFrame, features, group_col: str = "group", treatment: str = "treatment",
                  control: str = "control", threshold: float = 0.1) -> pd.DataFrame:
    """Are treatment and control alike before the campaign? One row per numeric feature (or per level of a text
    feature): means in both groups, the standardised mean difference (SMD) and a p-value (Welch t-test); balanced
    when |SMD| < ``threshold`` (0.1 is the usual rule).

    >>> df = pd.DataFrame({"group": ["treatment", "control"] * 50, "x": list(range(100))})
    >>> bool(balance_check(df, ["x"])["balanced"].iloc[0])
    True
    """
    if group_col not in df.columns:
        raise KeyError(f"no column {group_col!r} with the groups; columns are {list(df.columns)}")
    t, c = df[df[group_col] == treatment], df[df[group_col] == control]
    if len(t) < 2 or len(c) < 2:
        raise ValueError(f"balance_check needs at least two people in each group ({treatment}: {len(t)}, "
                         f"{control}: {len(c)})")
    rows = []
    for f in features:
        if f not in df.columns:
            raise KeyError(f"no feature column {f!r}; columns are {list(df.columns)}")
        col = df[f]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            items = [(f, t[f].astype(float), c[f].astype(float))]
        else:
            levels = pd.unique(col.dropna().astype(str))
            items = [(f"{f} = {lv}", (t[f].astype(str) == lv).astype(float), (c[f].astype(str) == lv).astype(float))
                     for lv in sorted(levels)]
        for name, a, b in items:
            a, b = a.dropna(), b.dropna()
            sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2) if len(a) > 1 and len(b) > 1 else 0.0
            smd = (a.mean() - b.mean()) / sd if sd > 0 else 0.0
            p = float(stats.ttest_ind(a, b, equal_var=False).pvalue) if sd > 0 else 1.0
            rows.append(dict(feature=name, mean_treatment=float(a.mean()), mean_control=float(b.mean()), smd=float(smd),
                             p_value=p, balanced=bool(abs(smd) < threshold)))
    return pd.DataFrame(rows)
