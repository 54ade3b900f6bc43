"""The client workspace: one folder per client with its DuckDB marketing database, the only entry point a
notebook needs.

``workspace(config)`` loads and validates the config, then makes sure the database exists and is current for that
config — generating the synthetic client's raw exports first when needed — and returns a :class:`Workspace`.
Chapters read tables with ``ws.sql(...)``/``ws.table(name)`` and write their results back with ``ws.save(name, df)``.
Analysis tables that a chapter needs but that an earlier chapter has not written yet (``customer_summary``, ``rfm``,
``clv``, ``segments``, ``scores``, ``campaign_contacts``, ``campaign_results``) are built on demand by the function
registered in ``DERIVED``, so any notebook can be opened on its own.

The database is opened per operation (read-only for reads), so several notebooks can be open at once.

Example
-------
>>> import tempfile
>>> ws = workspace({"client": "doc", "workdir": tempfile.mkdtemp(),
...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 2}}})
>>> int(ws.sql("SELECT count(*) AS n FROM customers")["n"].iloc[0]) > 250
True
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import time
import types
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from . import database
from .config import ClientConfig, SourceFile, load_config

__all__ = ["Workspace", "workspace", "DERIVED"]

# analysis tables built on demand: name → (module, function, tables it needs first)
DERIVED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "customer_summary": ("dbmkit.rfm", "build_customer_summary", ()),
    "rfm": ("dbmkit.rfm", "build_rfm", ("customer_summary",)),
    "clv": ("dbmkit.clv", "build_clv", ("customer_summary",)),
    "segments": ("dbmkit.segments", "build_segments", ("customer_summary",)),
    "scores": ("dbmkit.models", "build_scores", ("customer_summary",)),
    "campaign_contacts": ("dbmkit.campaign", "build_campaign_contacts", ("rfm", "clv", "segments", "scores")),
    "campaign_results": ("dbmkit.evaluate", "build_campaign_results", ("campaign_contacts",)),
}


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:16]


class Workspace:
    """A client's workspace: paths, the database, the truth (synthetic clients) and derived tables."""

    def __init__(self, cfg: ClientConfig):
        self.cfg = cfg
        self.workdir = cfg.workdir_path()
        self.db_path = self.workdir / "marketing.duckdb"
        self.raw_dir = self.workdir / "raw"
        self.truth_dir = self.workdir / "truth"
        self._truth = None
        self._meta_cache = None

    # ------------------------------------------------------------------ building
    def _sources(self) -> tuple[dict[str, list[SourceFile]], Path]:
        if self.cfg.is_synthetic:
            from .datasets._raw import sources_mapping
            mapping = sources_mapping(self.cfg.data.synthetic.locale, directory=".")
            return ({t: [SourceFile.model_validate(x) for x in xs] for t, xs in mapping.items()}, self.raw_dir)
        return self.cfg.data.sources, Path(self.cfg.base_dir)

    def fingerprint(self) -> str:
        """Changes whenever the database would change: the data config, the source files, the schema version."""
        parts: dict = {"data": self.cfg.fingerprint_data(), "schema": database.SCHEMA_VERSION,
                       "margin": self.cfg.economics.gross_margin, "as_of": str(self.cfg.analysis_date)}
        if not self.cfg.is_synthetic:
            files = []
            for specs in (self.cfg.data.sources or {}).values():
                for s in specs:
                    if s.path:
                        p = self.cfg.resolve(s.path)
                        st = p.stat() if p.exists() else None
                        files.append([str(p), st.st_size if st else None, int(st.st_mtime) if st else None])
            parts["files"] = files
        return _sha(parts)

    def _read_meta(self) -> dict:
        if not self.db_path.exists():
            return {}
        try:
            with self.connect() as con:
                return dict(con.execute("SELECT key, value FROM _meta").fetchall())
        except (duckdb.Error, RuntimeError):
            return {}

    def is_stale(self) -> bool:
        meta = self._read_meta()
        return meta.get("fingerprint") != self.fingerprint()

    def generate_synthetic(self, force: bool = False) -> None:
        """Write the synthetic client's raw exports and truth into the workspace (skipped when current)."""
        syn = self.cfg.data.synthetic
        key = _sha(syn.model_dump(mode="json"))
        stamp = self.raw_dir / ".generated"
        if not force and stamp.exists() and stamp.read_text() == key and (self.truth_dir / "people.parquet").exists():
            return
        from .datasets import synthetic
        world = synthetic(n_people=syn.n_people, years=syn.years, end_date=syn.end_date, locale=syn.locale,
                          seed=syn.seed, duplicate_share=syn.duplicate_share,
                          invalid_email_share=syn.invalid_email_share, invalid_phone_share=syn.invalid_phone_share,
                          n_campaigns=syn.n_campaigns, raw_dir=self.raw_dir)   # exports written as built
        world.save_truth(self.truth_dir)
        stamp.write_text(key)
        self._truth = None

    def ensure_built(self, force: bool = False, progress=None) -> "Workspace":
        """Build the database when it is missing or stale (or ``force``); return the workspace."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not force and not self.is_stale():
            return self
        if self.cfg.is_synthetic:
            if progress:
                progress("generate the synthetic client")
            self.generate_synthetic()
            cfg = self.cfg
            if not cfg.data.staff_email_domains:
                from .datasets import _locale
                loc = _locale.EN if cfg.data.synthetic.locale == "en" else _locale.ZH
                cfg = cfg.model_copy(deep=True)
                cfg.data.staff_email_domains = [loc["retailer_domain"]]
                cfg.data.default_phone_region = "US" if cfg.data.synthetic.locale == "en" else "CN"
                if not cfg.data.source_priority:
                    cfg.data.source_priority = ["crm", "pos", "web"]
                if cfg.analysis_date is None:
                    cfg.analysis_date = cfg.data.synthetic.end_date
        else:
            cfg = self.cfg
        sources, base = self._sources()
        report = database.build(cfg, self.db_path, sources, base, self.workdir, progress=progress)
        with self.connect(read_only=False) as con:
            con.execute("INSERT OR REPLACE INTO _meta VALUES ('fingerprint', ?)", [self.fingerprint()])
        self._meta_cache = None
        self.build_report = report
        return self

    # ------------------------------------------------------------------ reading and writing
    @contextmanager
    def connect(self, read_only: bool = True):
        """A DuckDB connection to the database, closed afterwards (read-only unless asked)."""
        con = database.connect(self.db_path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def sql(self, query: str, params=None) -> pd.DataFrame:
        """Run a read-only SQL query on the marketing database and return a DataFrame."""
        with self.connect() as con:
            return con.execute(query, params or []).df()

    def tables(self) -> list[str]:
        with self.connect() as con:
            return [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]

    def has_table(self, name: str) -> bool:
        return name in self.tables()

    def table(self, name: str, build: bool = True) -> pd.DataFrame:
        """A table (or view) as a DataFrame; derived analysis tables are built first if missing."""
        if build and name in DERIVED:
            self.ensure(name)
        return self.sql(f'SELECT * FROM "{name}"')

    def ensure(self, name: str) -> None:
        """Build a derived table (and what it needs) unless it is already in the database."""
        if self.has_table(name):
            return
        module, func, deps = DERIVED[name]
        for d in deps:
            self.ensure(d)
        builder = getattr(importlib.import_module(module), func)
        df = builder(self)
        self.save(name, df)

    def save(self, name: str, df: pd.DataFrame, replace: bool = True) -> None:
        """Write an analysis table into the database (replacing it). Base tables cannot be overwritten."""
        if name in database.PRIMARY_KEYS or name in ("consents", "responses", "email_events", "sms_events", "_meta",
                                                     "quarantine", "load_log"):
            raise ValueError(f"'{name}' is a base table of the database; save analysis results under another name")
        with self.connect(read_only=False) as con:
            con.register("_save_df", df)
            verb = "CREATE OR REPLACE TABLE" if replace else "CREATE TABLE"
            con.execute(f'{verb} "{name}" AS SELECT * FROM _save_df')
            con.unregister("_save_df")

    def drop(self, name: str) -> None:
        with self.connect(read_only=False) as con:
            con.execute(f'DROP TABLE IF EXISTS "{name}"')

    # ------------------------------------------------------------------ facts
    @property
    def meta(self) -> dict:
        if self._meta_cache is None:
            self._meta_cache = self._read_meta()
        return self._meta_cache

    @property
    def as_of(self) -> pd.Timestamp:
        """The analysis date: the config's ``analysis_date``, else the last day with purchases."""
        if self.cfg.analysis_date:
            return pd.Timestamp(self.cfg.analysis_date)
        if self.cfg.is_synthetic:
            return pd.Timestamp(self.cfg.data.synthetic.end_date)
        return pd.Timestamp(self.meta.get("as_of"))

    @property
    def currency(self) -> str:
        if self.cfg.is_synthetic and self.cfg.data.synthetic.locale == "zh" and self.cfg.currency == "USD":
            return "CNY"
        return self.cfg.currency

    @property
    def language(self) -> str:
        return self.cfg.language

    @property
    def truth(self) -> dict[str, pd.DataFrame] | None:
        """The synthetic client's ground truth (None for a real client)."""
        if not self.cfg.is_synthetic:
            return None
        if self._truth is None:
            self._truth = _LazyTruth(self.truth_dir)
        return self._truth

    def build_summary(self) -> dict:
        """Counts of the last build (rows read/loaded/quarantined, persons, households, quality scores)."""
        rep = self.meta.get("report")
        return json.loads(rep) if rep else {}

    def __repr__(self) -> str:
        return f"Workspace(client={self.cfg.client!r}, db={str(self.db_path)!r})"


