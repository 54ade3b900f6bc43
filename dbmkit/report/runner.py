"""The report runner: :func:`run_report` executes the workbook's chapters for one client with papermill and writes
the report folder.

Parameters of every chapter: the config path and ``overrides``, the ``--set`` settings as one dict
({"campaign.budget": 500.0}) that the chapter's setup cell passes to ``dbm.workspace(config, overrides=overrides)``.
The folder gets one HTML page per chapter (no code cells, figures embedded), the executed notebooks, ``kpis.json``,
``status.json`` and ``index.html``. The chapters are the standard ones with the client's own (docs/CONFIG.md, Adapting
the workbook for a client; :mod:`dbmkit.client_chapters`): an overridden chapter runs the client's copy, an added one
runs in its place by number; ``status.json`` gives each chapter's ``kind`` and notebook. A chapter whose inputs are
missing gets a page saying what is missing; a failing chapter is named with its cell and error, and the report still
shows everything that ran.
"""
from __future__ import annotations

import contextlib
import html
import json
import os
import sys
import time
from pathlib import Path

from .. import chapters as _chapters
from .. import client_chapters, workbook
from ..client_workspace import DERIVED, Workspace
from ..config import ConfigError, load_config, to_yaml
from ..i18n import date_text, t
from ..messages import msg, translate
from ..overrides import effective_overrides
from ..preflight import PreflightError, workdir_lock, writable_dir
from . import schedule
from .glossary import glossary_page
from .index import data_summary, index_html
from .pages import export_html, skipped_page_html
from .result import ChapterRun, ReportResult
from .runlog import RunLog

__all__ = ["run_report", "repo_root", "notebooks_dir"]


def repo_root() -> Path:
    """The workbook folder in use (:func:`dbmkit.workbook.root`: ``DBMKIT_WORKBOOK``, the folder you work in, the
    source checkout, or the copy inside the installed package)."""
    return workbook.root()


def notebooks_dir(language: str | None = None) -> Path:
    """The standard chapters: ``DBMKIT_NOTEBOOKS`` or the workbook's ``notebooks/``, ``notebooks_zh/`` for a Chinese
    client (a client's own chapters: :mod:`dbmkit.client_chapters`)."""
    return client_chapters.standard_dir(language)


@contextlib.contextmanager
def _stderr_to(path: Path):
    """Send this process's and its children's standard error (file descriptor 2) to ``path`` for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as f:
        os.dup2(f.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _failed_cell(executed: Path) -> tuple[int | None, str]:
    """Position (1-based, as in the chapter's own notebook) and first code line of the cell that raised."""
    import nbformat
    try:
        nb = nbformat.read(str(executed), as_version=4)
    except Exception:  # noqa: BLE001
        return None, ""
    k = 0
    for c in nb.cells:
        tags = c.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or any(t_.startswith("papermill-error") for t_ in tags):
            continue
        k += 1
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])):
            lines = [ln for ln in c.source.splitlines() if ln.strip() and not ln.strip().startswith("#")]
            return k, (lines[0][:60] if lines else "")
    return None, ""


def _neighbours_in(chs: list, ch):
    """Previous and next chapter of this report run (chapters without a notebook have no page to link to);
    ``chs`` and ``ch`` are :class:`~dbmkit.client_chapters.ChapterSource`."""
    seq = [c for c in chs if c.path.exists() or c.file == ch.file]
    i = seq.index(ch)
    return (seq[i - 1] if i > 0 else None, seq[i + 1] if i + 1 < len(seq) else None)


def _badge(kind: str, lang: str) -> str:
    """The mark of a client's chapter on its page and the index ('' for a standard chapter)."""
    if kind == "standard":
        return ""
    return (f'<span class="dbm-kind {kind}" data-kind="{kind}" style="margin-left:12px;padding:1px 8px;'
            f'border-radius:9px;background:#fff3cd;color:#5c4400;font-size:12px">{html.escape(t("kind_" + kind, lang))}'
            "</span>")


# the settings the analysis tables of client_workspace.DERIVED are computed with (customer_summary needs only the
# data and the analysis date, which rebuild the database when they change)
DERIVED_SETTINGS = ("analysis", "economics", "campaign", "evaluate", "seed")


