"""The demo report side by side: a reference commit (default: where this branch left main, ``git merge-base HEAD
main``) against the working tree, in the same run, on the same machine and the same Python environment.

The reference is checked out with ``git worktree add --detach`` into a temporary folder and run with its own code
first on the path (``PYTHONPATH``, ``DBMKIT_WORKBOOK`` = that folder, so its notebooks run too); the working tree
likewise. Each one runs ``dbmkit report clients/demo.yaml`` twice, measured as a whole by ``measure.py``:

* ``fresh`` — an empty work folder: generate the synthetic client, build the database, every chapter;
* ``built`` — the same work folder again: the database (and the analysis tables the first run left) are there.

The runs alternate (reference fresh, tree fresh, reference built, tree built) so that a change in the machine's
load hits both alike; the load is recorded for each run. Both must give the same ``kpis.json`` (byte for byte:
the key numbers to the digit), the same send file (``campaign_list.csv``) and the same set of pages.

``python benchmarks/run.py --side-by-side [--ref COMMIT] [--jobs N]``; the result goes to ``results.json`` under
``side_by_side`` and the table of ``RESULTS.md``.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import machine_info, run_measured

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

__all__ = ["side_by_side", "merge_base"]


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def merge_base(branch: str = "main") -> str:
    """The commit where this branch left ``branch`` (today's code, before this branch's changes)."""
    return _git("merge-base", "HEAD", branch)


def _same_file(a: Path, b: Path) -> bool | None:
    if not a.exists() and not b.exists():
        return None
    return a.exists() and b.exists() and a.read_bytes() == b.read_bytes()


def _pages(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.html"))


def _chapters(out: Path) -> dict:
    """Status and seconds of each chapter (status.json), and the seconds its cells ran (papermill's durations in
    the executed notebook): the difference is the kernel's start-up and papermill's own work."""
    import json
    p = out / "status.json"
    if not p.exists():
        return {}
    got = {}
    for c in json.loads(p.read_text(encoding="utf-8")).get("chapters", []):
        nb = out / "notebooks" / f"{c['file']}.ipynb"
        cells = None
        if nb.exists():
            try:
                cells = round(sum((x.get("metadata", {}).get("papermill", {}).get("duration") or 0)
                                  for x in json.loads(nb.read_text(encoding="utf-8"))["cells"]), 1)
            except (OSError, ValueError, KeyError):
                cells = None
        got[c["file"]] = {"status": c["status"], "seconds": round(c.get("seconds") or 0, 1), "cells_s": cells}
    return got


def side_by_side(ref: str | None = None, jobs: int | None = None, data: Path | None = None,
                 timeout: float = 3600, log=print) -> dict:
    """Run the demo report by the reference commit and by the working tree, fresh and built; return the
    measurements (``results.json``'s ``side_by_side``)."""
    ref = ref or merge_base()
    ref_short = _git("rev-parse", "--short", ref)
    data = data or HERE / "_data" / "side_by_side"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    tmp = Path(tempfile.mkdtemp(prefix="dbmkit_ref_"))
    ref_tree = tmp / "ref"
    _git("worktree", "add", "--detach", str(ref_tree), ref)
    trees = {"reference": ref_tree, "tree": ROOT}
    out: dict = {"started": dt.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(),
                 "reference": {"commit": ref_short, "what": "merge-base with main (today's code)"},
                 "tree": {"commit": _git("rev-parse", "--short", "HEAD"),
                          "dirty": bool(_git("status", "--porcelain", "--untracked-files=no"))},
                 "jobs": jobs, "runs": {}}
    try:
        for mode in ("fresh", "built"):
            for who in ("reference", "tree"):
                tree = trees[who]
                work, rep = data / who / "work", data / who / f"report_{mode}"
                cmd = [sys.executable, "-m", "dbmkit.cli", "report", str(tree / "clients" / "demo.yaml"),
                       "--out", str(rep), "--workdir", str(work), "-v"]
                if who == "tree" and jobs is not None:
                    cmd += ["--jobs", str(jobs)]
                env = {"PYTHONPATH": str(tree), "DBMKIT_WORKBOOK": str(tree), "MPLBACKEND": "Agg"}
                log(f"side by side: {who} ({out[who]['commit']}), {mode} work folder …")
                m = run_measured(cmd, data / who / f"{mode}.log", timeout=timeout, env=env, cwd=str(tree))
                m["chapters"] = _chapters(rep)
                out["runs"][f"{who}_{mode}"] = m
                log(f"side by side: {who} {mode}: {m['wall_s']:.1f} s wall, {m['cpu_s']} s CPU, peak "
                    f"{m['peak_rss_mb']:.0f} MB, mean load {m['load_mean']}, exit {m['returncode']}")
        checks = {}
        for mode in ("fresh", "built"):
            a, b = data / "reference" / f"report_{mode}", data / "tree" / f"report_{mode}"
            checks[mode] = {"kpis_identical": _same_file(a / "kpis.json", b / "kpis.json"),
                            "send_file_identical": _same_file(a / "campaign_list.csv", b / "campaign_list.csv"),
                            "same_pages": _pages(a) == _pages(b), "pages": len(_pages(b))}
        # and the tree's fresh and built runs agree with each other
        t = data / "tree"
        checks["tree_fresh_vs_built_kpis_identical"] = _same_file(t / "report_fresh" / "kpis.json",
                                                                  t / "report_built" / "kpis.json")
        out["checks"] = checks
        log(f"side by side: checks {checks}")
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(ref_tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    out["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    out["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    return out
