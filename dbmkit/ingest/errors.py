"""What every step of ingest shares: :class:`IngestError` (a source that cannot be read, with the file, column,
row and fix), the :class:`LoadResult` of one source (rows read = loaded + quarantined), the limits and NULL-like
words, and quoting names and text for DuckDB SQL.

>>> print(quote_name("group"), quote_text("O'Brien"))
"group" 'O''Brien'
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..config import DateWindow

NULL_LIKE = ["", "null", "n/a", "na", "-", "--", "none", "nan", "#n/a", "nil", "(null)", "undefined", "无", "空"]
SUPPORTED_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".dat": "csv", ".gz": "csv", ".bz2": "csv",
                      ".zip": "csv", ".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet"}
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat")
DELIMITERS = [",", ";", "\t", "|"]
MAX_ID_LEN = 120        # longer ids are export errors (a swallowed line, a note pasted into the id column)
MAX_TEXT_LEN = 2000     # longer texts in one field are not names, addresses or product names


class IngestError(ValueError):
    """A source that cannot be read. Carries the file, column and row when known, and the fix."""

    __module__ = "dbmkit.ingest"     # raised and caught as dbmkit.ingest.IngestError (the name in tracebacks)

    def __init__(self, message: str, *, file: str | None = None, column: str | None = None, row: int | None = None,
                 fix: str | None = None):
        self.file, self.column, self.row, self.fix = file, column, row, fix
        parts = []
        if file:
            parts.append(f"{file}")
        if column:
            parts.append(f"column '{column}'")
        if row is not None:
            parts.append(f"row {row}")
        where = (", ".join(parts) + ": ") if parts else ""
        super().__init__(where + message + (f"\n  Fix: {fix}" if fix else ""))


# the tables whose timestamps are transactions, kept to the plausible dates (consents keep their own dating rules)
WINDOW_TABLES = ("orders", "sales_lines", "contacts", "responses", "email_events", "sms_events")


@dataclass(frozen=True)
class Limits:
    """The plausible values ingest accepts (``data.max_amount``, ``data.max_quantity``, ``data.dates``); rows
    beyond them are quarantined with the reason.

    >>> Limits(latest=dt.date(2025, 6, 30)).window()
    (datetime.date(1990, 1, 1), datetime.date(2025, 6, 30))
    """
    max_amount: float = 1e9
    max_quantity: float = 1e6
    earliest: dt.date = dt.date(1990, 1, 1)
    latest: dt.date | None = None            # default: a year after today

    @classmethod
    def of(cls, cfg) -> Limits:
        """The limits a client's config sets (the last plausible day a year after its analysis date)."""
        lo, hi = cfg.data.dates.bounds(cfg.analysis_date)
        return cls(max_amount=cfg.data.max_amount, max_quantity=cfg.data.max_quantity, earliest=lo, latest=hi)

    def window(self) -> tuple[dt.date, dt.date]:
        """The first and last plausible day (by default the last a year after today)."""
        return DateWindow(earliest=self.earliest, latest=self.latest).bounds(None)


@dataclass
class LoadResult:
    """What happened to one source: rows read = rows loaded + rows quarantined, and how the file was read."""
    table: str
    source: str
    source_system: str | None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    header_row: int | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # how values were read (a decimal comma detected …)

    def as_row(self) -> dict:
        """The source's row of ``load_log`` (its ``warnings`` column holds the warnings, then the notes, each
        note starting with "note: ")."""
        return dict(table_name=self.table, source=self.source, source_system=self.source_system,
                    rows_read=self.rows_read, rows_loaded=self.rows_loaded, rows_quarantined=self.rows_quarantined,
                    encoding=self.encoding, delimiter=self.delimiter,
                    warnings="; ".join(self.warnings + ["note: " + n for n in self.notes]))


# ------------------------------------------------------------------------------------------------ reading files
def quote_name(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def quote_text(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"
