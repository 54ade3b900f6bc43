"""Speed and memory benchmarks of the workbook: ``python benchmarks/run.py [SIZES …] [options]`` (``make bench``).

For every size (``10k``, ``100k``, ``1m`` people, ``demo`` = the demo client's 20k, or any number such as ``250k``)
a synthetic client is generated under ``benchmarks/_data/<size>/`` and each step of the workbook runs as its own
child process, measured as a whole (wall time, CPU time, peak memory of the process tree; see ``measure.py``):

    generate → build → customer_summary → rfm → clv → basket → (reset) → report

Then the side-by-side comparisons run once (skip with ``--no-compare``): customer summary by dbmkit, plain pandas
and lifetimes on 1M and 10M transactions (outputs checked to be identical), and the BG/NBD fit by dbmkit and
lifetimes on CDNOW master and on 1M simulated customers; then DuckDB vs Spark local[2] on the same rendered SQL
(``engines.py``: customer_summary, calibration_holdout, rfm_inputs_as_of, association_pairs on 1M and 10M
transactions, outputs checked to be the same table) when pyspark, sqlglot and Java are there — otherwise skipped
with the reason (``--no-spark`` skips it, ``--spark-only`` runs only it); and the CLV chapter's customer-level
work (fit + a 12-month CLV for everyone) on simulated customer tables (``--clv-sizes``, ``--clv-only``).

Results are merged into ``benchmarks/results.json`` (sizes run at different times accumulate) and the tables in
``benchmarks/RESULTS.md`` are regenerated from it (between its ``results`` markers; the notes around them stay).

Examples::

    python benchmarks/run.py 10k                       # quick check of the harness (≈ 2 minutes)
    python benchmarks/run.py 10k 100k 1m               # the full suite (≈ an hour on 2 cores)
    python benchmarks/run.py 1m --steps report --reuse # one step again on existing data
    python benchmarks/run.py --compare-only --tx-sizes 1m 10m
    python benchmarks/run.py --spark-only --tx-sizes 1m 10m   # DuckDB vs Spark local[2] only
    python benchmarks/run.py --clv-only --clv-sizes 1m 10m    # BG/NBD + Gamma-Gamma fit and CLV, customer level
    python benchmarks/run.py --render                  # only rewrite RESULTS.md from results.json
    python benchmarks/run.py --side-by-side            # the demo report: merge-base main vs the working tree
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "_data"
RESULTS_JSON = HERE / "results.json"
sys.path.insert(0, str(HERE))

from measure import machine_info, run_measured  # noqa: E402

STEPS = ["generate", "build", "customer_summary", "rfm", "clv", "basket", "report"]
SUMMARY_IMPLS = ["ours", "ours_parquet", "duckdb", "pandas", "lifetimes"]
FIT_IMPLS = ["ours", "lifetimes"]


def parse_size(s: str) -> int:
    s = s.lower().strip()
    if s == "demo":
        return 20_000
    mult = {"k": 1_000, "m": 1_000_000}.get(s[-1], 1)
    return int(float(s[:-1] if s[-1] in "km" else s) * mult)


def size_config(size: str) -> Path:
    """The benchmark client's config: the demo client's settings with ``n_people`` of the size."""
    d = DATA / size
    d.mkdir(parents=True, exist_ok=True)
    cfg = yaml.safe_load((ROOT / "clients" / "demo.yaml").read_text(encoding="utf-8"))
    if size != "demo":
        cfg["client"] = f"bench_{size}"
        cfg["title"] = f"Benchmark client ({size} people)"
        cfg["data"]["synthetic"]["n_people"] = parse_size(size)
    cfg["workdir"] = str(d / "work")
    path = d / "client.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _fmt(m: dict) -> str:
    flag = " TIMED OUT" if m.get("timed_out") else ("" if m["returncode"] == 0 else f" FAILED (exit {m['returncode']})")
    return f"{m['wall_s']:.1f} s wall, {m['cpu_s']} s CPU, peak {m['peak_rss_mb']:.0f} MB{flag}"


def run_size(size: str, steps: list[str], reuse: bool, timeout: float) -> dict:
    cfg = size_config(size)
    py = sys.executable
    logs = DATA / size / "logs"
    out: dict = {"people": parse_size(size), "config": str(cfg.relative_to(ROOT)),
                 "started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(), "steps": {}}
    generated = (DATA / size / "work" / "raw" / ".generated").exists()
    base_tables = DATA / size / "base_tables.json"
    for step in steps:
        if step == "generate" and reuse and generated:
            _log(f"{size}: generate skipped (--reuse, data exist)")
            continue
        if step == "build" and reuse and (DATA / size / "work" / "marketing.duckdb").exists() and base_tables.exists():
            _log(f"{size}: build skipped (--reuse, database exists)")
            continue
        if step == "report":
            (DATA / size / "report" / "status.json").unlink(missing_ok=True)
            # the report must compute its analysis tables itself: drop what the earlier steps saved
            run_measured([py, str(HERE / "steps.py"), "reset", str(cfg)], logs / "reset.log", timeout=600,
                         env={"BENCH_BASE_TABLES": str(base_tables)} if base_tables.exists() else None)
            cmd = [str(Path(py).parent / "dbmkit"), "report", str(cfg), "--out", str(DATA / size / "report"),
                   "--workdir", str(DATA / size / "work")]
        else:
            cmd = [py, str(HERE / "steps.py"), step, str(cfg)]
        _log(f"{size}: {step} …")
        m = run_measured(cmd, logs / f"{step}.log", timeout=timeout, cwd=str(ROOT))
        if step == "report":
            m["inner"] = _report_status(DATA / size / "report")
        if step == "build" and m["returncode"] == 0:
            base_tables.write_text(json.dumps(m["inner"].get("base_tables", [])))
        out["steps"][step] = m
        _log(f"{size}: {step}: {_fmt(m)}")
        if m["returncode"] != 0 and step in ("generate", "build"):
            _log(f"{size}: stopping this size (see {m['log']})")
            break
    out["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    return out


def _report_status(out: Path) -> dict:
    """Chapters, seconds and page sizes of a report run (from status.json; for a run that was stopped, from the
    notebooks it executed)."""
    p = out / "status.json"
    if p.exists():
        st = json.loads(p.read_text())
        chapters = {c.get("file"): {"status": c.get("status"), "seconds": round(c.get("seconds") or 0, 1)}
                    for c in st.get("chapters", [])}
    else:
        st = {"ok": False, "seconds": None}
        chapters = {}
        for nb in sorted((out / "notebooks").glob("*.ipynb")):
            try:
                meta = json.loads(nb.read_text()).get("metadata", {}).get("papermill", {})
            except (OSError, json.JSONDecodeError):
                continue
            done = meta.get("end_time") is not None and not meta.get("exception")
            chapters[nb.stem] = {"status": "ok" if done else "unfinished",
                                 "seconds": round(meta.get("duration") or 0, 1)}
    html_mb = round(sum(f.stat().st_size for f in out.glob("*.html")) / 2**20, 2)
    nb_mb = round(sum(f.stat().st_size for f in (out / "notebooks").glob("*.ipynb")) / 2**20, 2)
    biggest = sorted(((f.stat().st_size, f.name) for f in out.glob("*.html")), reverse=True)[:3]
    return {"ok": st.get("ok"), "seconds": st.get("seconds"), "chapters": chapters, "html_mb": html_mb,
            "notebooks_mb": nb_mb, "largest_pages": [[n, round(s / 2**20, 2)] for s, n in biggest]}


def run_compare(tx_sizes: list[str], fit_sizes: list[str], timeout: float, impls: list[str]) -> dict:
    py = sys.executable
    d = DATA / "compare"
    logs = d / "logs"
    out: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(),
                 "customer_summary": {}, "bgnbd_fit": {}}
    for ts in tx_sizes:
        n = parse_size(ts)
        tx = d / f"tx_{ts}.parquet"
        if not tx.exists():
            _log(f"compare: make {n:,} transactions …")
            m = run_measured([py, str(HERE / "compare.py"), "make_tx", str(n), str(tx)], logs / f"make_tx_{ts}.log",
                             timeout=timeout)
            if m["returncode"] != 0:
                _log(f"compare: making transactions failed (see {m['log']})")
                continue
        res: dict = {"rows": n, "impls": {}}
        outs = []
        for impl in impls:
            o = d / f"summary_{ts}_{impl}.parquet"
            o.unlink(missing_ok=True)
            _log(f"compare: customer summary of {ts} transactions by {impl} …")
            m = run_measured([py, str(HERE / "compare.py"), "summary", impl, str(tx), str(o)],
                             logs / f"summary_{ts}_{impl}.log", timeout=timeout, cwd=str(ROOT))
            res["impls"][impl] = m
            _log(f"compare: {impl}: {_fmt(m)}; inner {m['inner'].get('summary_s')} s")
            if m["returncode"] == 0 and o.exists():
                outs.append(str(o))
        if len(outs) > 1:
            m = run_measured([py, str(HERE / "compare.py"), "check", *outs], logs / f"check_{ts}.log", timeout=timeout)
            res["check"] = m["inner"]
            _log(f"compare: outputs identical: {m['inner'].get('all_identical')}")
        out["customer_summary"][ts] = res
    for fs in fit_sizes:
        data = d / f"bgnbd_{fs}.parquet"
        kind, n = ("cdnow", 0) if fs == "cdnow" else ("sim", parse_size(fs))
        if not data.exists():
            run_measured([py, str(HERE / "compare.py"), "bgnbd_data", kind, str(data), str(n)],
                         logs / f"bgnbd_data_{fs}.log", timeout=timeout)
        res = {"impls": {}}
        for impl in FIT_IMPLS:
            if impl not in impls and impl != "ours":
                continue
            _log(f"compare: BG/NBD fit on {fs} by {impl} …")
            m = run_measured([py, str(HERE / "compare.py"), "fit", impl, str(data), "3" if impl == "ours" else "1"],
                             logs / f"fit_{fs}_{impl}.log", timeout=timeout, cwd=str(ROOT))
            res["impls"][impl] = m
            _log(f"compare: {impl}: {_fmt(m)}; fit {m['inner'].get('fit_s')} s, {m['inner'].get('params')}")
        out["bgnbd_fit"][fs] = res
    out["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    return out


ENGINE_QUERIES = ["customer_summary", "calibration_holdout", "rfm_inputs_as_of", "association_pairs"]


def run_engines(tx_sizes: list[str], queries: list[str], timeout: float, repeats: int = 1) -> dict:
    """DuckDB and Spark local[2] on the same rendered SQL (engines.py) over compare.py's synthetic transactions:
    per size a database is prepared, each engine runs every query in one child process, the outputs are checked to
    be the same table. Skipped, with the reason, when Spark cannot run here (no pyspark/sqlglot or no Java)."""
    from dbmkit.sql.spark import unavailable
    out: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(), "sizes": {}}
    why = unavailable()
    if why:
        _log(f"engines: Spark skipped: {why}")
        out["skipped"] = why
        return out
    py = sys.executable
    d = DATA / "compare"
    logs = d / "logs"
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for ts in tx_sizes:
        n = parse_size(ts)
        tx = d / f"tx_{ts}.parquet"
        if not tx.exists():
            _log(f"engines: make {n:,} transactions …")
            m = run_measured([py, str(HERE / "compare.py"), "make_tx", str(n), str(tx)], logs / f"make_tx_{ts}.log",
                             timeout=timeout)
            if m["returncode"] != 0:
                _log(f"engines: making transactions failed (see {m['log']})")
                continue
        db = d / f"engines_{ts}.duckdb"
        res: dict = {"rows": n, "queries": queries, "repeats": repeats, "engines": {}, "check": {},
                     "started": dt.datetime.now().isoformat(timespec="seconds"),
                     "load_at_start": round(os.getloadavg()[0], 2), "commit": machine_info()["commit"]}
        _log(f"engines: {ts}: the order tables …")
        m = run_measured([py, str(HERE / "engines.py"), "prepare", str(tx), str(db)],
                         logs / f"engines_prepare_{ts}.log", timeout=timeout, cwd=str(ROOT), env=env)
        res["prepare"] = m
        if m["returncode"] != 0:
            _log(f"engines: preparing failed (see {m['log']})")
            out["sizes"][ts] = res
            continue
        outs = d / f"engines_{ts}"
        for engine in ("duckdb", "spark"):
            _log(f"engines: {ts} on {engine} …")
            m = run_measured([py, str(HERE / "engines.py"), "run", engine, str(db), str(outs), ",".join(queries),
                              str(repeats)], logs / f"engines_{ts}_{engine}.log", timeout=timeout, cwd=str(ROOT),
                             env=env)
            res["engines"][engine] = m
            per = {q: v.get("query_best_s") for q, v in m["inner"].get("queries", {}).items()}
            _log(f"engines: {engine}: {_fmt(m)}; queries {per}")
        for q in queries:
            a, b = outs / f"{q}.duckdb.parquet", outs / f"{q}.spark.parquet"
            if a.exists() and b.exists():
                m = run_measured([py, str(HERE / "engines.py"), "check", str(a), str(b)],
                                 logs / f"engines_check_{ts}_{q}.log", timeout=timeout, cwd=str(ROOT), env=env)
                res["check"][q] = m["inner"]
                _log(f"engines: {ts} {q}: same result {m['inner'].get('same')}")
        out["sizes"][ts] = res
    out["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    return out


def run_clv(sizes: list[str], timeout: float) -> dict:
    """The CLV chapter's customer-level work (compare.py clv: fit_btyd + btyd_clv) on simulated customer tables of
    each size, one process each: what stays on one machine whichever engine runs the transactions."""
    py = sys.executable
    d = DATA / "compare"
    logs = d / "logs"
    out: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(), "sizes": {}}
    for cs in sizes:
        data = d / f"clv_{cs}.parquet"
        res: dict = {"customers": parse_size(cs)}
        if not data.exists():
            _log(f"clv: simulate {parse_size(cs):,} customers …")
            res["make"] = run_measured([py, str(HERE / "compare.py"), "clv_data", str(data), str(parse_size(cs))],
                                       logs / f"clv_data_{cs}.log", timeout=timeout, cwd=str(ROOT))
        _log(f"clv: fit + predict on {cs} customers …")
        m = run_measured([py, str(HERE / "compare.py"), "clv", str(data)], logs / f"clv_{cs}.log", timeout=timeout,
                         cwd=str(ROOT))
        res["clv"] = m
        _log(f"clv: {_fmt(m)}; fit {m['inner'].get('fit_s')} s, predict {m['inner'].get('predict_s')} s")
        out["sizes"][cs] = res
    out["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    return out


def load_results() -> dict:
    if RESULTS_JSON.exists():
        return json.loads(RESULTS_JSON.read_text())
    return {"sizes": {}, "compare": {}}


def save_results(res: dict, sizes: list[str] = (), compare: bool = False) -> dict:
    """Merge this run's sizes (and comparisons) into results.json as it is on disk now — several runs may have
    written to it since this one started — and return the merged results."""
    disk = load_results()
    for s in sizes:
        disk["sizes"][s] = res["sizes"][s]
    if compare:
        disk["compare"] = res["compare"]
    RESULTS_JSON.write_text(json.dumps(disk, indent=1, sort_keys=False) + "\n")
    return disk


def _run_engines_and_save(a) -> dict:
    """DuckDB vs Spark on ``a.tx_sizes``, merged into results.json (sizes run at different times accumulate)."""
    from render import render
    queries = [q.strip() for q in a.spark_queries.split(",") if q.strip()]
    new = run_engines(a.tx_sizes, queries, a.timeout, a.spark_repeats)
    results = load_results()
    old = results.get("engines") or {}
    old.setdefault("sizes", {}).update(new.pop("sizes"))
    if "skipped" not in new:
        old.pop("skipped", None)
    old.update(new)
    results["engines"] = old
    RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    render(results)
    _log(f"results: {RESULTS_JSON.relative_to(ROOT)}, {(HERE / 'RESULTS.md').relative_to(ROOT)}")
    return results


def _run_clv_and_save(a) -> dict:
    """The customer-level CLV step on ``a.clv_sizes``, merged into results.json under compare.clv."""
    from render import render
    new = run_clv(a.clv_sizes, a.timeout)
    results = load_results()
    old = results.setdefault("compare", {}).get("clv") or {}
    old.setdefault("sizes", {}).update(new.pop("sizes"))
    old.update(new)
    results["compare"]["clv"] = old
    RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
    render(results)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", nargs="*", default=[], help="people per client: 10k 100k 1m demo …")
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated subset of {','.join(STEPS)}")
    ap.add_argument("--reuse", action="store_true", help="keep generated data and database when they exist")
    ap.add_argument("--no-compare", action="store_true", help="skip the side-by-side comparisons")
    ap.add_argument("--compare-only", action="store_true", help="run only the comparisons")
    ap.add_argument("--tx-sizes", nargs="*", default=["1m", "10m"], help="transactions for the summary comparison")
    ap.add_argument("--fit-sizes", nargs="*", default=["cdnow", "1m"], help="'cdnow' and/or simulated customers")
    ap.add_argument("--impls", default=",".join(SUMMARY_IMPLS),
                    help="implementations to compare (drop lifetimes if it is not installed)")
    ap.add_argument("--clv-sizes", nargs="*", default=["1m"],
                    help="simulated customers for the customer-level CLV step (fit_btyd + btyd_clv), e.g. 1m 10m")
    ap.add_argument("--clv-only", action="store_true", help="run only the customer-level CLV step on --clv-sizes")
    ap.add_argument("--no-spark", action="store_true", help="skip DuckDB vs Spark in the comparisons")
    ap.add_argument("--spark-only", action="store_true",
                    help="run only DuckDB vs Spark local[2] (engines.py) on --tx-sizes")
    ap.add_argument("--spark-queries", default=",".join(ENGINE_QUERIES),
                    help="the queries of DuckDB vs Spark (keys of engines.QUERIES, e.g. add sequence_pairs)")
    ap.add_argument("--spark-repeats", type=int, default=1, help="runs of each query in its engine's process")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per step before it is stopped")
    ap.add_argument("--render", action="store_true", help="only rewrite RESULTS.md from results.json")
    ap.add_argument("--side-by-side", action="store_true",
                    help="the demo report by a reference commit and by the working tree, fresh and built "
                         "(side_by_side.py)")
    ap.add_argument("--ref", help="the reference commit of --side-by-side (default: git merge-base HEAD main)")
    ap.add_argument("--jobs", type=int, help="--jobs of the working tree's report in --side-by-side (default: its "
                                             "own default)")
    a = ap.parse_args(argv)

    from render import render
    if a.render:
        render(load_results())
        return 0
    if a.side_by_side:
        from side_by_side import side_by_side
        new = side_by_side(ref=a.ref, jobs=a.jobs, timeout=a.timeout, log=_log)
        results = load_results()
        results["side_by_side"] = new
        RESULTS_JSON.write_text(json.dumps(results, indent=1, sort_keys=False) + "\n")
        render(results)
        _log(f"results: {RESULTS_JSON.relative_to(ROOT)}, {(HERE / 'RESULTS.md').relative_to(ROOT)}")
        return 0
    steps = [s.strip() for s in a.steps.split(",") if s.strip()]
    bad = [s for s in steps if s not in STEPS]
    if bad:
        ap.error(f"unknown steps {bad}; choose from {STEPS}")
    impls = list(dict.fromkeys(s.strip() for s in a.impls.split(",") if s.strip()))
    if "lifetimes" in impls:
        try:
            import lifetimes  # noqa: F401
        except ImportError:
            _log("lifetimes is not installed (pip install -e '.[bench]'): comparing without it")
            impls.remove("lifetimes")
    _log(f"machine: {machine_info()['cores']} cores, {machine_info()['memory_gb']} GB, load {os.getloadavg()[0]:.2f}")
    results = load_results()
    if a.spark_only:
        _run_engines_and_save(a)
        return 0
    if a.clv_only:
        _run_clv_and_save(a)
        return 0
    if not a.compare_only:
        for size in a.sizes:
            new = run_size(size, steps, a.reuse, a.timeout)
            old = load_results()["sizes"].get(size)
            if old and set(new["steps"]) != set(STEPS):      # some steps only: keep the others' earlier figures
                old["steps"].update(new["steps"])
                old.update({k: v for k, v in new.items() if k != "steps"})
                new = old
            results["sizes"][size] = new
            results = save_results(results, sizes=[size])
            render(results)
    if not a.no_compare and (a.compare_only or a.sizes):
        new = run_compare(a.tx_sizes, a.fit_sizes, a.timeout, impls)
        results = load_results()
        old = results.get("compare") or {}
        for k in ("customer_summary", "bgnbd_fit"):      # sizes compared at different times accumulate
            old.setdefault(k, {}).update(new[k])
        old.update({k: v for k, v in new.items() if k not in ("customer_summary", "bgnbd_fit")})
        results["compare"] = old
        results = save_results(results, compare=True)
        if a.clv_sizes:
            results = _run_clv_and_save(a)
        if not a.no_spark:
            results = _run_engines_and_save(a)
    render(results)
    _log(f"results: {RESULTS_JSON.relative_to(ROOT)}, {(HERE / 'RESULTS.md').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
