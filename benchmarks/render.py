"""Write the measured tables of ``benchmarks/RESULTS.md`` from ``benchmarks/results.json``.

Only the part between ``<!-- results:begin -->`` and ``<!-- results:end -->`` is generated; the notes, profiles
and explanations around it are written by hand and kept.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"

STEP_LABELS = {
    "generate": "generate the synthetic client (world + raw exports + truth)",
    "build": "ingest + clean + merge/purge + build the database",
    "customer_summary": "`customer_summary` table (DuckDB SQL)",
    "rfm": "RFM scores + segments + deciles",
    "clv": "BG/NBD + Gamma-Gamma fit and prediction, `clv` table",
    "basket": "association rules (subcategory, product) + sequence rules",
    "report": "full `dbmkit report` (every chapter + HTML)",
}

# (what, size, how to read the number, limit, unit)
TARGETS = [
    ("customer_summary on 10M transactions: time", "≤ 5 s"),
    ("customer_summary on 10M transactions: peak memory", "≤ 2 GB"),
    ("customer_summary vs lifetimes on 10M transactions", "≥ 10× faster"),
    ("BG/NBD fit on 1M customers", "≤ 5 s"),
    ("demo report (20k people)", "≤ 2 min"),
    ("1M-people report: time", "≤ 15 min"),
    ("1M-people report: peak memory", "≤ 12 GB"),
    ("generate 1M people with raw exports", "≲ 2 min"),
]

# issue 18, second part: (step at 1M people, time limit s, memory limit GB)
STEP_TARGETS_1M = [("generate", 90, 4), ("build", 240, 4), ("basket", 30, 2), ("report", 480, 6)]
SHORT = {"generate": "generate (world + raw exports + truth)", "build": "build the database",
         "basket": "basket + sequence rules", "report": "full report (process tree)"}
MINIMAL_RATIO = 1.2          # customer_summary within 1.2× of the minimal hand-written DuckDB query


def _ok_run(m: dict | None) -> bool:
    return bool(m) and not m.get("returncode") and not m.get("timed_out")


def _targets_18(res: dict) -> list[tuple[str, str, str, bool | None]]:
    """Issue 18's targets at a million people and against the minimal DuckDB query."""
    rows = []
    steps = res.get("sizes", {}).get("1m", {}).get("steps", {})
    for step, t_lim, m_lim in STEP_TARGETS_1M:
        m = steps.get(step)
        got = "–" if not m else f"{_cell(m)} (CPU {_dur(m.get('cpu_s'))}, mean load {m.get('load_mean', '–')})"
        rows.append((f"1M people: {SHORT[step]}", f"≤ {_dur(t_lim)} · ≤ {m_lim} GB", got,
                     None if not m else _ok_run(m) and m["wall_s"] <= t_lim and m["peak_rss_mb"] <= m_lim * 1024))
    cs = (res.get("compare") or {}).get("customer_summary", {})
    for ts in ("1m", "10m"):
        impls = cs.get(ts, {}).get("impls", {})
        ours, low = impls.get("ours"), impls.get("duckdb")
        if _ok_run(ours) and _ok_run(low):
            a, b = ours["inner"]["summary_s"], low["inner"]["summary_s"]
            ca, cb = ours["inner"].get("summary_cpu_s"), low["inner"].get("summary_cpu_s")
            cpu = f"; CPU {ca / cb:.2f}× ({_dur(ca)} vs {_dur(cb)})" if ca and cb else ""
            rows.append((f"customer_summary on {ts.upper()} transactions vs the minimal DuckDB query",
                         f"≤ {MINIMAL_RATIO}×", f"{a / b:.2f}× ({_dur(a)} vs {_dur(b)}){cpu}", a / b <= MINIMAL_RATIO))
        else:
            rows.append((f"customer_summary on {ts.upper()} transactions vs the minimal DuckDB query",
                         f"≤ {MINIMAL_RATIO}×", "–", None))
    return rows


