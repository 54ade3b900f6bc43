"""A sandbox (沙盒): a private copy of a workspace's database and privacy memory to try destructive things on —
erasure, retention — without touching the real database.

>>> import os, tempfile
>>> from dbmkit.client_workspace import workspace
>>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
>>> sb = Sandbox(ws)
>>> with sb.connect() as con:
...     con.execute("SELECT count(*) > 0 FROM customers").fetchall()
[(True,)]
>>> sb.close()
"""
from __future__ import annotations

import shutil
import tempfile
from contextlib import closing
from pathlib import Path

import pandas as pd

from .erasure import privacy_file
from .store import connect

__all__ = ["Sandbox"]


class Sandbox:
    """A private copy of a workspace's database (and privacy memory) to try destructive things on — erasure,
    retention — without touching the real database. ``sql``/``connect`` work as on a workspace.

    >>> import os, tempfile
    >>> from dbmkit.database import erase_customer
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_database"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> sb = Sandbox(ws)
    >>> _ = erase_customer(sb, sb.sql("SELECT min(customer_id) AS c FROM customers")["c"].iloc[0])
    >>> len(sb.sql("SELECT * FROM customers")) == len(ws.sql("SELECT * FROM customers")) - 1
    True
    >>> sb.close()
    """

    def __init__(self, ws, directory: str | Path | None = None):
        self.workdir = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="dbmkit_sandbox_"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.workdir / "marketing.duckdb"
        # copied while holding a read-only connection: no other process (another chapter of a report running at the
        # same time) can be writing the file halfway through the copy
        with closing(connect(ws.db_path, read_only=True)):
            shutil.copy(ws.db_path, self.db_path)
        if privacy_file(ws.workdir).exists():
            shutil.copy(privacy_file(ws.workdir), privacy_file(self.workdir))
        self.cfg = ws.cfg
        self.ledger_path = None       # erasures tried in a sandbox never reach the client's erasure ledger

    def connect(self, read_only: bool = True):
        return closing(connect(self.db_path, read_only=read_only))

    def sql(self, query: str, params=None) -> pd.DataFrame:
        with self.connect() as con:
            return con.execute(query, params or []).df()

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __repr__(self) -> str:
        return f"Sandbox({str(self.db_path)!r})"