class _LazyTruth(dict):
    """Truth tables read from Parquet on first use."""

    def __init__(self, directory: Path):
        super().__init__()
        self._dir = Path(directory)

    def __missing__(self, key):
        p = self._dir / f"{key}.parquet"
        if not p.exists():
            raise KeyError(f"no truth table {key!r} (have: {sorted(x.stem for x in self._dir.glob('*.parquet'))})")
        df = pd.read_parquet(p)
        self[key] = df
        return df

    def __contains__(self, key):
        return (self._dir / f"{key}.parquet").exists()

    def params(self) -> dict:
        return json.loads((self._dir / "params.json").read_text(encoding="utf-8"))


def workspace(config: str | os.PathLike | dict | ClientConfig | None = None, build: bool = True,
              progress=None, overrides: dict | str | None = None, **settings) -> Workspace:
    """Open a client's workspace: validate the config, build the database if missing or stale.

    ``config`` is the path of the client's YAML (or a dict / ClientConfig). ``overrides`` set config fields by
    dotted name, ``{"campaign.budget": 5000}`` (a dict, or the same as a JSON string): the report runner passes
    ``dbmkit report --set`` this way to every chapter (the ``overrides`` parameter of each notebook; None when a
    notebook is opened by hand). Keyword arguments do the same, ``workspace(path, **{"campaign.budget": 5000})``,
    where None means "not set". ``ws.overrides`` keeps the overrides applied. The environment variable
    ``DBMKIT_CONFIG`` replaces the path (the test suite uses it to run every notebook on a small client) and
    ``DBMKIT_WORKDIR`` the work folder.
    """
    env = os.environ.get("DBMKIT_CONFIG")
    if env:
        config = env
    if config is None:
        raise ValueError("give the client config, e.g. workspace('../clients/demo.yaml')")
    if isinstance(overrides, str):
        overrides = json.loads(overrides) if overrides.strip() else None
    applied = {**(overrides or {}), **{k: v for k, v in settings.items() if v is not None}}
    cfg = load_config(config, overrides=applied or None)
    ws = Workspace(cfg)
    ws.overrides = applied
    if build:
        t = time.time()
        ws.ensure_built(progress=progress)
        ws.build_seconds = time.time() - t
    from .i18n import set_language
    set_language(cfg.language)
    return ws


class _CallableModule(types.ModuleType):
    """Lets notebooks write ``dbm.workspace(config)`` although ``dbmkit.workspace`` is also this module."""

    def __call__(self, *args, **kwargs):
        ws = workspace(*args, **kwargs)
        try:
            from .plots import setup_style
            setup_style(ws.cfg.language)
        except ImportError:
            pass
        return ws


sys.modules[__name__].__class__ = _CallableModule