def growth(res: dict, small: str = "100k", big: str = "1m") -> list[str]:
    """How each step's wall time, CPU time and peak memory grow from ``small`` to ``big`` people (10× people:
    linear growth is ≈ 10×)."""
    S = res.get("sizes", {})
    a, b = S.get(small, {}).get("steps", {}), S.get(big, {}).get("steps", {})
    common = [st for st in STEP_LABELS if _ok_run(a.get(st)) and _ok_run(b.get(st))]
    if not common:
        return []
    n = (S[big].get("people") or 1) / (S[small].get("people") or 1)
    out = [f"### Growth from {small} to {big} people ({n:.0f}× the people; linear ≈ {n:.0f}×)\n",
           "| step | wall time | CPU time | peak memory | mean load (small · big) |", "|---|---|---|---|---|"]
    for st in common:
        x, y = a[st], b[st]
        ratio = lambda k: f"{y[k] / x[k]:.1f}×" if x.get(k) else "–"  # noqa: E731
        out.append(f"| {st} | {ratio('wall_s')} | {ratio('cpu_s')} | {ratio('peak_rss_mb')} | "
                   f"{x.get('load_mean', '–')} · {y.get('load_mean', '–')} |")
    out.append("")
    return out


def _size_key(s: str) -> float:
    s = s.lower()
    if s == "demo":
        return 20_000
    m = {"k": 1e3, "m": 1e6}.get(s[-1], 1)
    try:
        return float(s[:-1] if s[-1] in "km" else s) * m
    except ValueError:
        return float("inf")


def _cell(m: dict | None) -> str:
    if not m:
        return "–"
    if m.get("timed_out"):
        return f"timed out after {m['wall_s']:.0f} s"
    if m.get("returncode"):
        return f"failed ({m['wall_s']:.0f} s)"
    return f"{_dur(m['wall_s'])} · {_mem(m['peak_rss_mb'])}"


def _dur(s: float | None) -> str:
    if s is None:
        return "–"
    if s < 10:
        return f"{s:.2f} s"
    if s < 120:
        return f"{s:.1f} s"
    return f"{s / 60:.1f} min"


def _mem(mb: float | None) -> str:
    if mb is None:
        return "–"
    return f"{mb / 1024:.2f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _ok(flag: bool | None) -> str:
    return "–" if flag is None else ("✅ met" if flag else "❌ missed")


def _targets(res: dict) -> list[tuple[str, str, str, bool | None]]:
    rows = []
    cs = (res.get("compare") or {}).get("customer_summary", {}).get("10m", {}).get("impls", {})
    ours, lt = cs.get("ours"), cs.get("lifetimes")
    t = ours["inner"].get("summary_s") if ours and not ours.get("returncode") else None
    rows.append((*TARGETS[0], f"{t:.2f} s (in-memory DataFrame); whole process {_dur(ours['wall_s'])}" if t else "–",
                 None if t is None else t <= 5))
    rows.append((*TARGETS[1], _mem(ours["peak_rss_mb"]) + " (whole process, data included)" if ours else "–",
                 None if not ours else ours["peak_rss_mb"] <= 2048))
    if ours and lt and not lt.get("returncode") and t:
        sp = lt["inner"]["summary_s"] / t
        rows.append((*TARGETS[2], f"{sp:.0f}× ({lt['inner']['summary_s']:.1f} s vs {t:.2f} s)", sp >= 10))
    else:
        rows.append((*TARGETS[2], "–" if not lt else "lifetimes failed or timed out", None if not lt else True))
    fit = (res.get("compare") or {}).get("bgnbd_fit", {}).get("1m", {}).get("impls", {}).get("ours")
    f = fit["inner"].get("fit_s") if fit else None
    rows.append((*TARGETS[3], f"{f:.2f} s (median of 3 fits)" if f is not None else "–", None if f is None else f <= 5))
    sizes = res.get("sizes", {})
    demo = sizes.get("demo", {}).get("steps", {}).get("report") or sizes.get("20k", {}).get("steps", {}).get("report")
    rows.append((*TARGETS[4], _dur(demo["wall_s"]) if demo else "–", None if not demo else demo["wall_s"] <= 120))
    big = sizes.get("1m", {}).get("steps", {}).get("report")
    ok_big = big is not None and not big.get("returncode") and not big.get("timed_out")
    rows.append((*TARGETS[5], _dur(big["wall_s"]) if big else "–",
                 None if not big else ok_big and big["wall_s"] <= 900))
    rows.append((*TARGETS[6], _mem(big["peak_rss_mb"]) if big else "–",
                 None if not big else big["peak_rss_mb"] <= 12 * 1024))
    gen = sizes.get("1m", {}).get("steps", {}).get("generate")
    rows.append((*TARGETS[7], _dur(gen["wall_s"]) + f" · {_mem(gen['peak_rss_mb'])}" if gen else "–",
                 None if not gen else gen["wall_s"] <= 150))
    return rows


