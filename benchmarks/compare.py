"""Side-by-side comparisons, one implementation per child process: ``python benchmarks/compare.py COMMAND …``.

Customer summary (transactions → one row per customer with frequency, recency, T and mean repeat spend):

    make_tx N PATH                  N synthetic transactions (≈ N/10 customers, 3 years) as Parquet
    summary IMPL TX OUT             IMPL = ours | ours_parquet | duckdb | pandas | lifetimes; writes OUT (Parquet)
    check OUT…                      compares the outputs (frequency, recency, T exactly; money to 1e-9 relative)

* ``ours``: :func:`dbmkit.rfm.customer_summary` on the DataFrame (DuckDB scans it in place);
* ``ours_parquet``: the same SQL reading the Parquet file directly (nothing loaded into pandas);
* ``duckdb``: the minimal hand-written DuckDB query on the same DataFrame (:data:`MINIMAL_DUCKDB` below: only
  the four BTYD columns, no ordering, no checks) — the floor that ``ours`` is measured against (issue 18: within
  1.2×);
* ``pandas``: the plain groupby a consultant would write (:func:`pandas_summary` below);
* ``lifetimes``: ``lifetimes.utils.summary_data_from_transaction_data(..., freq="D")`` (archived package, bench
  extra only).

BG/NBD fit:

    bgnbd_data cdnow|sim PATH [N]   CDNOW master's 39-week calibration summary (weeks), or N simulated customers
    fit IMPL DATA                   IMPL = ours | lifetimes; fits r, alpha, a, b and reports them with the
                                    log-likelihood (the same data and time unit for both)

CLV on a customer-level table (what stays on one machine with either engine):

    clv_data PATH [N]               N simulated customers' summary (BG/NBD purchases, Gamma-Gamma spend, text ids)
    clv DATA [MONTHS]               fit_btyd (BG/NBD vs MBG/NBD, Gamma-Gamma) and btyd_clv for every customer
"""
from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

AS_OF = "2026-06-30"
RESULT: dict = {}


def _save_result() -> None:
    out = os.environ.get("BENCH_RESULT")
    if out:
        Path(out).write_text(json.dumps(RESULT, default=str))
    print(json.dumps(RESULT, default=str))


