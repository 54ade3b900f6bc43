"""Many clients in one go: :func:`run_batch` runs each client's report in its own process, so one failing client
never stops the others, and writes the summary table (``batch_summary.csv``) and page (``index.html``).
"""
from __future__ import annotations

import datetime as dt
import html as _html
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from .. import messages
from ..config import ConfigError, OverrideError, load_config
from ..preflight import writable_dir
from ..report import KPI_INFO, REPORT_CSS, format_kpi

__all__ = ["BATCH_KPIS", "run_batch", "batch_summary_html", "format_batch_table", "batch_language"]

BATCH_KPIS = ["persons", "customers_active", "top20_revenue_share", "gini", "clv_total", "planned_contacts",
              "expected_roi", "campaign_lift"]


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _run_one(cfg_path: Path, out_root: Path, phases, timeout, workdir_root, extra_args, overrides=None) -> dict:
    """One client's report in its own process; any failure becomes the row's status and one-line message."""
    t0 = time.time()
    row = {"config": str(cfg_path), "client": cfg_path.stem, "status": "error", "chapters_ok": 0,
           "chapters_failed": 0, "chapters_skipped": 0, "seconds": 0.0, "message": "", "report": ""}
    try:
        _run_client(row, t0, cfg_path, out_root, phases, timeout, workdir_root, extra_args, overrides)
    except Exception as e:  # noqa: BLE001 - one client's trouble never stops the batch or its summary
        row["status"] = "error"
        row["message"] = _one_line(f"{type(e).__name__}: {e}")
    row["seconds"] = round(time.time() - t0, 1)
    return row


def _run_client(row, t0, cfg_path: Path, out_root: Path, phases, timeout, workdir_root, extra_args, overrides):
    lang = messages.config_language(cfg_path) or "en"      # a Chinese client's row speaks Chinese
    try:
        cfg = load_config(cfg_path, overrides=overrides or None)
        row["client"] = cfg.client
    except OverrideError as e:
        row["message"] = _one_line(messages.msg("batch.set_error", lang) + " | ".join(
            e.lines() if lang != "zh" else
            [f"{k}：{messages.config_problem_text(t, lang)}" for k, _, t in (ln.partition(": ") for ln in e.lines())]))
        return
    except ConfigError as e:
        sep = "：" if lang == "zh" else ": "
        row["message"] = _one_line(messages.msg("batch.config_error", lang) + " | ".join(
            f"{f}{sep}{messages.config_problem_text(m, lang)}" for f, m in e.problems))
        return
    out = out_root / cfg.client
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "dbmkit.cli", "report", str(cfg_path), "--out", str(out)]
    for k, v in (overrides or {}).items():
        cmd += ["--set", f"{k}={json.dumps(v, default=str)}"]
    if phases:
        cmd += ["--phases", *[str(p) for p in phases]]
    if timeout:
        cmd += ["--timeout", str(int(timeout))]
    env = dict(os.environ)
    env.pop("DBMKIT_CONFIG", None)
    env.pop("DBMKIT_KPI_FILE", None)
    shared = env.pop("DBMKIT_WORKDIR", None)
    root = workdir_root or shared
    if root:
        cmd += ["--workdir", str(Path(root) / cfg.client)]
    cmd += list(extra_args or [])
    log = out / "batch.log"
    with open(log, "w", encoding="utf-8") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=str(Path.cwd()))
    status = out / "status.json"
    st = json.loads(status.read_text(encoding="utf-8")) if status.exists() else None
    fresh = st is not None and status.stat().st_mtime >= t0 - 1
    if fresh:
        chs = st.get("chapters", [])
        row["chapters_ok"] = sum(c["status"] == "ok" for c in chs)
        row["chapters_failed"] = sum(c["status"] == "failed" for c in chs)
        row["chapters_skipped"] = sum(c["status"] == "skipped" for c in chs)
        row["report"] = str(out / "index.html")
        failed = [c["message"] for c in chs if c["status"] == "failed"]
        row["status"] = "ok" if proc.returncode == 0 and not failed else "failed"
        row["message"] = _one_line("; ".join(failed))
        kp = out / "kpis.json"
        kpis = json.loads(kp.read_text(encoding="utf-8")) if kp.exists() else {}
        for k in BATCH_KPIS:
            row[k] = kpis.get(k)
    else:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        errs = [ln.removeprefix("[dbmkit] error: ").removeprefix("[dbmkit] 错误：") for ln in text
                if "error" in ln.lower() or ln.startswith("[dbmkit] 错误：")] or text[-3:]
        row["message"] = _one_line(" ".join(errs[-3:]) or messages.msg("batch.exit_code", lang, code=proc.returncode))
        row["status"] = "error"


