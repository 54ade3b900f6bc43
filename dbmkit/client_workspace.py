"""The client workspace: one folder per client with its DuckDB marketing database, the only entry point a
notebook needs.

``workspace(config)`` loads and validates the config, then makes sure the database exists and is current for that
config — generating the synthetic client's raw exports first when needed — and returns a :class:`Workspace`.
Chapters read tables with ``ws.sql(...)``/``ws.table(name)`` and write their results back with ``ws.save(name, df)``.
Analysis tables that a chapter needs but that an earlier chapter has not written yet (``customer_summary``, ``rfm``,
``clv``, ``segments``, ``scores``, ``campaign_contacts``, ``campaign_results``) are built on demand by the function
registered in ``DERIVED``, so any notebook can be opened on its own.

The database is opened per operation (read-only for reads), so several notebooks can be open at once. It is rebuilt
when it is stale (``stale_reasons``): the data config or the schema version changed, a source's content changed (a
hash of each file's bytes; for a SQL source a row count and hash aggregate computed by its database,
:func:`dbmkit.ingest.source_fingerprint`), or the client's erasure ledger holds erasures the database has not
applied (:mod:`dbmkit.database.ledger`). The build's progress output says which.

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
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from . import database
from .config import ClientConfig, SourceFile, load_config
from .database.erasure import import_workdir_memory
from .database.ledger import ledger_digest
from .ingest import IngestError, source_fingerprint

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


def _source_name(table: str, k: int, spec: SourceFile) -> str:
    """How a rebuild message names a source: the file as the config writes it, or the SQL source with its database
    (a password in the URL left out)."""
    if spec.path:
        return f"source file {spec.path}"
    url = re.sub(r"//[^/@]*:[^/@]*@", "//", spec.url or "")
    return f"SQL source {table}[{k}] ({url})"


class Workspace:
    """A client's workspace: paths, the database, the truth (synthetic clients) and derived tables."""

    def __init__(self, cfg: ClientConfig):
        self.cfg = cfg
        self.workdir = cfg.workdir_path()
        self.db_path = self.workdir / "marketing.duckdb"
        self.raw_dir = self.workdir / "raw"
        self.truth_dir = self.workdir / "truth"
        # the client's erasure ledger (None for a dict config without privacy.erasure_ledger)
        self.ledger_path = cfg.erasure_ledger_path()
        self._truth = None
        self._meta_cache = None

    # ------------------------------------------------------------------ building
    def sources(self) -> tuple[dict[str, list[SourceFile]], Path]:
        """The sources the database is built from and the folder their paths are relative to: the config's
        mapping, or for the synthetic client the mapping of its raw exports in ``raw/``."""
        if self.cfg.is_synthetic:
            from .datasets.raw_exports import sources_mapping
            mapping = sources_mapping(self.cfg.data.synthetic.locale, directory=".")
            return ({t: [SourceFile.model_validate(x) for x in xs] for t, xs in mapping.items()}, self.raw_dir)
        return self.cfg.data.sources, Path(self.cfg.base_dir)

    def fingerprint_parts(self) -> dict:
        """What the database is built from: the data config (with the schema version, the margin and the analysis
        date) and the content of every source (``dbmkit.ingest.source_fingerprint``: a hash of a file's bytes,
        ``missing`` for a file that is not there, a SQL source's row count and row-hash aggregate, ``unreadable``
        for a source that cannot be read now — the build will say why)."""
        parts: dict = {"config": _sha({"data": self.cfg.fingerprint_data(), "schema": database.SCHEMA_VERSION,
                                       "margin": self.cfg.economics.gross_margin,
                                       "as_of": str(self.cfg.analysis_date)}), "sources": {}}
        sources, base = self.sources()
        for table, specs in sources.items():
            for k, spec in enumerate(specs):
                try:
                    digest = source_fingerprint(spec, base)
                except IngestError:
                    digest = "unreadable"
                parts["sources"][f"{table}[{k}]"] = {"name": _source_name(table, k, spec), "digest": digest}
        return parts

    def fingerprint(self) -> str:
        """Changes whenever the database would change: the data config, the sources' content, the schema version."""
        return _sha(self.fingerprint_parts())

    def _read_meta(self) -> dict:
        if not self.db_path.exists():
            return {}
        try:
            with self.connect() as con:
                return dict(con.execute("SELECT key, value FROM _meta").fetchall())
        except (duckdb.Error, RuntimeError):
            return {}

    def _staleness(self) -> tuple[list[str], dict, str]:
        parts = self.fingerprint_parts()
        ledger = ledger_digest(self.ledger_path)
        meta = self._read_meta()
        if not meta:
            return ["no database yet"], parts, ledger
        reasons = []
        if meta.get("fingerprint") != _sha(parts):
            old = json.loads(meta.get("fingerprint_parts") or "{}")
            if not old:
                reasons.append("the database was built by an older version of dbmkit")
            else:
                if old.get("config") != parts["config"]:
                    reasons.append("the data config, the schema version or the analysis date changed")
                before = old.get("sources", {})
                for key, src in parts["sources"].items():
                    was = before.get(key)
                    if self.cfg.is_synthetic and src["digest"] == "missing":
                        continue        # the synthetic client's raw exports are made from its config when needed
                    if was is None:
                        reasons.append(f"new {src['name']}")
                    elif was["digest"] != src["digest"]:
                        why = {"missing": "is missing", "unreadable": "cannot be read (the build will say why)"}
                        reasons.append(f"{src['name']} {why.get(src['digest'], 'changed')}")
                reasons += [f"{was['name']} was removed" for key, was in before.items() if key not in parts["sources"]]
        if meta.get("erasure_ledger") != ledger:
            reasons.append("the client's erasure ledger holds erasures this database has not applied")
        return reasons, parts, ledger

    def stale_reasons(self) -> list[str]:
        """Why the database must be (re)built — empty when it is current: no database yet, the data config or
        schema version changed, a source's content changed (named), a new erasure in the client's ledger."""
        return self._staleness()[0]

    def is_stale(self) -> bool:
        return bool(self.stale_reasons())

    def generate_synthetic(self, force: bool = False) -> None:
        """Write the synthetic client's raw exports and truth into the workspace (skipped when current)."""
        syn = self.cfg.data.synthetic
        stamp_of = syn.model_dump(mode="json")
        if syn.locale == "zh":          # the zh exports carry the app contact points (a new revision regenerates)
            from .datasets.app_contacts import ZH_REVISION
            stamp_of["zh_revision"] = ZH_REVISION
        key = _sha(stamp_of)
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
        """Build the database when it is missing or stale (or ``force``); return the workspace. The reasons for a
        rebuild (which source changed …) go to ``progress`` first, like the build's steps."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        say = progress or (lambda msg: None)
        reasons, parts, _ = self._staleness()
        if not force and not reasons:
            return self
        for why in reasons or ["asked for"]:
            say(f"{'build' if why == 'no database yet' else 'rebuild'}: {why}")
        if self.cfg.is_synthetic:
            say("generate the synthetic client")
            self.generate_synthetic()
            parts = self.fingerprint_parts()              # the raw exports as they are now
            cfg = self.cfg
            if not cfg.data.staff_email_domains:
                from .datasets import locale_words
                loc = locale_words.EN if cfg.data.synthetic.locale == "en" else locale_words.ZH
                cfg = cfg.model_copy(deep=True)
                cfg.data.staff_email_domains = [loc["retailer_domain"]]
                cfg.data.default_phone_region = "US" if cfg.data.synthetic.locale == "en" else "CN"
                if not cfg.data.source_priority:
                    cfg.data.source_priority = ["crm", "pos", "web"]
                if cfg.analysis_date is None:
                    cfg.analysis_date = cfg.data.synthetic.end_date
        else:
            cfg = self.cfg
        if self.ledger_path is not None:        # erasures this work folder remembered before the ledger existed
            import_workdir_memory(self.ledger_path, self.workdir, cfg.client)
        sources, base = self.sources()
        report = database.build(cfg, self.db_path, sources, base, self.workdir, progress=progress,
                                ledger=self.ledger_path)
        with self.connect(read_only=False) as con:
            # the fingerprint of the sources as they were read (a change during the build shows at the next check)
            con.executemany("INSERT OR REPLACE INTO _meta VALUES (?, ?)",
                            [["fingerprint", _sha(parts)], ["fingerprint_parts", json.dumps(parts)],
                             ["rebuild_reasons", json.dumps(reasons or ["asked for"])]])
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

    # ------------------------------------------------------------------ the Spark engine (engine: spark)
    @property
    def spark_engine(self):
        """The Spark engine of this workspace (``engine: {kind: spark}``), or None for DuckDB (the default)."""
        eng = getattr(self.cfg, "engine", None)
        if eng is None or eng.kind != "spark":
            return None
        if getattr(self, "_spark", None) is None:
            from .sql.spark import SparkEngine
            self._spark = SparkEngine(eng.master, export_dir=self.workdir / "spark", conf=eng.conf)
        return self._spark

    def runs_on_spark(self, name: str) -> bool:
        """Whether ``dbmkit.sql.run(self, name, …)`` goes to Spark."""
        eng = self.spark_engine
        return eng is not None and eng.handles(name)

    def run_on_spark(self, name: str, sql: str, params: dict, frames: dict | None = None) -> pd.DataFrame:
        """Run a rendered query of the Spark set on Spark: the tables it reads exported from this database (base
        tables once per build, stamped with the build's fingerprint; ``frames``, DataFrames the query reads besides
        them, at every call), the result in DuckDB's dtypes."""
        stable = set(database.PRIMARY_KEYS) | {"consents", "responses", "email_events", "sms_events", "purchases",
                                               "customer_records", "customer_view", "sales", "consent_latest"}
        with self.connect() as con:
            # the build's fingerprint, the erasures applied and the audit log's length: an erasure (or any other
            # audited change in place) after an export makes the next query export the tables again
            meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
            audited = con.execute("SELECT count(*) FROM audit_log").fetchall()[0][0] if "audit_log" in {
                r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()} else 0
            key = _sha([meta.get("fingerprint"), meta.get("erasure_ledger"), audited]) if meta.get("fingerprint") \
                else None
            for k, df in (frames or {}).items():
                con.register(k, df)
            return self.spark_engine.run(con, name, sql, params,
                                         stamps={t: key for t in stable} if key else None)

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

    def summary(self) -> dict:
        """What a reader needs to know about the workspace — client, people, analysis date, build time, language
        and currency — without file paths (a report page must not show where the database sits;
        ``ws.db_path`` has it)."""
        built = self.meta.get("built_at")
        persons = self.build_summary().get("persons") if built else None
        return {"client": self.cfg.client, "title": self.cfg.title, "persons": persons,
                "analysis_date": str(self.as_of.date()) if (built or self.cfg.analysis_date
                                                            or self.cfg.is_synthetic) else None,
                "built_at": str(built)[:16].replace("T", " ") if built else None,
                "language": self.cfg.language, "currency": self.currency}

    def __repr__(self) -> str:
        s = self.summary()
        parts = [f"{s['persons']:,} persons" if s["persons"] is not None else "database not built yet"]
        if s["analysis_date"]:
            parts.append(f"analysis date {s['analysis_date']}")
        if s["built_at"]:
            parts.append(f"built {s['built_at']}")
        return f"Workspace of {s['client']!r} ({s['title']}): " + ", ".join(parts)

    def _repr_markdown_(self) -> str:
        s = self.summary()
        zh = s["language"] == "zh"
        rows = [("客户" if zh else "client", s["title"]),
                ("人数" if zh else "persons", f"{s['persons']:,}" if s["persons"] is not None else "–"),
                ("分析日期" if zh else "analysis date", s["analysis_date"] or "–"),
                ("数据库构建于" if zh else "database built", s["built_at"] or "–"),
                ("语言 · 货币" if zh else "language · currency", f"{s['language']} · {s['currency']}")]
        head = "| 工作区 | |" if zh else "| workspace | |"
        return "\n".join([head, "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])


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


def _opened_by_hand() -> bool:
    """True in a notebook a person opened (a Jupyter kernel, not a report run: the report runner builds the database
    before the chapters and prints its own progress)."""
    if os.environ.get("DBMKIT_REPORT_OUT"):
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _say_with_time(t0: float):
    def say(msg: str) -> None:
        print(f"[dbmkit {time.time() - t0:5.1f} s] {msg}", flush=True)
    return say


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
        if progress is None and _opened_by_hand():          # a student waits for the first build: say each step
            progress = _say_with_time(t)
        ws.ensure_built(progress=progress)
        ws.build_seconds = time.time() - t
    from .i18n import set_language
    set_language(cfg.language)
    return ws