# --------------------------------------------------------------------------------------- transactions
def make_transactions(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` purchases of ≈ n/10 customers over three years ending on AS_OF: customer_id (text), ts, amount.

    Customers join uniformly over the three years and buy at a personal Gamma-distributed rate (mean ≈ one
    purchase every 3 months for those still active), so frequencies, recencies and same-day purchases look like a
    retailer's."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(AS_OF)
    days = 3 * 365
    n_cust = max(1, n // 10)
    per = 1 + rng.negative_binomial(1.2, 1.2 / (1.2 + 9.0), n_cust)        # mean ≈ 10 purchases
    scale = n / per.sum()
    per = np.maximum(1, np.round(per * scale)).astype(np.int64)
    cust = np.repeat(np.arange(n_cust), per)[:n]
    if len(cust) < n:
        cust = np.concatenate([cust, rng.integers(0, n_cust, n - len(cust))])
    first = rng.uniform(0, days, n_cust)
    offset = rng.uniform(0, 1, n) * (days - first[cust])
    is_first = np.r_[True, cust[1:] != cust[:-1]]
    offset[is_first] = 0.0
    day = first[cust] + offset
    ts = (end - pd.Timedelta(days=days)) + pd.to_timedelta(np.floor(day * 86400), unit="s")
    ids = np.char.add("C", np.char.zfill(cust.astype(str), 8))
    amount = np.round(rng.lognormal(3.6, 0.7, n), 2)
    order = rng.permutation(n)                                            # the log is not sorted by customer
    return pd.DataFrame({"customer_id": pd.array(ids[order], dtype="str"), "ts": ts[order],
                         "amount": amount[order]})


def pandas_summary(tx: pd.DataFrame, as_of: str = AS_OF) -> pd.DataFrame:
    """The customer summary written with plain pandas groupby (one row per customer)."""
    as_of_ts = pd.Timestamp(as_of)
    tx = tx[tx["ts"].dt.normalize() <= as_of_ts]
    daily = (tx.assign(day=tx["ts"].dt.normalize()).groupby(["customer_id", "day"], sort=True)["amount"].sum()
             .reset_index())
    g = daily.groupby("customer_id", sort=True)
    first, last = g["day"].min(), g["day"].max()
    n = g.size()
    total, first_amount = g["amount"].sum(), g["amount"].first()
    out = pd.DataFrame({"frequency": n - 1, "recency": (last - first).dt.days.astype(float),
                        "T": (as_of_ts - first).dt.days.astype(float)})
    out["monetary_mean_repeat"] = np.where(out["frequency"] > 0,
                                           (total - first_amount) / out["frequency"].clip(lower=1), 0.0)
    return out.reset_index()


MINIMAL_DUCKDB = """
WITH d AS (
    SELECT customer_id, CAST(ts AS DATE) AS d, sum(amount) AS amount
    FROM tx WHERE CAST(ts AS DATE) <= $as_of GROUP BY 1, 2
)
SELECT customer_id, count(*) - 1 AS frequency,
       CAST(datediff('day', min(d), max(d)) AS DOUBLE) AS recency,
       CAST(datediff('day', min(d), $as_of) AS DOUBLE) AS "T",
       CASE WHEN count(*) > 1 THEN (sum(amount) - arg_min(amount, d)) / (count(*) - 1) ELSE 0 END
           AS monetary_mean_repeat
FROM d GROUP BY 1
"""


def duckdb_summary(tx: pd.DataFrame, as_of: str = AS_OF) -> pd.DataFrame:
    """The customer summary as the shortest DuckDB query that gives the same numbers (one row per customer, in no
    particular order)."""
    import duckdb
    con = duckdb.connect()
    try:
        con.register("tx", tx)
        return con.execute(MINIMAL_DUCKDB, {"as_of": pd.Timestamp(as_of).date()}).df()
    finally:
        con.close()


def cmd_make_tx(n: str, path: str) -> None:
    n = int(float(n))
    t = time.perf_counter()
    tx = make_transactions(n)
    RESULT["make_s"] = round(time.perf_counter() - t, 2)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tx.to_parquet(path, index=False)
    RESULT["rows"] = len(tx)
    RESULT["customers"] = int(tx["customer_id"].nunique())


def cmd_summary(impl: str, tx_path: str, out: str) -> None:
    t = time.perf_counter()
    if impl == "ours_parquet":
        from dbmkit.rfm import customer_summary
        RESULT["load_s"] = 0.0
        t, c = time.perf_counter(), time.process_time()
        s = customer_summary(f"read_parquet('{tx_path}')", "customer_id", "ts", "amount", as_of=AS_OF)
    else:
        tx = pd.read_parquet(tx_path)
        if impl == "lifetimes":
            import lifetimes.utils  # noqa: F401  (imported before the clock starts, like dbmkit below)
        elif impl == "duckdb":
            import duckdb  # noqa: F401
        else:
            import dbmkit.rfm  # noqa: F401
        RESULT["load_s"] = round(time.perf_counter() - t, 3)
        t, c = time.perf_counter(), time.process_time()
        if impl == "ours":
            from dbmkit.rfm import customer_summary
            s = customer_summary(tx, "customer_id", "ts", "amount", as_of=AS_OF)
        elif impl == "duckdb":
            s = duckdb_summary(tx)
        elif impl == "pandas":
            s = pandas_summary(tx)
        elif impl == "lifetimes":
            from lifetimes.utils import summary_data_from_transaction_data
            s = summary_data_from_transaction_data(tx, "customer_id", "ts", monetary_value_col="amount",
                                                   observation_period_end=AS_OF, freq="D")
            s = s.rename(columns={"monetary_value": "monetary_mean_repeat"}).reset_index()
        else:
            raise SystemExit(f"unknown implementation {impl!r}")
    RESULT["summary_s"] = round(time.perf_counter() - t, 3)
    RESULT["summary_cpu_s"] = round(time.process_time() - c, 3)      # all threads of the process
    RESULT["customers"] = int(len(s))
    s = s[["customer_id", "frequency", "recency", "T", "monetary_mean_repeat"]].copy()
    s["customer_id"] = s["customer_id"].astype(str)
    s.to_parquet(out, index=False)


def cmd_check(*outs: str) -> None:
    """Every output equal to the first: same customers, frequency/recency/T exactly, money to 1e-9 relative."""
    frames = {Path(o).stem: pd.read_parquet(o).sort_values("customer_id").reset_index(drop=True) for o in outs}
    names = list(frames)
    ref = frames[names[0]]
    report = {}
    for name in names[1:]:
        df = frames[name]
        same_ids = len(df) == len(ref) and bool((df["customer_id"].to_numpy() == ref["customer_id"].to_numpy()).all())
        diffs = {}
        if same_ids:
            for c in ("frequency", "recency", "T"):
                diffs[c] = float(np.abs(df[c].to_numpy(float) - ref[c].to_numpy(float)).max())
            m1, m2 = df["monetary_mean_repeat"].to_numpy(float), ref["monetary_mean_repeat"].to_numpy(float)
            diffs["monetary_rel"] = float((np.abs(m1 - m2) / np.maximum(np.abs(m2), 1e-9)).max())
        identical = (same_ids and all(diffs[c] == 0 for c in ("frequency", "recency", "T"))
                     and diffs["monetary_rel"] < 1e-9)
        report[f"{names[0]} vs {name}"] = {"same_customers": same_ids, "max_abs_diff": diffs, "identical": identical}
    RESULT["checks"] = report
    RESULT["all_identical"] = all(v["identical"] for v in report.values())


# --------------------------------------------------------------------------------------- BG/NBD
PUBLISHED_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}     # Fader, Hardie & Lee (2005)


def simulate_bgnbd(n: int, seed: int = 2, r=0.243, alpha=4.414, a=0.793, b=2.426, weeks: float = 78.0
                   ) -> pd.DataFrame:
    """``n`` customers from a BG/NBD world (CDNOW's parameters, weeks), the last purchase rounded up to a whole
    day and T in whole days, as a real customer summary would have them."""
    rng = np.random.default_rng(seed)
    T = np.ceil(rng.uniform(0, weeks * 7, n)) / 7.0
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    x = np.zeros(n, np.int64)
    tx = np.zeros(n)
    t = np.zeros(n)
    active = np.arange(n)
    while active.size:
        t[active] += rng.exponential(1.0 / lam[active])
        active = active[t[active] <= T[active]]
        x[active] += 1
        tx[active] = t[active]
        drop = rng.random(active.size) < p[active]
        active = active[~drop]
    tx = np.minimum(np.ceil(tx * 7.0) / 7.0, T)      # whole days; a repeat purchase is at least a day later
    return pd.DataFrame({"frequency": x, "recency": tx, "T": T})


def cmd_bgnbd_data(kind: str, path: str, n: str = "1000000") -> None:
    if kind == "cdnow":
        from dbmkit.datasets import cdnow
        from dbmkit.datasets.real import CDNOW_CALIBRATION_END
        from dbmkit.rfm import customer_summary
        tx = cdnow("master")
        s = customer_summary(tx, "customer_id", "date", "dollars", as_of=CDNOW_CALIBRATION_END, time_unit="W")
        df = s[["frequency", "recency", "T"]].astype(float)
    else:
        df = simulate_bgnbd(int(float(n)))
    df.to_parquet(path, index=False)
    RESULT["customers"] = len(df)
    RESULT["unique_rows"] = int(len(df.drop_duplicates()))


def cmd_fit(impl: str, data: str, repeats: str = "3") -> None:
    df = pd.read_parquet(data)
    x, tx, T = (df[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    if impl == "lifetimes":                 # imports before the clock starts
        import lifetimes  # noqa: F401
    else:
        import dbmkit.clv  # noqa: F401
    times, cpu = [], []
    for _ in range(int(repeats)):
        t, c = time.perf_counter(), time.process_time()
        if impl == "ours":
            from dbmkit.clv import BetaGeo
            m = BetaGeo().fit(x, tx, T)
            params = dict(m.params_)
        elif impl == "lifetimes":
            from lifetimes import BetaGeoFitter
            m = BetaGeoFitter().fit(x, tx, T)
            params = {k: float(v) for k, v in m.params_.items()}
        else:
            raise SystemExit(f"unknown implementation {impl!r}")
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    # lifetimes reports the likelihood of its internally rescaled data: evaluate both fits with one formula
    from dbmkit.clv import BetaGeo
    ref = BetaGeo()
    ref.params_ = params
    ll = float(ref.log_likelihood(x, tx, T).sum())
    RESULT["fit_s"] = round(float(np.median(times)), 3)
    RESULT["fit_s_all"] = [round(v, 3) for v in times]
    RESULT["fit_cpu_s"] = round(float(np.median(cpu)), 3)
    RESULT["params"] = {k: round(float(v), 5) for k, v in params.items()}
    RESULT["log_likelihood"] = round(ll, 3)
    RESULT["customers"] = len(x)


# --------------------------------------------------------------------------------------- CLV (customer level)
PUBLISHED_CDNOW_GG = {"p": 6.25, "q": 3.74, "v": 15.44}                   # Fader, Hardie & Lee (2005b)


def simulate_customers(n: int, seed: int = 3) -> pd.DataFrame:
    """``n`` customers' summary as the CLV chapter reads it: BG/NBD purchases (:func:`simulate_bgnbd`, weeks) and a
    Gamma-Gamma mean repeat spend (CDNOW's parameters), with text customer ids."""
    df = simulate_bgnbd(n, seed=seed)
    rng = np.random.default_rng(seed + 1)
    g = PUBLISHED_CDNOW_GG
    nu = rng.gamma(g["q"], 1.0 / g["v"], n)
    x = df["frequency"].to_numpy()
    spend = np.zeros(n)
    rep = x > 0
    spend[rep] = rng.gamma(g["p"] * x[rep], 1.0 / (nu[rep] * x[rep]))
    df["monetary_mean_repeat"] = np.round(spend, 2)
    df.insert(0, "customer_id", pd.array(np.char.add("C", np.char.zfill(np.arange(n).astype(str), 9)), dtype="str"))
    return df


def cmd_clv_data(path: str, n: str = "10000000") -> None:
    t = time.perf_counter()
    df = simulate_customers(int(float(n)))
    RESULT["make_s"] = round(time.perf_counter() - t, 2)
    df.to_parquet(path, index=False)
    RESULT["customers"] = len(df)
    RESULT["repeat_buyers"] = int((df["frequency"] > 0).sum())


def cmd_clv(data: str, horizon_months: str = "12") -> None:
    """The CLV chapter's customer-level work on a summary table: BG/NBD and MBG/NBD fitted (the better kept) and
    Gamma-Gamma on repeat buyers (``clv.fit_btyd``), then everyone's P(alive), expected purchases, spend and CLV
    over the horizon (``clv.btyd_clv``, weeks)."""
    import dbmkit.clv  # noqa: F401  (imported before the clock starts)
    t = time.perf_counter()
    df = pd.read_parquet(data)
    RESULT["load_s"] = round(time.perf_counter() - t, 3)
    from dbmkit.clv import btyd_clv, fit_btyd
    t, c = time.perf_counter(), time.process_time()
    bg, gg = fit_btyd(df)
    RESULT["fit_s"] = round(time.perf_counter() - t, 3)
    RESULT["fit_cpu_s"] = round(time.process_time() - c, 3)
    RESULT["model"] = type(bg).__name__
    RESULT["params"] = {k: round(float(v), 4) for k, v in {**bg.params_, **gg.params_}.items()}
    t, c = time.perf_counter(), time.process_time()
    out = btyd_clv(df, bg, gg, horizon_months=int(horizon_months), days_per_unit=7.0)
    RESULT["predict_s"] = round(time.perf_counter() - t, 3)
    RESULT["predict_cpu_s"] = round(time.process_time() - c, 3)
    RESULT["customers"] = len(out)
    RESULT["clv_total"] = round(float(out["clv"].sum()), 2)
    RESULT["table_mb"] = round((df.memory_usage(deep=True).sum() + out.memory_usage(deep=True).sum()) / 2**20, 1)


COMMANDS = {"make_tx": cmd_make_tx, "summary": cmd_summary, "check": cmd_check, "bgnbd_data": cmd_bgnbd_data,
            "fit": cmd_fit, "clv_data": cmd_clv_data, "clv": cmd_clv}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")
    COMMANDS[argv[0]](*argv[1:])
    _save_result()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