def derived_follow_settings(ws) -> list[str]:
    """Drop the stored analysis tables (rfm, clv, segments, scores, the plan …) when the settings they were computed
    with differ from the config's now (``--set analysis.rfm.bins=4``, an edited YAML), so that no chapter reads a
    table made with other settings; they are computed again on demand. Returns the tables dropped."""
    import hashlib
    key = hashlib.sha256(json.dumps(ws.cfg.model_dump(mode="json", include=set(DERIVED_SETTINGS)),
                                    sort_keys=True).encode("utf-8")).hexdigest()[:16]
    derived = [n for n in DERIVED if n != "customer_summary"]
    with ws.connect(read_only=False) as con:
        got = con.execute("SELECT value FROM _meta WHERE key = 'derived_settings'").fetchall()
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        dropped = [n for n in derived if n in tables] if (got[0][0] if got else None) != key else []
        for n in dropped:
            con.execute(f'DROP TABLE IF EXISTS "{n}"')
        con.execute("INSERT OR REPLACE INTO _meta VALUES ('derived_settings', ?)", [key])
    return dropped


def _chapter_line(run: ChapterRun, lang: str = "en") -> str:
    """One chapter's line of the run log: ``21_analyze_rfm: ok in 12.3 s`` (a skipped one with its reason;
    ``21_analyze_rfm：已运行，用时 12.3 秒`` in Chinese)."""
    status = run.status if lang != "zh" else msg("status." + run.status, lang) if run.status in (
        "ok", "failed", "skipped") else run.status
    text = (msg("report.chapter_ok", lang, file=run.file, status=status, seconds=run.seconds) if run.status == "ok"
            else msg("report.chapter_line", lang, file=run.file, status=status))
    return text + (msg("report.chapter_why", lang, message=run.message) if run.message and run.status != "ok" else "")


# at most this many chapters at a time by default (a chapter's kernel needs ~0.5–1 GB at the demo's size, more
# for a large client: give --jobs 1 when memory is short)
DEFAULT_MAX_JOBS = 4


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):          # not on Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None = None, cfg=None) -> int:
    """How many chapters run at a time: ``jobs`` (``--jobs``), else the config's ``report.jobs``, else the cores
    this process may use, at most :data:`DEFAULT_MAX_JOBS`.

    >>> resolve_jobs(1), resolve_jobs(3), resolve_jobs(None) >= 1
    (1, 3, True)
    """
    n = jobs if jobs is not None else (cfg.report.jobs if cfg is not None else None)
    if n is None:
        n = min(_cores(), DEFAULT_MAX_JOBS)
    return max(1, int(n))


def _kpi_part(out: Path, file: str) -> Path:
    """The key numbers one chapter records (merged into ``kpis.json`` in reading order after the run)."""
    return out / "notebooks" / f"{file}.kpis.json"


