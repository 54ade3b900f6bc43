"""Run one benchmark step as a child process and measure it as a whole: wall time, CPU time and peak memory.

Peak memory is taken two ways:

* ``peak_rss_mb`` — the largest *sum* of resident memory over the child and all its descendants (sampled every
  50 ms with psutil). This is what the machine has to hold, e.g. the report process plus the notebook kernel it is
  running at that moment.
* ``max_rss_single_mb`` — the kernel's exact high-water mark of the largest single process in the tree
  (``ru_maxrss`` from ``wait4``), which catches spikes shorter than the sampling interval.

The child writes its own inner timings (seconds spent inside the measured call, without interpreter start-up and
imports) as JSON into the file named by ``BENCH_RESULT``; they are returned under ``inner``.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

__all__ = ["run_measured", "machine_info", "tree_rss", "tree_cpu", "PeakMemory"]


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of ``proc`` and all its descendants now (a JVM started by a Python process included)."""
    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def tree_cpu(proc: psutil.Process) -> float:
    """CPU seconds (user + system) used so far by ``proc`` and its living descendants (e.g. the JVM of a Spark
    session, whose time ``wait4`` never reports: it is not a child the benchmark waits for)."""
    total = 0.0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


class PeakMemory:
    """The peak resident memory of this process's tree while a block runs, sampled every ``interval`` seconds by a
    thread (for the parts of one child process, e.g. one query of several)::

        with PeakMemory() as m:
            work()
        m.peak_mb, m.start_mb
    """

    def __init__(self, interval: float = 0.05):
        import threading
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._proc = psutil.Process()
        self.start_mb = self.peak_mb = 0.0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_mb = max(self.peak_mb, tree_rss(self._proc) / 2**20)
            self._stop.wait(self.interval)

    def __enter__(self) -> "PeakMemory":
        self.start_mb = self.peak_mb = tree_rss(self._proc) / 2**20
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = round(max(self.peak_mb, tree_rss(self._proc) / 2**20), 1)
        self.start_mb = round(self.start_mb, 1)


def run_measured(cmd: list[str], log: Path, timeout: float | None = None, env: dict | None = None,
                 cwd: str | None = None, interval: float = 0.05) -> dict:
    """Run ``cmd`` and return wall_s, cpu_s, peak_rss_mb, max_rss_single_mb, load_mean, returncode, inner, timed_out.

    ``load_mean`` is the mean 1-minute load average sampled once a second while the step ran: on 2 cores a value
    well above ~1.5 means other work shared the machine and the wall time is pessimistic."""
    log.parent.mkdir(parents=True, exist_ok=True)
    fd, result_path = tempfile.mkstemp(prefix="bench_", suffix=".json")
    os.close(fd)
    e = dict(os.environ)
    e.update(env or {})
    e["BENCH_RESULT"] = result_path
    with open(log, "w", encoding="utf-8") as out:
        t0 = time.perf_counter()
        popen = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=e, cwd=cwd)
        proc = psutil.Process(popen.pid)
        peak = 0
        timed_out = False
        rusage = None
        status = 0
        loads, next_load = [], t0
        while True:
            pid, status, rusage = os.wait4(popen.pid, os.WNOHANG)
            if pid == popen.pid:
                break
            peak = max(peak, tree_rss(proc))
            if time.perf_counter() >= next_load:          # the machine's load while the step runs, once a second
                loads.append(os.getloadavg()[0])
                next_load += 1.0
            if timeout and time.perf_counter() - t0 > timeout:
                timed_out = True
                for p in [proc] + proc.children(recursive=True):
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
                _, status, rusage = os.wait4(popen.pid, 0)
                break
            time.sleep(interval)
        wall = time.perf_counter() - t0
        popen.returncode = os.waitstatus_to_exitcode(status)
    try:
        inner = json.loads(Path(result_path).read_text() or "{}")
    except (OSError, json.JSONDecodeError):
        inner = {}
    finally:
        Path(result_path).unlink(missing_ok=True)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(rusage.ru_utime + rusage.ru_stime, 2) if rusage else None,
        "peak_rss_mb": round(peak / 2**20, 1),
        "max_rss_single_mb": round(rusage.ru_maxrss / 1024, 1) if rusage else None,
        "load_mean": round(sum(loads) / len(loads), 2) if loads else None,
        "returncode": popen.returncode,
        "timed_out": timed_out,
        "inner": inner,
        "log": str(log),
    }


def machine_info() -> dict:
    """Cores, memory, CPU model, load and library versions of the machine the benchmarks ran on."""
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for mod in ("pandas", "numpy", "duckdb", "pyarrow", "scipy", "lifetimes"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - a missing optional package is recorded as absent
            versions[mod] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parent).stdout.strip()
    except OSError:
        commit = ""
    return {
        "cores": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "versions": versions,
        "commit": commit,
    }