def run_batch(configs: list, out: str | os.PathLike | None = None, phases: list[str] | None = None,
              jobs: int = 1, timeout: int | None = None, workdir_root: str | os.PathLike | None = None,
              extra_args: list[str] | None = None, overrides: dict | None = None,
              lang: str | None = None) -> pd.DataFrame:
    """Run the report of several clients, each in its own process; return the summary table.

    A client that fails (bad config, unreadable data, a failing chapter, even a crashed process) is reported in
    the summary and never stops the others. ``out`` is the folder for all reports (``reports/batch-<time>``),
    one sub-folder per client (its report, and the run's output in ``batch.log``), with ``batch_summary.csv``,
    ``batch.log`` (a line per client and the summary table) and ``index.html`` beside them. ``jobs`` runs that many
    clients at once.

    ``overrides`` ({"campaign.budget": 500}, ``dbmkit batch --set``) apply to every client; a client whose config
    refuses them is an error row.

    ``lang``: the language of ``batch.log`` and ``index.html`` (default :func:`batch_language`: Chinese when
    every config says ``language: zh``).

    Columns: client, config, status (ok / failed / error), chapters_ok, chapters_failed, chapters_skipped,
    seconds, message (one line), report, and the key numbers in ``BATCH_KPIS``; ``df.attrs["out"]`` is the folder.
    """
    lang = lang or batch_language(configs)
    paths = [Path(c).resolve() for c in configs]
    if not paths:
        raise ValueError("give at least one client config, e.g. dbmkit batch clients/a.yaml clients/b.yaml")
    out_root = Path(out) if out else Path.cwd() / "reports" / f"batch-{dt.datetime.now():%Y%m%d-%H%M%S}"
    out_root = writable_dir(out_root, "the batch folder", "give --out a folder you can write to")
    # the same client name twice would write into one folder: run those one after the other
    args = [(p, out_root, phases, timeout, Path(workdir_root).resolve() if workdir_root else None, extra_args,
             overrides) for p in paths]
    if jobs <= 1:
        rows = [_run_one(*a) for a in args]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            rows = list(ex.map(lambda a: _run_one(*a), args))
    df = pd.DataFrame(rows)
    for k in BATCH_KPIS:
        if k not in df.columns:
            df[k] = None
    df = df[["client", "status", "chapters_ok", "chapters_failed", "chapters_skipped", "seconds", *BATCH_KPIS,
             "message", "config", "report"]]
    df.to_csv(out_root / "batch_summary.csv", index=False)
    stamp = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}"
    (out_root / "batch.log").write_text(
        "".join(f"{stamp}  " + messages.msg("batch.log_line", lang, client=r["client"], seconds=r["seconds"],
                                            status=_status(r["status"], lang))
                + (f" — {r['message']}" if r.get("message") else "") + (f" — {r['report']}" if r.get("report") else "")
                + "\n" for r in df.to_dict("records"))
        + "\n" + format_batch_table(df, lang) + "\n", encoding="utf-8")
    (out_root / "index.html").write_text(batch_summary_html(df, out_root, lang), encoding="utf-8")
    df.attrs["out"] = str(out_root)
    return df


