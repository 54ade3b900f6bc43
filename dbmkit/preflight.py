"""Checks made before a command writes anything: the folders it writes can be written, and no other build runs on
the same work folder. Each failure is a :class:`PreflightError` of one line naming the folder and the fix (the
``dbmkit`` command prints it instead of a traceback from deep inside DuckDB or papermill).

* :func:`writable_dir` creates the folder when needed and writes (and removes) a probe file in it: a read-only
  file system, a folder without write permission, a path under a file are all caught here, also as root.
* :func:`workdir_lock` holds ``<workdir>/.dbmkit.lock`` (an ``flock`` lock, with the holder's pid and start time in
  the file) while a build or report runs. A second command on the same work folder says who holds it, and waits up
  to ``wait`` seconds; the lock of a process that died is released by the system and taken over.

Example
-------
>>> import tempfile
>>> d = Path(tempfile.mkdtemp())
>>> with workdir_lock(d, command="doc"):
...     holder = lock_holder(d)
>>> holder["pid"] == os.getpid(), lock_holder(d)
(True, None)
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import tempfile
import time
from pathlib import Path

__all__ = ["PreflightError", "WorkdirBusy", "writable_dir", "workdir_lock", "lock_holder", "LOCK_NAME"]

LOCK_NAME = ".dbmkit.lock"

try:
    import fcntl
except ImportError:                         # pragma: no cover - Windows: the pid in the file decides
    fcntl = None


class PreflightError(RuntimeError):
    """A folder the command needs cannot be used; str() is one line with the fix."""


class WorkdirBusy(PreflightError):
    """Another build or report holds the work folder."""


def writable_dir(path: str | os.PathLike, what: str, fix: str) -> Path:
    """Create ``path`` if needed and check that files can be written into it; return it resolved.

    ``what`` names the folder in the message ("the report folder"), ``fix`` says what to do instead ("give --out a
    folder you can write to").

    >>> writable_dir(tempfile.mkdtemp(), "the report folder", "give --out another folder").is_dir()
    True
    """
    p = Path(path).expanduser().resolve()
    blocker = next((q for q in [p, *p.parents] if q.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise PreflightError(f"cannot write {what} {p}: {blocker} is a file, not a folder; {fix}")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".dbmkit-write-test-", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise PreflightError(f"cannot write {what} {p} ({e.strerror or type(e).__name__}); {fix}") from None
    return p


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:               # it exists, under another user
        return True
    except OSError:
        return False
    return True


def _read(path: Path) -> dict:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


def _try_flock(fd: int) -> bool | None:
    """True: locked; False: another process holds it; None: this file system has no flock."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return None


def lock_holder(workdir: str | os.PathLike) -> dict | None:
    """Who holds the work folder's lock ({"pid", "since", "host", "command"}), or None when nobody does."""
    path = Path(workdir) / LOCK_NAME
    if not path.exists():
        return None
    info = _read(path)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return info or None
    try:
        got = _try_flock(fd)
        if got:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        if got is None:
            pid = info.get("pid")
            return info if isinstance(pid, int) and _alive(pid) and info.get("host") == socket.gethostname() else None
        return info
    finally:
        os.close(fd)


def _busy_message(workdir: Path, info: dict, waited: float) -> str:
    pid = info.get("pid", "?")
    since = info.get("since", "?")
    what = f" ({info['command']})" if info.get("command") else ""
    host = f" on {info['host']}" if info.get("host") and info.get("host") != socket.gethostname() else ""
    waited_txt = f"; waited {waited:.0f} s" if waited >= 1 else ""
    return (f"another build is running on this workdir {workdir} (pid {pid}{host}, since {since}){what}{waited_txt}; "
            "wait for it to finish, pass --wait SECONDS to wait for it, or use --workdir elsewhere")


@contextlib.contextmanager
def workdir_lock(workdir: str | os.PathLike, wait: float = 0, command: str = "", poll: float = 0.5):
    """Hold the work folder's lock for the ``with`` block; wait up to ``wait`` seconds for another holder, then
    raise :class:`WorkdirBusy` naming it (pid and start time). A lock left by a process that died is taken over."""
    workdir = Path(workdir).resolve()
    path = workdir / LOCK_NAME
    t0 = time.monotonic()
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        got = _try_flock(fd)
        if got is None:                           # no flock: the pid in the file decides
            info = _read(path)
            pid = info.get("pid")
            got = not (isinstance(pid, int) and pid != os.getpid() and _alive(pid)
                       and info.get("host", socket.gethostname()) == socket.gethostname())
        if got:
            break
        os.close(fd)
        waited = time.monotonic() - t0
        if waited >= wait:
            raise WorkdirBusy(_busy_message(workdir, _read(path), waited))
        time.sleep(min(poll, max(wait - waited, 0.01)))
    try:
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": dt.datetime.now().isoformat(sep=" ", timespec="seconds"), "command": command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        yield info
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
