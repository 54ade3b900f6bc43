"""What a report run returns: one :class:`ChapterRun` per chapter, gathered in a :class:`ReportResult`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ChapterRun", "ReportResult"]


@dataclass
class ChapterRun:
    file: str
    title: str
    status: str = "pending"        # ok | failed | skipped
    seconds: float = 0.0
    message: str = ""
    cell: int | None = None
    masked: int = 0                # contact details masked on the page (a chapter showed raw e-mails/phones)
    missing: list = field(default_factory=list)   # keys of chapters.NEEDS the client's data does not meet
    kind: str = "standard"         # standard | overridden (the client's copy ran) | added (a client's own chapter)
    notebook: str = ""             # the notebook that ran (the client's folder for overridden and added chapters)


@dataclass
class ReportResult:
    out: Path
    client: str
    runs: list[ChapterRun] = field(default_factory=list)
    kpis: dict = field(default_factory=dict)
    seconds: float = 0.0
    overrides: dict = field(default_factory=dict)   # the --set settings of this run ({"campaign.budget": 500.0})
    chapters: dict = field(default_factory=dict)    # file → chapters.Chapter of the runs (a client's added ones too)

    @property
    def ok(self) -> bool:
        return all(r.status in ("ok", "skipped") for r in self.runs)

    @property
    def index(self) -> Path:
        return self.out / "index.html"
