"""The workbook's steps, one per child process: ``python benchmarks/steps.py STEP CONFIG``.

Each step does what a notebook or the report does, on the benchmark client of CONFIG, and writes the seconds spent
inside the measured calls (and a few sizes) as JSON into the file named by ``BENCH_RESULT``. The parent
(``run.py``) measures the whole process: interpreter start, imports, reading the database and the work itself.

Steps (in the order run.py runs them):

generate          the synthetic client: world, raw exports (CSV/Excel files) and truth (Parquet)
build             ingest + clean + merge/purge + database build from the raw exports
customer_summary  the customer_summary table (DuckDB SQL over the orders)
rfm               RFM scores and segments, monetary and purchase deciles
clv               BG/NBD + Gamma-Gamma fit and 12-month prediction; the clv table (BG/NBD vs MBG/NBD, as the chapter)
basket            association rules (subcategory and product) and sequence rules
reset             drop every analysis table so the report computes them itself (not measured)
"""
from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

RESULT: dict = {}


@contextmanager
def timed(name: str):
    t = time.perf_counter()
    yield
    RESULT[name] = round(time.perf_counter() - t, 3)


def _workspace(config: str):
    from dbmkit.client_workspace import Workspace
    from dbmkit.config import load_config
    ws = Workspace(load_config(config))
    ws.workdir.mkdir(parents=True, exist_ok=True)
    return ws


def step_generate(config: str) -> None:
    from dbmkit.datasets import synthetic
    ws = _workspace(config)
    syn = ws.cfg.data.synthetic
    with timed("world_and_raw_files_s"):        # as the workspace does it: raw exports written as they are built
        world = synthetic(n_people=syn.n_people, years=syn.years, end_date=syn.end_date, locale=syn.locale,
                          seed=syn.seed, duplicate_share=syn.duplicate_share,
                          invalid_email_share=syn.invalid_email_share, invalid_phone_share=syn.invalid_phone_share,
                          n_campaigns=syn.n_campaigns, raw_dir=ws.raw_dir)
    RESULT["orders"] = int(len(world.tables["orders"]))
    RESULT["order_lines"] = int(len(world.tables["order_items"]))
    RESULT["customers"] = int(len(world.tables["customers"]))
    with timed("save_truth_s"):
        world.save_truth(ws.truth_dir)
    # the stamp the workspace checks, so that the build step does not generate again
    from dbmkit.client_workspace import _sha
    (ws.raw_dir / ".generated").write_text(_sha(syn.model_dump(mode="json")))
    RESULT["raw_mb"] = round(sum(p.stat().st_size for p in ws.raw_dir.iterdir()) / 2**20, 1)


def step_build(config: str) -> None:
    ws = _workspace(config)
    with timed("build_s"):
        ws.ensure_built(force=True)
    with ws.connect() as con:
        for t in ("customers", "orders", "order_items", "contacts", "email_events"):
            RESULT[t] = int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
        RESULT["buyers"] = int(con.execute(
            "SELECT count(DISTINCT customer_id) FROM orders WHERE status = 'completed'").fetchall()[0][0])
    RESULT["db_mb"] = round(ws.db_path.stat().st_size / 2**20, 1)
    RESULT["base_tables"] = ws.tables()


def step_customer_summary(config: str) -> None:
    from dbmkit.rfm import build_customer_summary
    ws = _workspace(config)
    with timed("customer_summary_s"):
        s = build_customer_summary(ws)
    with timed("save_s"):
        ws.save("customer_summary", s)
    RESULT["rows"] = int(len(s))


def step_rfm(config: str) -> None:
    from dbmkit.rfm import rfm_scores, rfm_segments, rfm_settings
    from dbmkit.value import decile_table, purchase_deciles
    ws = _workspace(config)
    with timed("read_summary_s"):
        s = ws.table("customer_summary")
    with timed("rfm_scores_s"):
        sc = rfm_segments(rfm_scores(s, **rfm_settings(ws.cfg)))
    with timed("deciles_s"):
        decile_table(s)
        purchase_deciles(s)
    with timed("save_s"):
        ws.save("rfm", sc[["customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score",
                           "rfm_cell", "rfm_score", "segment", "segment_zh"]])
    RESULT["rows"] = int(len(sc))


def step_clv(config: str) -> None:
    from dbmkit.clv import BetaGeo, GammaGamma, btyd_clv, build_clv
    ws = _workspace(config)
    with timed("read_summary_s"):
        s = ws.table("customer_summary")
    with timed("bgnbd_fit_s"):
        bg = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
    rep = s[(s["frequency"] > 0) & (s["monetary_mean_repeat"] > 0)]
    with timed("gamma_gamma_fit_s"):
        gg = GammaGamma().fit(rep["frequency"], rep["monetary_mean_repeat"])
    with timed("predict_12m_s"):
        btyd_clv(s, bg, gg, horizon_months=12)
    with timed("clv_table_s"):      # what the chapter builds: BG/NBD and MBG/NBD, the better one, tiers
        clv = build_clv(ws)
    ws.save("clv", clv)
    RESULT["customers"] = int(len(s))
    RESULT["unique_rows"] = int(bg.n_unique_rows_)
    RESULT["params"] = {k: round(v, 5) for k, v in bg.params_.items()}


def step_basket(config: str) -> None:
    from dbmkit.basket import association_rules, sequence_rules
    ws = _workspace(config)
    with timed("rules_subcategory_s"):
        r = association_rules(ws, "subcategory", min_support=0.0)
    RESULT["rules_subcategory"] = int(len(r))
    with timed("rules_product_s"):
        r = association_rules(ws, "product_id", min_support=0.0)
    RESULT["rules_product"] = int(len(r))
    with timed("sequence_rules_s"):
        r = sequence_rules(ws)
    RESULT["sequence_rules"] = int(len(r))


def step_reset(config: str) -> None:
    """Drop every table that the build did not create, so the report computes its analysis tables itself."""
    ws = _workspace(config)
    base = set(json.loads(Path(os.environ["BENCH_BASE_TABLES"]).read_text())) if os.environ.get(
        "BENCH_BASE_TABLES") else None
    from dbmkit.client_workspace import DERIVED
    with ws.connect() as con:
        rows = con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall()
    dropped = []
    for name, kind in rows:
        if kind != "BASE TABLE":
            continue
        if (base is not None and name not in base) or (base is None and name in DERIVED):
            ws.drop(name)
            dropped.append(name)
    RESULT["dropped"] = dropped


STEPS = {name[5:]: fn for name, fn in globals().items() if name.startswith("step_")}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in STEPS:
        print(f"usage: steps.py {{{'|'.join(STEPS)}}} CONFIG", file=sys.stderr)
        return 2
    import warnings
    warnings.simplefilter("ignore")
    STEPS[argv[0]](argv[1])
    out = os.environ.get("BENCH_RESULT")
    if out:
        Path(out).write_text(json.dumps(RESULT, default=str))
    print(json.dumps(RESULT, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