def batch_summary_html(df: pd.DataFrame, out_root: Path, lang: str = "en") -> str:
    """The batch summary as an HTML page (one row per client, links to each report), its words in ``lang``."""
    zh = lang == "zh"
    head = messages.msg("batch.html_heads", lang).split("|")
    head = head[:-1] + [KPI_INFO[k][1 if zh else 0] if k in KPI_INFO else k for k in BATCH_KPIS] + head[-1:]
    rows = []
    for r in df.to_dict("records"):
        link = _html.escape(str(r["client"]))
        if r.get("report"):
            rel = os.path.relpath(r["report"], out_root)
            link = f'<a href="{_html.escape(rel)}">{link}</a>'
        kp = []
        for k in BATCH_KPIS:
            v = r.get(k)
            kp.append("–" if v is None or (isinstance(v, float) and np.isnan(v)) else format_kpi(k, v, lang, "")[1])
        cls = {"ok": "ok", "failed": "failed", "error": "failed"}.get(r["status"], "")
        rows.append(f"<tr><td>{link}</td><td class=\"{cls}\">{_html.escape(_status(r['status'], lang))}</td>"
                    f"<td>{r['chapters_ok']} / {r['chapters_failed']} / {r['chapters_skipped']}</td>"
                    f"<td>{messages.msg('batch.seconds', lang, seconds=r['seconds'])}</td>"
                    + "".join(f"<td>{x}</td>" for x in kp) +
                    f"<td class=\"msg\">{_html.escape(str(r['message'] or ''))}</td></tr>")
    n_ok = int((df["status"] == "ok").sum())
    return (f'<!doctype html><html lang="{"zh-CN" if zh else "en"}"><head><meta charset="utf-8"><title>'
            f'{messages.msg("batch.html_title", lang)}</title>'
            f"<style>{REPORT_CSS}</style></head><body><header><h1>{messages.msg('batch.html_h1', lang)}</h1><p>"
            f"{messages.msg('batch.ok', lang, ok=n_ok, n=len(df))} · "
            f"{dt.datetime.now():%Y-%m-%d %H:%M}</p></header><main><table><tr>"
            + "".join(f"<th>{_html.escape(h)}</th>" for h in head) + "</tr>" + "".join(rows) +
            "</table></main></body></html>")


def _status(status: str, lang: str) -> str:
    """A row's status (ok / failed / error) in ``lang``."""
    key = f"batch.status_{status}"
    return messages.msg(key, lang) if key in messages.MESSAGES else status


def batch_language(configs) -> str:
    """The language of a batch's lines and pages: Chinese when every config given says ``language: zh``, else
    :func:`dbmkit.messages.language` (``DBMKIT_LANGUAGE``)."""
    langs = {messages.config_language(c) for c in configs}
    return "zh" if langs == {"zh"} else messages.language()


def format_batch_table(df: pd.DataFrame, lang: str = "en") -> str:
    """The batch summary as plain text for the terminal (headings and statuses in ``lang``)."""
    show = df[["client", "status", "chapters_ok", "chapters_failed", "chapters_skipped", "seconds",
               "persons", "customers_active", "top20_revenue_share", "message"]].copy()
    show["message"] = show["message"].fillna("").astype(str).str.slice(0, 160)
    for c in ("persons", "customers_active", "top20_revenue_share"):
        show[c] = pd.to_numeric(show[c], errors="coerce")
    show["top20_revenue_share"] = (100 * show["top20_revenue_share"]).round(1)
    heads = messages.msg("batch.columns", lang).split("|")
    show["status"] = [_status(x, lang) for x in show["status"]]
    show.columns = heads
    last = heads[-1]
    width = max([len(last), *show[last].str.len()])         # the reasons read left-aligned
    show[last] = show[last].str.ljust(width)
    show = show.rename(columns={last: last.ljust(width)})
    return show.to_string(index=False, na_rep="–")
