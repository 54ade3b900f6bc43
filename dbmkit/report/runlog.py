"""The log of a report run (运行日志): what the run says as it goes — printed as the verbosity asks, and always
written with the time into ``report.log`` in the report folder, so a run started from a scheduler or a batch can be
read afterwards.

Verbosity: 0 (``dbmkit -q``) prints nothing but errors and the final summary; 1 (default) the database steps and a
progress bar over the chapters; 2 (``-v``) one line per chapter (status, seconds, the note of a skipped one) in place
of the bar. The log file gets every line at any verbosity.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

__all__ = ["RunLog"]


class RunLog:
    """``say(message, level)`` prints when ``verbosity >= level`` and always appends to the log file."""

    def __init__(self, path: str | Path | None, verbosity: int = 1):
        self.path = Path(path) if path else None
        self.verbosity = int(verbosity)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("", encoding="utf-8")

    def say(self, message: str, level: int = 1) -> None:
        if self.path is not None:
            stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            with open(self.path, "a", encoding="utf-8") as f:
                for line in str(message).splitlines() or [""]:
                    f.write(f"{stamp}  {line}\n")
        if self.verbosity >= level:
            print(f"[dbmkit] {message}", flush=True)