def _merge_kpis(out: Path, files: list[str]) -> None:
    """``kpis.json`` from the chapters' own key-number files, in reading order — a number two chapters record has
    the later chapter's value, as when every chapter wrote into one file one after another."""
    data, any_part = {}, False
    for f in files:
        part = _kpi_part(out, f)
        if part.exists():
            any_part = True
            if part.stat().st_size:
                data.update(json.loads(part.read_text(encoding="utf-8")))
            part.unlink()
    if any_part:
        (out / "kpis.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def _execute_chapter(task: dict) -> dict:
    """Run one chapter with papermill and write its page; the worker of :func:`_run_tasks` (in this process for
    one job at a time, in a worker process otherwise). Returns status, message, failed cell, seconds and masked
    contact details — never raises."""
    import papermill as pm
    got = {"status": "failed", "message": "", "cell": None, "seconds": 0.0, "masked": 0}
    file, src, dst = task["file"], Path(task["src"]), Path(task["dst"])
    saved = {k: os.environ.get(k) for k in ("DBMKIT_KPI_FILE", "DBMKIT_CHAPTER_KIND")}
    os.environ["DBMKIT_KPI_FILE"] = task["kpi_file"]      # the chapter's own key numbers (see _merge_kpis)
    os.environ["DBMKIT_CHAPTER_KIND"] = task["kind"]      # the chapter's provenance cell records it
    Path(task["kpi_file"]).unlink(missing_ok=True)
    nb = None
    s = time.time()
    try:
        with _stderr_to(Path(task["kernels_log"])):      # kernel chatter goes to a log, not the terminal
            nb = pm.execute_notebook(str(src), str(dst), parameters=task["params"], cwd=str(src.parent),
                                     kernel_name="python3", language="python", execution_timeout=task["timeout"],
                                     progress_bar=False, log_output=False, request_save_on_cell_execute=False)
        got["status"] = "ok"
    except pm.PapermillExecutionError as e:
        got["cell"], first_line = _failed_cell(dst)
        where = f"cell {got['cell']} ({first_line!r})" if got["cell"] else f"cell {e.exec_count}"
        got["message"] = f"{file}.ipynb, {where}: {e.ename}: {e.evalue}"
    except Exception as e:  # noqa: BLE001 - kernel died, timeout …: report it and go on
        got["message"] = f"{file}.ipynb: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    got["seconds"] = time.time() - s
    if nb is not None or dst.exists():
        try:                                             # the executed notebook as papermill returns it, not re-read
            got["masked"] = export_html(nb if nb is not None else dst, Path(task["html"]), task["title"],
                                        nav=task["nav"], language=task["language"], subtitle=task["subtitle"],
                                        currency=task["currency"])["masked"]
        except Exception as e:  # noqa: BLE001
            got["message"] += f" (HTML export failed: {e})"
    return got


def _run_tasks(tasks: list, jobs: int, finished, log: RunLog, bar) -> None:
    """Run the chapters ``tasks`` ((position, ChapterSource, task) in reading order), ``jobs`` at a time in worker
    processes as :mod:`dbmkit.report.schedule` allows (one after another in this process for ``jobs`` 1); call
    ``finished(position, result)`` as each one ends."""
    if jobs <= 1:
        for k, _, task in tasks:
            bar.set_postfix_str(task["file"])
            finished(k, _execute_chapter(task))
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    chapters = [(source.chapter.number, source.kind) for _, source, _ in tasks]
    deps = schedule.dependencies(chapters)
    done: set[int] = set()
    running: dict = {}
    # spawned workers (not forked): a fresh interpreter each, as the kernels they start expect
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        while len(done) < len(tasks):
            while len(running) < jobs:
                j = schedule.next_chapter(chapters, deps, done, set(running.values()))
                if j is None:
                    break
                waited = ", ".join(tasks[i][2]["file"] for i in sorted(deps[j]))
                log.say(f"  start {tasks[j][2]['file']}" + (f" (after {waited})" if waited else ""), level=3)
                running[pool.submit(_execute_chapter, tasks[j][2])] = j
            bar.set_postfix_str(" ".join(tasks[j][2]["file"] for j in sorted(running.values())))
            ready, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in ready:
                j = running.pop(fut)
                try:
                    got = fut.result()
                except Exception as e:  # noqa: BLE001 - a worker process died: the chapter failed, the rest go on
                    got = {"status": "failed", "cell": None, "seconds": 0.0, "masked": 0,
                           "message": f"{tasks[j][2]['file']}.ipynb: {type(e).__name__}: {e}"}
                done.add(j)
                finished(tasks[j][0], got)


def _say_done(log: RunLog, run: ChapterRun, lang: str) -> None:
    if run.status == "failed" and run.notebook and Path(run.notebook).exists():
        log.say(("\n" if log.verbosity == 1 else "") + msg("report.chapter_failed", lang, message=run.message))
    else:
        log.say(_chapter_line(run, lang), level=2)


def run_report(config, out: str | Path | None = None, workdir: str | Path | None = None,
               phases: list[str] | None = None, timeout: int | None = None, overrides: dict | None = None,
               progress: bool | int = True, include_cases: bool = False, wait: float = 0,
               jobs: int | None = None) -> ReportResult:
    """Execute the workbook for one client and write the report folder. Returns a :class:`ReportResult`.

    ``progress`` is the verbosity of the run's messages (False/0 quiet, True/1 steps and a progress bar, 2 a line per
    chapter); every message also goes with its time to ``report.log`` in the report folder (:class:`RunLog`).

    ``overrides`` ({"campaign.budget": 500}, ``dbmkit report --set``) are validated with the config before anything
    runs (:class:`~dbmkit.config.OverrideError`), applied to the database build and passed to every chapter (its
    ``overrides`` parameter); the index page and ``status.json`` list them. The report folder and the work folder
    must be writable (:class:`~dbmkit.preflight.PreflightError` otherwise), and the work folder is locked for the
    run: another build on it is waited for up to ``wait`` seconds (:class:`~dbmkit.preflight.WorkdirBusy`).

    ``jobs``: chapters run at a time (:func:`resolve_jobs`; ``--jobs``, ``report.jobs``), as far as the chapters'
    dependencies allow (:mod:`dbmkit.report.schedule`); the results are those of running them one after another.
    """
    t0 = time.time()
    cfg = load_config(config, overrides=overrides)
    applied = effective_overrides(cfg, overrides)
    out = writable_dir(Path(out) if out else cfg.report_path(), "the report folder",
                       "give --out a folder you can write to")
    wd = writable_dir(Path(workdir) if workdir else cfg.workdir_path(), "the work folder",
                      "give --workdir a folder you can write to (or set `workdir:` in the config)")
    db = wd / "marketing.duckdb"
    if db.exists() and not os.access(db, os.W_OK):
        raise PreflightError(f"cannot write the database {db} (read-only file); give --workdir a folder you can "
                             "write to, or make the file writable")
    with workdir_lock(wd, wait=wait, command=f"dbmkit report {cfg.client}"):
        res = _run(cfg, out, wd if workdir else None, phases, timeout, applied, progress, include_cases, jobs)
    res.seconds = time.time() - t0
    return res


def _run(cfg, out: Path, workdir, phases, timeout, overrides: dict, progress: bool | int, include_cases: bool,
         jobs: int | None = None):
    from tqdm.auto import tqdm

    t0 = time.time()
    log = RunLog(out / "report.log", int(progress))
    cfg_path = Path(cfg.source_path) if cfg.source_path else None
    (out / "notebooks").mkdir(exist_ok=True)
    for old in ("kpis.json", "campaign_list.csv"):
        if (out / old).exists():
            (out / old).unlink()
    saved_env = {k: os.environ.get(k) for k in ("DBMKIT_KPI_FILE", "DBMKIT_WORKDIR", "DBMKIT_REPORT_OUT",
                                                 "DBMKIT_CONFIG", "DBMKIT_LANGUAGE", "DBMKIT_CHAPTER_KIND",
                                                 "DBMKIT_DB_WAIT")}
    os.environ["DBMKIT_KPI_FILE"] = str(out / "kpis.json")
    os.environ["DBMKIT_REPORT_OUT"] = str(out)
    os.environ["DBMKIT_LANGUAGE"] = cfg.language
    # a chapter waits up to 10 minutes for a database another chapter has open for writing (several at a time)
    os.environ["DBMKIT_DB_WAIT"] = os.environ.get("DBMKIT_DB_WAIT") or "600"
    os.environ.pop("DBMKIT_CONFIG", None)
    if workdir:
        os.environ["DBMKIT_WORKDIR"] = str(Path(workdir).resolve())
    if cfg_path is None:   # a config given as a dict: write it where the kernels can read it
        cfg_path = out / f"{cfg.client}.yaml"
        cfg_path.write_text(to_yaml(cfg), encoding="utf-8")
    res = ReportResult(out=out, client=cfg.client, overrides=dict(overrides))
    lang = cfg.language
    try:
        sources = client_chapters.resolve(cfg)      # standard, overridden and added chapters in order
        try:
            chs = client_chapters.select(sources, phases or cfg.report.phases, include_cases=include_cases)
        except ValueError as e:
            raise ConfigError([("--phases" if phases else "report.phases", str(e))], source=cfg.source_path) from None
        if chs and not any(s.path.exists() for s in chs):   # a broken install: nothing to run is not a report
            raise PreflightError(f"no chapter notebook found (looked for {chs[0].path}); run from a workbook folder "
                                 "(`dbmkit init DIR` writes one), or set DBMKIT_WORKBOOK (or DBMKIT_NOTEBOOKS) to the "
                                 "folder that holds notebooks/")
        ws = Workspace(cfg)
        log.say(msg("report.preparing", lang, client=cfg.client, workdir=ws.workdir))
        ws.ensure_built(progress=lambda m: log.say(f"  {translate(m, lang)}"))
        dropped = derived_follow_settings(ws)
        if dropped:
            log.say(msg("report.dropped", lang, tables=", ".join(dropped)))
        for name in schedule.PREBUILT:      # the analysis tables every chapter reads, made once before any runs
            try:
                ws.ensure(name)
            except Exception:  # noqa: BLE001 - a chapter that needs it fails with the reason, as without this
                pass
        params = {"config": str(cfg_path), "overrides": dict(overrides) or None}   # each chapter's parameters
        if overrides:
            log.say(msg("report.set", lang, settings=", ".join(
                f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in overrides.items())))
        log.say(msg("report.chapters", lang, n=len(chs), files=" ".join(s.chapter.file for s in chs)), level=2)
        subtitle = (f"{cfg.title or cfg.client} · {t('analysis_date', lang)}："
                    f"{date_text(ws.as_of.date(), lang)}" if lang == "zh"
                    else f"{cfg.title or cfg.client} · {t('analysis_date', lang)}: {ws.as_of.date()}")
        for old in out.glob("*.html"):              # pages of an earlier run must not survive as stale links
            if old.stem in _chapters.BY_FILE or old.stem in {s.file for s in sources} or old.name == "index.html":
                old.unlink()
        # what each chapter needs, decided before any runs (a need is a base table: no chapter changes it)
        tasks, runs = [], []
        with ws.connect() as con:
            for source in chs:
                ch = source.chapter
                run = ChapterRun(ch.file, ch.title, kind=source.kind, notebook=str(source.path))
                runs.append(run)
                res.chapters[ch.file] = ch
                prev, nxt = _neighbours_in(chs, source)
                nav = " · ".join(x for x in (
                    f'<a style="color:white" href="{prev.file}.html">← {html.escape(t("previous", lang))}</a>'
                    if prev else "",
                    f'<a style="color:white" href="{nxt.file}.html">{html.escape(t("next", lang))} →</a>'
                    if nxt else "") if x) + _badge(source.kind, lang)
                dst = out / "notebooks" / f"{ch.file}.ipynb"
                if not source.path.exists():           # a standard chapter missing from the workbook: an error
                    run.status = "failed"
                    run.message = f"{ch.file}: " + msg("report.no_notebook", lang, name=str(source.path))
                    continue
                missing = _chapters.missing_inputs(ch, con)
                if missing:
                    run.status, run.missing = "skipped", [k for k, _ in missing]
                    run.message = msg("report.inputs_missing", lang) + msg("check.and", lang).join(
                        (n.what_zh if lang == "zh" else n.what) for _, n in missing)
                    (out / f"{ch.file}.html").write_text(skipped_page_html(ch, missing, lang, nav, cfg.client),
                                                          encoding="utf-8")
                    if dst.exists():
                        dst.unlink()
                    continue
                tasks.append((len(runs) - 1, source, {
                    "file": ch.file, "src": str(source.path), "dst": str(dst), "params": params,
                    "timeout": timeout or cfg.report.timeout_per_notebook, "kind": source.kind,
                    "kpi_file": str(_kpi_part(out, ch.file)), "html": str(out / f"{ch.file}.html"),
                    "title": f"{ch.number} · {ch.title_zh if lang == 'zh' else ch.title}", "nav": nav,
                    "language": lang, "subtitle": subtitle, "currency": ws.currency,
                    "kernels_log": str(out / "kernels.log")}))
        res.runs = runs
        jobs = min(resolve_jobs(jobs, cfg), max(len(tasks), 1))
        if jobs > 1:
            log.say(msg("report.jobs", lang, jobs=jobs), level=2)
        bar = tqdm(total=len(runs), desc=cfg.client, unit="chapter", disable=log.verbosity != 1, file=sys.stdout)
        for run in runs:                               # the chapters decided already: missing notebook or inputs
            if run.status != "pending":
                _say_done(log, run, lang)
                bar.update(1)

        def finished(k: int, got: dict) -> None:
            run = runs[k]
            run.status, run.message, run.cell = got["status"], got["message"], got["cell"]
            run.seconds, run.masked = got["seconds"], got["masked"]
            _say_done(log, run, lang)
            bar.update(1)

        _run_tasks(tasks, jobs, finished, log, bar)
        bar.close()
        _merge_kpis(out, [run.file for run in runs])
        kp = out / "kpis.json"
        res.kpis = json.loads(kp.read_text(encoding="utf-8")) if kp.exists() else {}
        kp.write_text(json.dumps(res.kpis, indent=1, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        as_of = str(ws.as_of.date())
        try:
            data = data_summary(ws)
        except Exception:  # noqa: BLE001 - the index must be written even if the summary query fails
            data = None
        (out / "index.html").write_text(index_html(res, cfg, as_of, lang, ws.currency, data), encoding="utf-8")
        # the chapters' glossary links (../docs/GLOSSARY.md in the notebooks) point at this page beside them
        (out / "glossary.html").write_text(glossary_page(repo_root() / "docs" / "GLOSSARY.md", lang), encoding="utf-8")
        (out / "status.json").write_text(json.dumps(
            {"client": cfg.client, "ok": res.ok, "seconds": round(time.time() - t0, 1), "overrides": res.overrides,
             "as_of": as_of, "language": lang, "currency": ws.currency,
             "client_notebooks": str(client_chapters.client_dir(cfg) or ""),
             "chapters": [r.__dict__ for r in res.runs]}, indent=1, ensure_ascii=False), encoding="utf-8")
        counts = {k: sum(r.status == k for r in res.runs) for k in ("ok", "skipped", "failed")}
        log.say(msg("report.written", lang, seconds=time.time() - t0, ok=counts["ok"], skipped=counts["skipped"],
                    failed=counts["failed"], index=out / "index.html"), level=2)
    finally:
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return res