def tables(res: dict) -> str:
    out: list[str] = []
    sizes = sorted(res.get("sizes", {}), key=_size_key)
    S = res.get("sizes", {})
    # machine
    machines = {(S[s]["machine"]["cores"], S[s]["machine"]["memory_gb"], S[s]["machine"]["cpu_model"]) for s in sizes}
    comp = res.get("compare") or {}
    if comp.get("machine"):
        machines.add((comp["machine"]["cores"], comp["machine"]["memory_gb"], comp["machine"]["cpu_model"]))
    out.append("### Machine\n")
    for cores, mem, model in sorted(machines, key=str):
        out.append(f"* **{cores} cores, {mem} GB memory** — {model}")
    any_m = (S[sizes[0]]["machine"] if sizes else comp.get("machine")) or {}
    if any_m:
        v = any_m.get("versions", {})
        out.append(f"* Python {any_m.get('python')}, " + ", ".join(f"{k} {x}" for k, x in v.items() if x))
    for s in sizes:
        m = S[s]["machine"]
        during = [(k, v["load_mean"]) for k, v in S[s].get("steps", {}).items()
                  if isinstance(v, dict) and v.get("load_mean") is not None]
        busy = (", mean load during the steps " + ", ".join(f"{k} {v:.1f}" for k, v in during)) if during else ""
        out.append(f"* size {s}: run {S[s].get('started', '')} – {S[s].get('finished', '')}, commit {m.get('commit')}, "
                   f"load average at start {m.get('load_avg_1m')}{busy}")
    if comp.get("started"):
        out.append(f"* comparisons: run {comp.get('started')} – {comp.get('finished', '')}, commit "
                   f"{comp['machine'].get('commit')}, load average at start {comp['machine'].get('load_avg_1m')}")
    out.append("")

    # targets
    out.append("### Targets\n")
    out.append("| target | limit | measured | |")
    out.append("|---|---|---|---|")
    for what, limit, got, ok in _targets(res):
        out.append(f"| {what} | {limit} | {got} | {_ok(ok)} |")
    out.append("")
    out.append("Issue 18 (a million people in less time and memory):\n")
    out.append("| target | limit | measured | |")
    out.append("|---|---|---|---|")
    for what, limit, got, ok in _targets_18(res):
        out.append(f"| {what} | {limit} | {got} | {_ok(ok)} |")
    out.append("")

    if sizes:
        out.append("### The workbook's steps (each a separate process: wall time · peak memory of the process tree)\n")
        out.append("| step | " + " | ".join(f"{s} people" if s != "demo" else "demo (20k)" for s in sizes) + " |")
        out.append("|---|" + "---|" * len(sizes))
        def inner(s, step, key):
            return (S[s]["steps"].get(step) or {}).get("inner", {}).get(key)
        for label, step, key in (("customers in the database", "build", "customers"),
                                 ("buyers", "build", "buyers"), ("orders", "build", "orders"),
                                 ("order lines", "build", "order_items"),
                                 ("raw export files", "generate", "raw_mb"), ("database file", "build", "db_mb")):
            vals = []
            for s in sizes:
                v = inner(s, step, key)
                vals.append("–" if v is None else (f"{v:,.0f} MB" if key.endswith("_mb") else f"{v:,}"))
            out.append(f"| *{label}* | " + " | ".join(vals) + " |")
        for step in STEP_LABELS:
            if not any(step in S[s]["steps"] for s in sizes):
                continue
            out.append(f"| {STEP_LABELS[step]} | " + " | ".join(_cell(S[s]["steps"].get(step)) for s in sizes) + " |")
        out.append("")
        out.extend(growth(res))
        out.append("Time inside the measured calls (without interpreter start-up, imports and reading inputs):\n")
        out.append("| step | part | " + " | ".join(sizes) + " |")
        out.append("|---|---|" + "---|" * len(sizes))
        for step in STEP_LABELS:
            keys = []
            for s in sizes:
                for k, v in ((S[s]["steps"].get(step) or {}).get("inner") or {}).items():
                    if k.endswith("_s") and k not in keys and isinstance(v, (int, float)):
                        keys.append(k)
            for k in keys:
                vals = [inner(s, step, k) for s in sizes]
                out.append(f"| {step} | {k[:-2].replace('_', ' ')} | " + " | ".join(_dur(v) for v in vals) + " |")
        out.append("")
        rep = [s for s in sizes if (S[s]["steps"].get("report") or {}).get("inner", {}).get("chapters")]
        if rep:
            out.append("### The report, chapter by chapter (seconds of each notebook, kernel start included)\n")
            out.append("| chapter | " + " | ".join(rep) + " |")
            out.append("|---|" + "---|" * len(rep))
            chs = []
            for s in rep:
                for c in S[s]["steps"]["report"]["inner"]["chapters"]:
                    if c not in chs:
                        chs.append(c)
            for c in chs:
                vals = []
                for s in rep:
                    x = S[s]["steps"]["report"]["inner"]["chapters"].get(c)
                    vals.append("–" if not x else (f"{x['seconds']:.1f}" if x["status"] == "ok" else
                                                   f"{x['status']} ({x['seconds']:.0f})"))
                out.append(f"| {c} | " + " | ".join(vals) + " |")
            out.append("| *HTML pages, total* | " + " | ".join(
                f"{S[s]['steps']['report']['inner']['html_mb']:.1f} MB" for s in rep) + " |")
            out.append("| *executed notebooks, total* | " + " | ".join(
                f"{S[s]['steps']['report']['inner']['notebooks_mb']:.1f} MB" for s in rep) + " |")
            out.append("")

    cs = comp.get("customer_summary") or {}
    if cs:
        out.append("### customer_summary vs plain pandas vs lifetimes\n")
        out.append("Seconds inside the call (input already in memory; `ours_parquet` reads the Parquet file itself), "
                   "and the whole process (start-up, reading the Parquet input, the call, writing the result):\n")
        out.append("`duckdb` is the minimal hand-written DuckDB query on the same DataFrame (compare.py, "
                   "`MINIMAL_DUCKDB`); *vs minimal* = call time ÷ its call time (CPU time ÷ its CPU time).\n")
        out.append("| transactions | implementation | customers | call | call CPU | whole process | peak memory | "
                   "vs lifetimes | vs minimal |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for ts in sorted(cs, key=_size_key):
            r = cs[ts]
            lt = r["impls"].get("lifetimes")
            lt_s = lt["inner"].get("summary_s") if lt and not lt.get("returncode") else None
            low = r["impls"].get("duckdb")
            low_s = low["inner"].get("summary_s") if _ok_run(low) else None
            for impl, m in r["impls"].items():
                s_ = m["inner"].get("summary_s")
                sp = f"{lt_s / s_:.0f}× faster" if lt_s and s_ and impl != "lifetimes" else ""
                c_, low_c = m["inner"].get("summary_cpu_s"), (low or {}).get("inner", {}).get("summary_cpu_s")
                vm = (f"{s_ / low_s:.2f}×" + (f" (CPU {c_ / low_c:.2f}×)" if c_ and low_c else "")
                      if low_s and s_ else "")
                status = "" if not m.get("returncode") else (" (timed out)" if m.get("timed_out") else " (failed)")
                cust = m["inner"].get("customers")
                out.append(f"| {r['rows']:,} | {impl}{status} | {'–' if cust is None else f'{cust:,}'} | {_dur(s_)} | "
                           f"{_dur(m['inner'].get('summary_cpu_s'))} | {_dur(m['wall_s'])} | "
                           f"{_mem(m['peak_rss_mb'])} | {sp} | {vm} |")
            chk = r.get("check") or {}
            if chk:
                same = "identical" if chk.get("all_identical") else "NOT identical"
                out.append(f"| | *outputs* | {same} | | | | | | |")
        out.append("")
        for ts in sorted(cs, key=_size_key):
            chk = (cs[ts].get("check") or {}).get("checks") or {}
            for k, v in chk.items():
                d = v.get("max_abs_diff", {})
                out.append(f"* {ts}: {k}: same customers {v.get('same_customers')}, largest differences "
                           + ", ".join(f"{a} {b:.2g}" for a, b in d.items()))
        out.append("")
    fits = comp.get("bgnbd_fit") or {}
    if fits:
        out.append("### BG/NBD fit: dbmkit vs lifetimes\n")
        out.append("| data | implementation | customers | fit | fit CPU | whole process | peak memory | "
                   "r | alpha | a | b | log-likelihood |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for fs, r in fits.items():
            for impl, m in r["impls"].items():
                i = m["inner"]
                p = i.get("params") or {}
                status = "" if not m.get("returncode") else (" (timed out)" if m.get("timed_out") else " (failed)")
                name = "CDNOW master, 39 weeks" if fs == "cdnow" else f"{fs} simulated customers"
                ll = i.get("log_likelihood")
                ll_s = "–" if ll is None else f"{ll:,.1f}"
                ps = " | ".join(f"{p[k]:.4f}" if k in p else "–" for k in ("r", "alpha", "a", "b"))
                out.append(f"| {name} | {impl}{status} | {i.get('customers', 0):,} | {_dur(i.get('fit_s'))} | "
                           f"{_dur(i.get('fit_cpu_s'))} | {_dur(m['wall_s'])} | {_mem(m['peak_rss_mb'])} | {ps} | "
                           f"{ll_s} |")
        out.append("")
    clv = (comp.get("clv") or {}).get("sizes") or {}
    if clv:
        out.append("### Customer level: BG/NBD + Gamma-Gamma fit and a 12-month CLV for everyone (one machine)\n")
        out.append("| customers | fit (BG/NBD vs MBG/NBD, Gamma-Gamma) | CLV of everyone | whole process | "
                   "peak memory | mean load | model | r | alpha | a | b | p | q | gamma |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for cs in sorted(clv, key=_size_key):
            m = clv[cs].get("clv") or {}
            i = m.get("inner") or {}
            p = i.get("params") or {}
            ps = " | ".join(f"{p[k]:.3f}" if k in p else "–" for k in ("r", "alpha", "a", "b", "p", "q", "gamma"))
            out.append(f"| {i.get('customers', clv[cs].get('customers', 0)):,} | {_dur(i.get('fit_s'))} | "
                       f"{_dur(i.get('predict_s'))} | {_cell(m)} | {_mem(m.get('peak_rss_mb'))} | "
                       f"{m.get('load_mean', '–')} | {i.get('model', '–')} | {ps} |")
        out.append("")
    out.extend(engines_tables(res.get("engines")))
    return "\n".join(out)


ENGINE_QUERY_LABELS = {"customer_summary": "customer_summary", "calibration_holdout": "calibration_holdout",
                       "rfm_inputs_as_of": "rfm_inputs_as_of (4 dates)",
                       "association_pairs": "association_pairs (subcategories)", "sequence_pairs": "sequence_pairs"}


def engines_tables(eng: dict | None) -> list[str]:
    """DuckDB vs Spark local[2] on the same rendered SQL (benchmarks/engines.py)."""
    if not eng:
        return []
    out = ["### DuckDB vs Spark local[2]: the same rendered SQL (engines.py)\n"]
    if eng.get("skipped"):
        return out + [f"Skipped: {eng['skipped']}", ""]
    sizes = eng.get("sizes") or {}
    runs = "; ".join(f"{ts} started {sizes[ts].get('started', '–')}, commit {sizes[ts].get('commit', '–')}, load "
                     f"average at start {sizes[ts].get('load_at_start', '–')}" for ts in sorted(sizes, key=_size_key))
    out.append(f"Runs: {runs or '–'} (2 cores: above ~2 the machine was shared and every time is "
               "pessimistic, Spark's more — it runs more threads). Query = execute and fetch into pandas (Spark: "
               "translation, planning, execution, Arrow back, cast to DuckDB's dtypes); hand-over = the tables the "
               "query reads exported from DuckDB as Parquet and registered in Spark; peak = resident memory of the "
               "process tree during the query (Spark: the JVM included, whose heap does not shrink between queries, so "
               "it is the peak so far); CPU = seconds of the process tree (Spark: the JVM's) during the query; "
               "load = 1-minute load average before → "
               "after the query.\n")
    out.append("| transactions | query | rows out | DuckDB query | DuckDB peak | Spark hand-over (MB) | Spark query | "
               "Spark peak | Spark / DuckDB (query) | CPU DuckDB · Spark | load | same result |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for ts in sorted(sizes, key=_size_key):
        r = sizes[ts]
        duck = ((r.get("engines") or {}).get("duckdb") or {}).get("inner", {}).get("queries", {})
        spark = ((r.get("engines") or {}).get("spark") or {}).get("inner", {}).get("queries", {})
        for q in r.get("queries", []):
            d, sp = duck.get(q) or {}, spark.get(q) or {}
            chk = (r.get("check") or {}).get(q) or {}
            same = "–" if not chk else ("yes" if chk.get("same") else "NO: " + "; ".join(chk.get("differences", [])))
            ratio = (f"{sp['query_best_s'] / d['query_best_s']:.0f}×" if sp.get("query_best_s") and
                     d.get("query_best_s") else "–")
            cpu = f"{_dur(d.get('cpu_s'))} · {_dur(sp.get('cpu_s'))}"
            if d.get("cpu_s") and sp.get("cpu_s"):
                cpu += f" ({sp['cpu_s'] / d['cpu_s']:.0f}×)"
            load = f"{d.get('load_1m_before', '–')}→{d.get('load_1m_after', '–')} · " \
                   f"{sp.get('load_1m_before', '–')}→{sp.get('load_1m_after', '–')}"
            ho = "–" if "handover_s" not in sp else f"{_dur(sp['handover_s'])} ({sp.get('handover_mb', 0):.0f})"
            out.append(f"| {r.get('rows', 0):,} | {ENGINE_QUERY_LABELS.get(q, q)} | {d.get('rows', '–'):,} | "
                       f"{_dur(d.get('query_best_s'))} | {_mem(d.get('peak_mb'))} | {ho} | "
                       f"{_dur(sp.get('query_best_s'))} | {_mem(sp.get('peak_mb'))} | {ratio} | {cpu} | {load} | "
                       f"{same} |")
    out.append("")
    out.append("| transactions | prepare the order tables | DuckDB process (all queries) | Spark process (all "
               "queries) | JVM start | Spark's first job | Spark process CPU (JVM included) | mean load DuckDB · "
               "Spark |")
    out.append("|---|---|---|---|---|---|---|---|")
    for ts in sorted(sizes, key=_size_key):
        r = sizes[ts]
        e = r.get("engines") or {}
        d, sp = e.get("duckdb") or {}, e.get("spark") or {}
        i = sp.get("inner") or {}
        out.append(f"| {r.get('rows', 0):,} | {_cell(r.get('prepare'))} | {_cell(d)} | {_cell(sp)} | "
                   f"{_dur(i.get('jvm_start_s'))} | {_dur(i.get('first_job_s'))} | {_dur(i.get('tree_cpu_s'))} | "
                   f"{d.get('load_mean', '–')} · {sp.get('load_mean', '–')} |")
    out.append("")
    return out


def side_by_side_table(sbs: dict | None) -> str:
    """The demo report by the reference commit and by the working tree (``run.py --side-by-side``)."""
    if not sbs or not sbs.get("runs"):
        return ""
    R = sbs["runs"]
    ref, tree = sbs["reference"], sbs["tree"]
    out = ["### The demo report side by side: today's code vs this tree\n",
           f"Run {sbs.get('started')} – {sbs.get('finished')}; reference {ref['commit']} ({ref.get('what', '')}), "
           f"tree {tree['commit']}{' with uncommitted changes' if tree.get('dirty') else ''}"
           f"{', --jobs ' + str(sbs['jobs']) if sbs.get('jobs') else ''}; load average at start "
           f"{sbs['machine'].get('load_avg_1m')}, at the end {sbs.get('load_avg_1m_at_end')} "
           f"({sbs['machine'].get('cores')} cores).\n",
           "| work folder | code | wall | CPU | peak memory | mean load | chapters ok | speed-up |",
           "|---|---|---|---|---|---|---|---|"]
    for mode in ("fresh", "built"):
        a, b = R.get(f"reference_{mode}"), R.get(f"tree_{mode}")
        for who, m in (("reference", a), ("tree", b)):
            if not m:
                continue
            ok = sum(c["status"] == "ok" for c in m.get("chapters", {}).values())
            sp = f"{a['wall_s'] / b['wall_s']:.2f}×" if who == "tree" and a and b and b["wall_s"] else ""
            out.append(f"| {mode} | {who} | {_cell(m)} | {_dur(m.get('cpu_s'))} | {_mem(m.get('peak_rss_mb'))} | "
                       f"{m.get('load_mean')} | {ok}/{len(m.get('chapters', {}))} | {sp} |")
    out.append("")
    cols = [k for k in ("reference_fresh", "tree_fresh", "reference_built", "tree_built") if R.get(k)]
    chapters = []
    for k in cols:
        chapters += [c for c in R[k].get("chapters", {}) if c not in chapters]
    if chapters:
        out.append("Seconds of each chapter (its kernel, start-up included; with several chapters at a time they share "
                   "the cores, so a chapter's own seconds grow while the report's shrink), and in brackets the "
                   "seconds its cells ran:\n")
        out.append("| chapter | " + " | ".join(k.replace("_", " ") for k in cols) + " |")
        out.append("|---|" + "---|" * len(cols))
        for c in chapters:
            vals = []
            for k in cols:
                x = R[k].get("chapters", {}).get(c)
                if not x:
                    vals.append("–")
                    continue
                cells = f" ({x['cells_s']:.1f})" if x.get("cells_s") is not None else ""
                vals.append(f"{x['seconds']:.1f}{cells}" if x["status"] == "ok" else x["status"])
            out.append(f"| {c} | " + " | ".join(vals) + " |")
        out.append("")
    for mode, c in (sbs.get("checks") or {}).items():
        if isinstance(c, dict):
            out.append(f"* {mode}: kpis.json identical: {c.get('kpis_identical')}, send file identical: "
                       f"{c.get('send_file_identical')}, same pages: {c.get('same_pages')} ({c.get('pages')} pages)")
        else:
            out.append(f"* {mode.replace('_', ' ')}: {c}")
    out.append("")
    return "\n".join(out)


def render(res: dict, path: Path = HERE / "RESULTS.md") -> None:
    body = tables(res)
    extra = side_by_side_table(res.get("side_by_side"))
    if extra:
        body += "\n" + extra
    text = path.read_text(encoding="utf-8") if path.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text += f"\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}", encoding="utf-8")
