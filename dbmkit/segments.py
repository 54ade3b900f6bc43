"""Customer segmentation (客户细分): lifecycle stages, behavioural clusters, demographic segments, cohorts and
penetration (渗透分析).

* :func:`lifecycle_stage` — new / active / at risk / lapsed / lost from recency and each customer's own purchase
  cycle (客户生命周期).
* :func:`segment_features`, :func:`choose_k`, :func:`kmeans_segments`, :func:`profile`, :func:`name_segments` —
  k-means on scaled behaviour, the choice of k (silhouette and elbow) and profiles a marketer can name.
* :func:`demographic_segments` — age band × gender (e.g. "young men") with value per customer.
* :func:`penetration` — customers and sales per household by postal area, age band or income band, as an index vs
  the average (渗透分析).
* :func:`cohort_retention` — the share of each first-purchase cohort that buys again in later periods.
* :func:`build_segments` — the ``segments`` table of the data model.

Example
-------
>>> s = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "frequency": [5, 4, 0, 3], "recency": [200, 300, 0, 90],
...                   "T": [230, 700, 30, 800], "days_since_last": [30, 400, 30, 710]})
>>> lifecycle_stage(s, lost_days=365)["lifecycle_stage"].tolist()
['active', 'lost', 'new', 'lost']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import sql as _sql
from .i18n import add as _add_labels
from .util import compute_threads
from .util import isin as _isin
from .value import abc_classes

__all__ = ["LIFECYCLE_STAGES", "lifecycle_stage", "segment_features", "choose_k", "kmeans_segments", "profile",
           "name_segments", "demographic_segments", "penetration", "cohort_retention", "build_segments", "age_band",
           "SEGMENT_NAMES"]

LIFECYCLE_STAGES = ["new", "active", "at_risk", "lapsed", "lost"]

# names a marketer can use for behavioural clusters (English, 中文)
SEGMENT_NAMES: dict[str, tuple[str, str]] = {
    "multichannel_vip": ("Multi-channel VIPs", "多渠道高价值客户"),
    "high_value_loyal": ("High-value loyal", "高价值忠诚客户"),
    "valuable_slipping": ("Valuable but slipping", "高价值待挽回客户"),
    "potential_high_spenders": ("Potential high spenders", "潜在高消费客户"),
    "new_registrants": ("New customers", "新注册客户"),
    "serial_returners": ("Frequent returners", "频繁退货客户"),
    "deal_seekers": ("Deal seekers", "价格敏感客户"),
    "multichannel_regulars": ("Multi-channel regulars", "多渠道常客"),
    "dormant_one_timers": ("Dormant one-timers", "久未回购的一次性客户"),
    "regulars": ("Regulars", "普通常客"),
    "occasional": ("Occasional buyers", "偶尔购买客户"),
}

_add_labels({
    "at_risk": ("At risk", "有流失风险"), "lifecycle_stage": ("Lifecycle stage", "生命周期阶段"),
    "cluster": ("Cluster", "细分编号"), "silhouette": ("Silhouette", "轮廓系数"),
    "inertia": ("Inertia (within-cluster SS per customer)", "组内平方和（每位客户，肘部图）"),
    "customers_per_household": ("Customers per household", "户均客户数"),
    "sales_per_household": ("Sales per household", "户均销售额"),
    "penetration_index": ("Index (100 = average)", "渗透指数（平均=100）"),
    "age_band": ("Age band", "年龄段"), "income_band": ("Income band (area median)", "收入段（地区中位数）"),
    "postal_code": ("Postal area", "邮政编码区域"), "cohort": ("Cohort (first purchase)", "客户群（首次购买）"),
    "period_index": ("Periods since first purchase", "首购后期数"), "retention": ("Retention", "留存率"),
    **{k: v for k, v in SEGMENT_NAMES.items()},
})


# ------------------------------------------------------------------------------------------------ lifecycle
def lifecycle_stage(summary: pd.DataFrame, new_days: int = 90, at_risk_after: float = 1.5, lapsed_after: float = 3.0,
                    lost_days: int = 365, min_repeats: int = 2, min_cycle: float = 7.0) -> pd.DataFrame:
    """Lifecycle stage of each customer (客户生命周期) from recency and the customer's own purchase cycle.

    * **new** — first purchase within ``new_days`` days;
    * otherwise compare the days since the last purchase with the customer's usual gap between purchases (the
      *cycle*: time from first to last purchase / repeat purchases; for customers with fewer than ``min_repeats``
      repeats the typical cycle of the repeat buyers):
      **active** up to ``at_risk_after`` cycles, **at_risk** up to ``lapsed_after`` cycles, **lapsed** beyond;
    * **lost** — no purchase for more than ``lost_days`` days, whatever the cycle.

    A weekly buyer who has not bought for two months is at risk; a twice-a-year buyer is not. ``summary`` needs
    customer_id, frequency, recency, T (days) and days_since_last (the ``customer_summary`` table). Returns
    customer_id, cycle_days, cycle_ratio (days since last / cycle) and lifecycle_stage.
    """
    need = ["customer_id", "frequency", "recency", "T", "days_since_last"]
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise KeyError(f"lifecycle_stage needs the customer_summary columns {missing} "
                       "(use ws.table('customer_summary'))")
    if not 0 < at_risk_after < lapsed_after:
        raise ValueError("need 0 < at_risk_after < lapsed_after (in purchase cycles), e.g. 1.5 and 3")
    f = summary["frequency"].astype(float).to_numpy()
    rec = summary["recency"].astype(float).to_numpy()
    own = np.where(f >= max(min_repeats, 1), rec / np.maximum(f, 1), np.nan)
    typical = float(np.nanmedian(own)) if np.isfinite(own).any() else float(new_days)
    cycle = np.maximum(np.where(np.isfinite(own), own, typical), min_cycle)
    dsl = summary["days_since_last"].astype(float).to_numpy()
    ratio = dsl / cycle
    stage = np.select(
        [dsl > lost_days, summary["T"].astype(float).to_numpy() <= new_days, ratio <= at_risk_after,
         ratio <= lapsed_after],
        ["lost", "new", "active", "at_risk"], default="lapsed")
    return pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(), "cycle_days": cycle, "cycle_ratio": ratio,
                         "lifecycle_stage": pd.Categorical(stage, categories=LIFECYCLE_STAGES)})


# ------------------------------------------------------------------------------------------------ clusters
_FEATURES = ["days_since_last", "n_orders", "monetary_total", "avg_order_value", "T", "channels_used",
             "discount_share", "return_share"]
_LOG_FEATURES = {"days_since_last", "n_orders", "monetary_total", "avg_order_value", "T"}


def segment_features(summary: pd.DataFrame) -> pd.DataFrame:
    """Behaviour per customer for clustering, in units a marketer reads: days since last purchase, orders,
    revenue, average order value, customer age in days (T), channels used, discount share of gross spend and return
    share. Takes the ``customer_summary`` table; returns customer_id plus those columns.

    >>> s = pd.DataFrame({"customer_id": ["a"], "days_since_last": [10], "n_orders": [4], "monetary_total": [200.0],
    ...   "T": [300], "channels_used": [2], "discount_total": [20.0], "gross_total": [240.0], "returns_total": [20.0]})
    >>> segment_features(s)[["avg_order_value", "discount_share"]].round(3).values.tolist()
    [[50.0, 0.083]]
    """
    need = ["customer_id", "days_since_last", "n_orders", "monetary_total", "T", "channels_used", "discount_total",
            "gross_total", "returns_total"]
    missing = [c for c in need if c not in summary.columns]
    if missing:
        raise KeyError(f"segment_features needs the customer_summary columns {missing}")
    s = summary
    gross = s["gross_total"].astype(float).where(s["gross_total"].astype(float) > 0)
    out = pd.DataFrame({
        "customer_id": s["customer_id"].to_numpy(),
        "days_since_last": s["days_since_last"].astype(float).to_numpy(),
        "n_orders": s["n_orders"].astype(float).to_numpy(),
        "monetary_total": s["monetary_total"].astype(float).clip(lower=0).to_numpy(),
        "avg_order_value": (s["monetary_total"].astype(float).clip(lower=0)
                            / s["n_orders"].astype(float).clip(lower=1)).to_numpy(),
        "T": s["T"].astype(float).to_numpy(),
        "channels_used": s["channels_used"].astype(float).to_numpy(),
        "discount_share": (s["discount_total"].astype(float) / gross).fillna(0).clip(0, 1).to_numpy(),
        "return_share": (s["returns_total"].astype(float) / gross).fillna(0).clip(0, 1).to_numpy(),
    })
    return out


def _scaled(features: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Log-transform the skewed columns, then standardise every column (mean 0, sd 1)."""
    from sklearn.preprocessing import StandardScaler
    x = features[columns].astype(float).copy()
    for c in columns:
        if c in _LOG_FEATURES:
            x[c] = np.log1p(x[c].clip(lower=0))
    x = x.fillna(x.median())
    return StandardScaler().fit_transform(x.to_numpy())


def choose_k(features: pd.DataFrame, k_range=range(2, 9), columns: list[str] | None = None, seed: int = 42,
             sample: int = 5000, max_fit: int = 50_000) -> pd.DataFrame:
    """The choice of k for k-means: for each k the inertia (within-cluster sum of squares per customer, for the elbow
    plot) and the silhouette (how well separated the clusters are, −1…1; higher is better; on a sample of ``sample``
    customers). With more than ``max_fit`` customers the clusterings are fitted on a random sample of that size.

    Returns k, inertia, silhouette and ``best`` (the k with the highest silhouette).

    Example::

        k_table = choose_k(segment_features(ws.table("customer_summary")), range(2, 9))
        dbm.plots.k_choice_chart(k_table)
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    cols = columns or [c for c in _FEATURES if c in features.columns]
    ks = [int(k) for k in k_range]
    if not ks or min(ks) < 2:
        raise ValueError("k_range must hold values ≥ 2, e.g. range(2, 9)")
    x = _scaled(features, cols)
    if len(x) <= max(ks):
        raise ValueError(f"{len(x)} customers are too few for k up to {max(ks)}")
    rng = np.random.default_rng(seed)
    if len(x) > max_fit:
        x = x[rng.choice(len(x), size=max_fit, replace=False)]
    idx = rng.choice(len(x), size=min(sample, len(x)), replace=False)
    rows = []
    with compute_threads():
        for k in ks:
            km = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(x)
            sil = silhouette_score(x[idx], km.labels_[idx]) if len(set(km.labels_[idx])) > 1 else np.nan
            rows.append({"k": k, "inertia": float(km.inertia_) / len(x), "silhouette": float(sil)})
    out = pd.DataFrame(rows)
    out["best"] = out["k"] == int(out.loc[out["silhouette"].idxmax(), "k"])
    return out


def kmeans_segments(features: pd.DataFrame, k: int | None = None, k_range=range(3, 9),
                    columns: list[str] | None = None, seed: int = 42, max_fit: int = 200_000) -> pd.DataFrame:
    """Behavioural segments by k-means (聚类) on scaled features (skewed ones log-transformed first).

    With ``k=None`` the k with the best silhouette in ``k_range`` is used (the table is in ``result.attrs["k_table"]``).
    Clusters are numbered 1…k by mean revenue, highest first, so numbers are stable across runs. With more than
    ``max_fit`` customers the centres are fitted on a random sample and every customer is assigned to the nearest
    centre (fast on millions). Returns customer_id and cluster.

    >>> rng = np.random.default_rng(0)
    >>> f = pd.DataFrame({"customer_id": [str(i) for i in range(60)],
    ...                   "n_orders": np.r_[rng.poisson(2, 30), rng.poisson(20, 30)],
    ...                   "monetary_total": np.r_[rng.gamma(2, 50, 30), rng.gamma(2, 500, 30)]})
    >>> seg = kmeans_segments(f, k=2, columns=["n_orders", "monetary_total"])
    >>> seg.groupby("cluster").size().tolist()
    [30, 30]
    """
    from sklearn.cluster import KMeans
    cols = columns or [c for c in _FEATURES if c in features.columns]
    if "customer_id" not in features.columns:
        raise KeyError("features need a customer_id column (use segment_features(summary))")
    k_table = None
    if k is None:
        k_table = choose_k(features, k_range, cols, seed)
        k = int(k_table.loc[k_table["best"], "k"].iloc[0])
    if len(features) <= k:
        raise ValueError(f"{len(features)} customers are too few for k={k} segments")
    x = _scaled(features, cols)
    fit_rows = x if len(x) <= max_fit else x[np.random.default_rng(seed).choice(len(x), size=max_fit, replace=False)]
    with compute_threads():
        km = KMeans(n_clusters=int(k), n_init=5, random_state=seed).fit(fit_rows)
        labels = km.labels_ if fit_rows is x else km.predict(x)
    money = features["monetary_total"].astype(float).to_numpy() if "monetary_total" in features.columns else x[:, 0]
    order = pd.Series(money).groupby(labels).mean().sort_values(ascending=False).index
    relabel = {old: new + 1 for new, old in enumerate(order)}
    out = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(),
                        "cluster": np.vectorize(relabel.get)(labels).astype("int64")})
    out.attrs["k"] = int(k)
    if k_table is not None:
        out.attrs["k_table"] = k_table
    return out


def profile(df: pd.DataFrame, by: str = "cluster", columns: list[str] | None = None,
            index: bool = False) -> pd.DataFrame:
    """Profile of each segment: customers, share and the mean of each column — or, with ``index=True``, the mean
    as an index vs the overall mean (100 = average, 200 = twice the average), which makes segments easy to name.

    >>> d = pd.DataFrame({"cluster": [1, 1, 2, 2], "spend": [300.0, 100.0, 50.0, 150.0]})
    >>> profile(d, columns=["spend"], index=True)["spend"].round(1).tolist()
    [133.3, 66.7]
    """
    if by not in df.columns:
        raise KeyError(f"profile(by={by!r}): no such column; have {list(df.columns)}")
    cols = columns or [c for c in df.columns if c not in (by, "customer_id") and pd.api.types.is_numeric_dtype(df[c])]
    g = df.groupby(by, observed=True)
    out = g[cols].mean()
    if index:
        overall = df[cols].mean()
        out = 100 * out / overall.where(overall != 0)
    out.insert(0, "share", g.size() / len(df))
    out.insert(0, "customers", g.size())
    return out.reset_index()


def name_segments(profile_index: pd.DataFrame, by: str = "cluster", language: str = "en") -> dict:
    """Names a marketer can use for clusters, from their profile as an index vs average (``profile(..., index=True)``
    of :func:`segment_features` columns). Rules, in order: new customers (short customer age), multi-channel VIPs,
    high-value loyal, valuable but slipping, frequent returners, deal seekers, dormant one-timers, potential high
    spenders, multi-channel regulars, regulars, occasional buyers; the clusters with the highest revenue choose
    first and a name is used once (a second match gets the next rule that fits).

    Returns {cluster: name}.
    """
    need = {"days_since_last", "n_orders", "monetary_total", "avg_order_value", "T"}
    if not need <= set(profile_index.columns):
        raise KeyError(f"name_segments needs index columns {sorted(need)} (profile of segment_features, index=True)")
    p = profile_index.set_index(by)

    def g(row, c, default=100.0):
        return float(row[c]) if c in row and pd.notna(row[c]) else default
    rules = [
        ("new_registrants", lambda r: g(r, "T") < 45),
        ("multichannel_vip", lambda r: g(r, "monetary_total") >= 150 and g(r, "channels_used") >= 140),
        ("high_value_loyal", lambda r: g(r, "monetary_total") >= 150 and g(r, "days_since_last") <= 100),
        ("valuable_slipping", lambda r: g(r, "monetary_total") >= 120 and g(r, "days_since_last") > 100),
        ("serial_returners", lambda r: g(r, "return_share") >= 300),
        ("deal_seekers", lambda r: g(r, "discount_share") >= 150),
        ("dormant_one_timers", lambda r: g(r, "days_since_last") >= 150 and g(r, "n_orders") < 60),
        ("potential_high_spenders", lambda r: g(r, "avg_order_value") >= 130 and g(r, "n_orders") < 100),
        ("multichannel_regulars", lambda r: g(r, "channels_used") >= 125),
        ("regulars", lambda r: g(r, "n_orders") >= 90),
        ("occasional", lambda r: True),
    ]
    # the most distinctive clusters choose first: highest revenue, then the rest
    order = p.sort_values("monetary_total", ascending=False).index.tolist()
    names, used = {}, set()
    for cl in order:
        row = p.loc[cl]
        key = next((k for k, rule in rules if k not in used and rule(row)), None)
        if key is None:
            key = next(k for k, rule in rules if rule(row))
        used.add(key)
        en, zh = SEGMENT_NAMES[key]
        names[cl] = zh if language == "zh" else en
    # duplicates (only possible through the fallback) get a number
    seen: dict[str, int] = {}
    for cl in order:
        n = names[cl]
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[cl] = f"{n} {seen[n]}"
    return names


# ------------------------------------------------------------------------------------------------ demographics
def age_band(birth_date, as_of, edges=(18, 25, 35, 45, 55, 65), ) -> pd.Series:
    """Age band at ``as_of`` from birth dates: '18–24', '25–34', … '65+'; 'unknown' without a birth date, and
    'under 18' below the first edge.

    >>> age_band(pd.Series(pd.to_datetime(["2000-06-01", "1950-01-01", None])), "2026-06-30").tolist()
    ['25–34', '65+', 'unknown']
    """
    bd = pd.to_datetime(pd.Series(birth_date), errors="coerce")
    as_of = pd.Timestamp(as_of)
    before_birthday = (bd.dt.month > as_of.month) | ((bd.dt.month == as_of.month) & (bd.dt.day > as_of.day))
    age = (as_of.year - bd.dt.year) - before_birthday.astype(int)
    labels = [f"{lo}–{hi - 1}" for lo, hi in zip(edges[:-1], edges[1:])] + [f"{edges[-1]}+"]
    idx = np.searchsorted(np.asarray(edges), age.fillna(-1).to_numpy(), side="right") - 1
    out = np.where(age.isna(), "unknown", np.where(idx < 0, f"under {edges[0]}",
                                                   np.asarray(labels, dtype=object)[np.clip(idx, 0, len(labels) - 1)]))
    return pd.Series(out, index=bd.index, dtype=object)


_VALUES_CACHE: dict = {}


def _customer_values(ws, months: int) -> pd.DataFrame:
    """Every customer with demographics and the period's revenue (SQL ``customer_period_value``). The last two
    results are kept for the same database file (path, modification time of it and of its write-ahead log) and
    period, so a chapter asking for penetration by area, age and income reads the customer table once; a copy is
    returned."""
    start = (ws.as_of - pd.DateOffset(months=int(months)) + pd.Timedelta(days=1)).date()
    key = None
    path = getattr(ws, "db_path", None)
    if path is not None:
        try:
            wal = path.with_name(path.name + ".wal")
            key = (str(path), path.stat().st_mtime_ns, wal.stat().st_mtime_ns if wal.exists() else None, start,
                   ws.as_of.date())
        except OSError:
            key = None
    if key is not None and key in _VALUES_CACHE:
        return _VALUES_CACHE[key].copy()
    v = _sql.run(ws, "customer_period_value", {"start": start, "as_of": ws.as_of.date()})
    if key is not None:
        while len(_VALUES_CACHE) >= 2:
            _VALUES_CACHE.pop(next(iter(_VALUES_CACHE)))
        _VALUES_CACHE[key] = v.copy()
    return v


def demographic_segments(ws, months: int = 12, edges=(18, 25, 35, 45, 55, 65)) -> pd.DataFrame:
    """Demographic segments (e.g. "young men"): age band × gender with customers, share of customers who bought in
    the last ``months`` months, revenue per customer and its index vs the average (100 = average).

    Customers without a birth date or gender show as 'unknown'.

    Example::

        d = demographic_segments(ws)
        d.pivot_table(index="age_band", columns="gender", values="index")
    """
    v = _customer_values(ws, months)
    v["age_band"] = age_band(v["birth_date"], ws.as_of, edges).to_numpy()
    v["gender"] = v["gender"].fillna("U").astype(str).replace({"": "U", "U": "unknown"})
    g = v.groupby(["age_band", "gender"]).agg(customers=("customer_id", "size"), buyers=("is_buyer", "sum"),
                                               revenue=("revenue", "sum")).reset_index()
    g["buyer_share"] = g["buyers"] / g["customers"]
    g["revenue_per_customer"] = g["revenue"] / g["customers"]
    avg = v["revenue"].sum() / max(len(v), 1)
    g["index"] = 100 * g["revenue_per_customer"] / avg if avg else np.nan
    g["share_of_customers"] = g["customers"] / len(v)
    g["share_of_revenue"] = g["revenue"] / v["revenue"].sum() if v["revenue"].sum() else np.nan
    return g


def _penetration_table(d: pd.DataFrame, key: str) -> pd.DataFrame:
    d = d.copy()
    d["customers_per_household"] = d["customers"] / d["households"]
    d["buyers_per_household"] = d["buyers"] / d["households"]
    d["sales_per_household"] = d["revenue"] / d["households"]
    tot_c, tot_b, tot_r, tot_h = (d[c].sum() for c in ("customers", "buyers", "revenue", "households"))
    d["index"] = 100 * d["customers_per_household"] / (tot_c / tot_h)
    d["sales_index"] = 100 * d["sales_per_household"] / (tot_r / tot_h) if tot_r else np.nan
    d["share_of_customers"] = d["customers"] / tot_c
    d["share_of_households"] = d["households"] / tot_h
    return d


def penetration(ws, by: str = "postal_code", months: int = 12, n_bands: int = 5,
                min_households: int = 0) -> pd.DataFrame:
    """Penetration analysis (渗透分析): how deeply the client has reached each postal area, age band or income band.

    For each group: households (from ``area_demographics``), customers, buyers and revenue of the last ``months``
    months, customers per household, sales per household, and ``index`` = customers per household vs the average of
    all areas × 100 (``sales_index`` the same for sales). An index of 150 means 50 % more customers per household
    than on average: a well-served group; 60 means room to grow (or a poor fit).

    ``by``: ``postal_code`` (or ``city``) — one row per area; ``age_band`` — households split by the areas' age
    shares (age_18_34 …), customers by their birth dates; ``income_band`` — areas grouped into ``n_bands`` bands of
    median household income (equal numbers of households).

    Example::

        penetration(ws, by="postal_code").head()            # best-served areas first
        penetration(ws, by="income_band")[["income_band", "customers_per_household", "index"]]
    """
    if by not in ("postal_code", "city", "age_band", "income_band"):
        raise ValueError(f"penetration(by={by!r}): use 'postal_code', 'city', 'age_band' or 'income_band'")
    areas = ws.sql("SELECT * FROM area_demographics")
    if areas.empty:
        raise ValueError("penetration needs the area_demographics table (households per postal area); "
                         "map a source for it in the client config")
    v = _customer_values(ws, months)
    v["postal_code"] = v["postal_code"].astype(str)
    areas["postal_code"] = areas["postal_code"].astype(str)
    known = v[_isin(v["postal_code"], set(areas["postal_code"]))]
    if by in ("postal_code", "city"):
        per = known.groupby("postal_code").agg(customers=("customer_id", "size"), buyers=("is_buyer", "sum"),
                                               revenue=("revenue", "sum"))
        d = areas[["postal_code", "city", "households", "population", "median_income"]].merge(
            per, left_on="postal_code", right_index=True,
            how="left").fillna({"customers": 0, "buyers": 0, "revenue": 0})
        if by == "city":
            d = d.groupby("city", as_index=False).agg(households=("households", "sum"),
                                                      population=("population", "sum"),
                                                      customers=("customers", "sum"), buyers=("buyers", "sum"),
                                                      revenue=("revenue", "sum"))
        d = d[d["households"] > min_households]
        return _penetration_table(d, by).sort_values("index", ascending=False).reset_index(drop=True)
    if by == "income_band":
        a = areas.sort_values("median_income").reset_index(drop=True)
        cum = a["households"].cumsum() / a["households"].sum()
        band = np.minimum((cum.to_numpy() * n_bands - 1e-9).astype(int), n_bands - 1)
        a["band_no"] = band
        lo = a.groupby("band_no")["median_income"].min()
        hi = a.groupby("band_no")["median_income"].max()
        labels = {b: f"{b + 1}: {lo[b] / 1000:,.0f}k–{hi[b] / 1000:,.0f}k" for b in lo.index}
        a["income_band"] = a["band_no"].map(labels)
        m = known.merge(a[["postal_code", "income_band"]], on="postal_code")
        per = m.groupby("income_band").agg(customers=("customer_id", "size"), buyers=("is_buyer", "sum"),
                                           revenue=("revenue", "sum"))
        d = a.groupby("income_band").agg(households=("households", "sum"), median_income=("median_income", "median"),
                                         areas=("postal_code", "size")).join(per).fillna(0).reset_index()
        return _penetration_table(d, by)
    # age bands: the area table's age columns (age_18_34, age_35_54, age_55_plus) define the bands
    age_cols = [c for c in areas.columns if c.startswith("age_")]
    if not age_cols:
        raise ValueError("penetration(by='age_band') needs age share columns in area_demographics (age_18_34 …)")
    bands = []
    for c in age_cols:
        parts = c.split("_")[1:]
        lo = int(parts[0])
        hi = None if parts[1] == "plus" else int(parts[1])
        bands.append((c, lo, hi, f"{lo}–{hi}" if hi is not None else f"{lo}+"))
    edges = [b[1] for b in bands]
    bd = pd.to_datetime(known["birth_date"], errors="coerce")
    age = (ws.as_of - bd).dt.days / 365.25
    lab = np.full(len(known), None, dtype=object)
    for c, lo, hi, name in bands:
        lab[((age >= lo) & ((age < hi + 1) if hi is not None else True)).to_numpy()] = name
    known = known.assign(age_band=lab)
    per = known.dropna(subset=["age_band"]).groupby("age_band").agg(
        customers=("customer_id", "size"), buyers=("is_buyer", "sum"), revenue=("revenue", "sum"))
    rows = []
    for c, lo, hi, name in bands:
        rows.append({"age_band": name, "households": float((areas["households"] * areas[c]).sum()),
                     "population": float((areas["population"] * areas[c]).sum())})
    d = pd.DataFrame(rows).merge(per, left_on="age_band", right_index=True, how="left").fillna(0)
    out = _penetration_table(d, by)
    out.attrs["customers_without_age"] = int(known["age_band"].isna().sum())
    out.attrs["edges"] = edges
    return out


# ------------------------------------------------------------------------------------------------ cohorts
def cohort_retention(ws, period: str = "month", max_periods: int | None = None) -> pd.DataFrame:
    """Cohort retention: customers grouped by the period of their first purchase; for each later period the share
    of the cohort that bought (period_index 0 is the first purchase itself, so retention is 1 there).

    Returns cohort, period_index, cohort_size, customers, retention, revenue (long format; pivot it for a heatmap).

    Example::

        c = cohort_retention(ws, "quarter")
        c.pivot_table(index="cohort", columns="period_index", values="retention")
    """
    if period not in ("month", "quarter", "year"):
        raise ValueError(f"period must be 'month', 'quarter' or 'year', not {period!r}")
    df = _sql.run(ws, "cohort_retention", {"as_of": ws.as_of.date()}, period=_sql.Raw(f"'{period}'"))
    df["cohort"] = pd.to_datetime(df["cohort"])
    df["retention"] = df["retention"].astype(float)
    if max_periods is not None:
        df = df[df["period_index"] <= max_periods]
    return df.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ table
def _abc(summary: pd.DataFrame) -> pd.Series:
    """ABC classes (顾客金字塔) by margin to date from :func:`dbmkit.value.abc_classes`, aligned with ``summary``."""
    res = abc_classes(summary, value="margin_total")
    return summary[["customer_id"]].merge(res[["customer_id", "abc_class"]], on="customer_id", how="left")["abc_class"]


def build_segments(ws, k: int | None = None, new_days: int = 90, at_risk_after: float = 1.5,
                   lapsed_after: float = 3.0, lost_days: int | None = None, k_range=range(3, 9)) -> pd.DataFrame:
    """The ``segments`` table: one row per customer of ``customer_summary`` with lifecycle_stage, cluster,
    cluster_name and abc_class (A–D, by margin to date: :func:`dbmkit.value.abc_classes`).

    k comes from ``k``, else the config's ``analysis.k_segments``, else the best silhouette in ``k_range``; the
    k table is kept in ``result.attrs["k_table"]``. ``lost_days`` defaults to the config's ``analysis.active_days``.

    Example::

        seg = build_segments(ws, k=6)
        ws.save("segments", seg)
    """
    s = ws.table("customer_summary")
    lost = int(lost_days if lost_days is not None else ws.cfg.analysis.active_days)
    life = lifecycle_stage(s, new_days=new_days, at_risk_after=at_risk_after, lapsed_after=lapsed_after,
                           lost_days=lost)
    feats = segment_features(s)
    seg = kmeans_segments(feats, k=k if k is not None else ws.cfg.analysis.k_segments, k_range=k_range,
                          seed=int(ws.cfg.seed))
    prof = profile(feats.merge(seg, on="customer_id"), by="cluster", index=True)
    names = name_segments(prof, language=ws.language)
    out = life[["customer_id", "lifecycle_stage"]].merge(seg, on="customer_id", how="left")
    out["lifecycle_stage"] = out["lifecycle_stage"].astype(str)
    out["cluster_name"] = out["cluster"].map(names)
    out["abc_class"] = _abc(s).to_numpy()
    out = out[["customer_id", "lifecycle_stage", "cluster", "cluster_name", "abc_class"]]
    out.attrs["k"] = seg.attrs.get("k")
    if "k_table" in seg.attrs:
        out.attrs["k_table"] = seg.attrs["k_table"]
    return out
