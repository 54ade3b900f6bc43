"""Client configuration: one YAML file per client, validated before anything runs.

A config says who the client is (name, title, language, currency), where the data comes from (the synthetic
retailer, or the client's own files through a column mapping), the economics (margins, contact costs) and the
knobs of each chapter. ``load_config`` turns a path or a dict into a validated :class:`ClientConfig`; every
problem is reported as a :class:`ConfigError` that names the field, what is wrong and how to fix it.

One concept: the client configuration — one pydantic model per section of the YAML (data and its sources,
economics, analysis, campaign, evaluate, report, privacy), validated together with its cross-field rules and its
error messages; docs/CONFIG.md documents every field of it (tested), so it stays one module.

Example
-------
>>> cfg = load_config({"client": "acme", "data": {"synthetic": {"n_people": 500}}})
>>> cfg.client, cfg.data.synthetic.n_people, cfg.currency
('acme', 500, 'USD')
"""
from __future__ import annotations

import copy
import datetime as dt
import difflib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic.functional_validators import AfterValidator

from . import schema as _schema

__all__ = [
    "ClientConfig",
    "ConfigError",
    "OverrideError",
    "load_config",
    "setting_paths",
    "CANONICAL_TABLES",
    "CANONICAL_COLUMNS",
]

CHANNELS = ("email", "sms", "mail", "phone", "wechat", "app_push")

# Canonical tables a source can feed, with the columns a mapping may target (dbmkit.schema, docs/DATA_MODEL.md).
CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    t: tuple(c.name for c in _schema.source_columns(t))
    for t in ("customers", "consents", "orders", "order_items", "sales_lines", "products", "campaigns", "contacts",
              "responses", "email_events", "sms_events", "area_demographics", "customer_links")
}
CANONICAL_TABLES = tuple(CANONICAL_COLUMNS)


class ConfigError(ValueError):
    """A config that cannot be used. ``problems`` lists (field, message) pairs; str() reads as a fix list."""

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None):
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"The client config{where} has {len(problems)} problem(s):"]
        lines += [f"  - {' '.join(str(field).split())}: {' '.join(str(msg).split())}" for field, msg in problems]
        super().__init__("\n".join(lines))


class OverrideError(ConfigError):
    """An override (``dbmkit report --set key=value``, ``workspace(config, overrides=…)``) that names no setting or
    gives a value the setting refuses, while the config file itself is fine. ``problems`` are (dotted key, message)
    pairs as in ConfigError, ``values`` the overrides; :meth:`lines` has one line per problem, ``key=value: message``
    (how ``dbmkit`` prints them after ``--set``)."""

    def __init__(self, problems: list[tuple[str, str]], source: str | None = None, values: dict | None = None):
        super().__init__(problems, source=source)
        self.values = dict(values or {})

    def lines(self) -> list[str]:
        out = []
        for field, msg in self.problems:
            key = next((k for k in self.values if field == k or field.startswith(k + ".") or k.startswith(field + ".")),
                       None)
            shown = f"{key}={_show_value(self.values[key])}" if key is not None else field
            out.append(f"{shown}: {' '.join(str(msg).split())}")
        return out


def _show_value(v) -> str:
    import json
    text = v if isinstance(v, str) else json.dumps(v, default=str, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= 60 else text[:57] + "..."


def check_timezone(v: str) -> str:
    """An IANA time-zone name as given (``Europe/Berlin``), or a ValueError naming the closest ones."""
    import zoneinfo
    try:
        return zoneinfo.ZoneInfo(v) and v
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(v, sorted(zoneinfo.available_timezones()), n=3, cutoff=0.5)
        raise ValueError(f"unknown time zone {v!r}" + (f" (did you mean {', '.join(close)}?)" if close else "")
                         + "; use an IANA name such as UTC, Europe/Berlin, America/New_York or Asia/Shanghai") from None


TimeZone = Annotated[str, AfterValidator(check_timezone)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)


class SyntheticSource(_Model):
    """The built-in synthetic retailer (datasets.synthetic)."""

    n_people: int = Field(20_000, ge=50, le=20_000_000, description="people in the client's world")
    years: float = Field(3.0, gt=0.4, le=10, description="length of the purchase history in years")
    end_date: dt.date = Field(dt.date(2026, 6, 30), description="last day of the exported history")
    locale: Literal["en", "zh"] = "en"
    seed: int = 42
    duplicate_share: float = Field(0.07, ge=0, le=0.5, description="share of people with more than one record")
    invalid_email_share: float = Field(0.03, ge=0, le=0.5)
    invalid_phone_share: float = Field(0.03, ge=0, le=0.5)
    n_campaigns: int = Field(8, ge=0, le=40, description="past campaigns in the history")


class SourceFile(_Model):
    """One file or query that feeds one canonical table through a column mapping."""

    path: str | None = Field(None, description="file path, relative to the config file")
    sql: str | None = Field(None, description="SQL query, run against `url`")
    url: str | None = Field(None, description="database URL for `sql`: duckdb:///file.duckdb, sqlite:///file.db, "
                                              "postgresql://…, or spark (the client's Spark session; also "
                                              "spark://host:7077, sc://host:15002) for a Spark SQL query")
    format: Literal["auto", "csv", "excel", "parquet", "sql"] = "auto"
    delimiter: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    header_row: int | None = Field(None, ge=0, description="0-based row of the header (Excel/CSV with title rows)")
    source_system: str | None = Field(None, description="name of the system the rows come from (crm, web, pos…)")
    columns: dict[str, str] = Field(default_factory=dict, description="canonical column → column in the file")
    constants: dict[str, Any] = Field(default_factory=dict, description="canonical column → fixed value")
    date_format: str | None = Field(None, description="strftime format when dates are ambiguous, e.g. %d/%m/%Y")
    decimal: Literal[".", ","] | None = Field(
        None, description="decimal mark of amounts: '.' or ','; default: decided per column from its values")
    id_prefix: str = Field("", description="prefix added to customer ids, when two systems use the same numbers")
    timezone: TimeZone | None = Field(None, description="zone whose local time time-zone-aware timestamps are "
                                                        "converted to (e.g. Europe/Berlin); default: `data.timezone`")
    _client_timezone: str = PrivateAttr("UTC")
    _engine_master: str = PrivateAttr("local[2]")        # the client's engine.master when its engine is spark
    _engine_conf: dict = PrivateAttr(default_factory=dict)

    @property
    def zone(self) -> str:
        """The zone of this source's local time: its own `timezone`, else the client's `data.timezone` (UTC)."""
        return self.timezone or self._client_timezone

    @property
    def spark_master(self) -> str:
        """The Spark master a ``url: spark`` source's query runs on: the master written in the URL
        (``spark://host:7077``, Spark Connect ``sc://host:15002``), else the client's ``engine.master`` when its
        engine is spark, else ``local[2]``.

        >>> SourceFile(sql="SELECT * FROM lake.orders", url="spark").spark_master
        'local[2]'
        >>> SourceFile(sql="SELECT * FROM lake.orders", url="sc://spark.acme.internal:15002").spark_master
        'sc://spark.acme.internal:15002'
        """
        url = (self.url or "").strip()
        return url if url.startswith(("spark://", "sc://")) else self._engine_master

    @property
    def spark_conf(self) -> dict[str, str]:
        """The extra Spark settings of the client's engine (``engine.conf``) for the session a Spark source starts."""
        return dict(self._engine_conf)

    @model_validator(mode="after")
    def _one_of_path_or_sql(self):
        if bool(self.path) == bool(self.sql):
            raise ValueError("give exactly one of `path` (a file) or `sql` (a query with `url`)")
        if self.sql and not self.url:
            raise ValueError("`sql` needs `url`, the database to run it against (e.g. duckdb:///data/client.duckdb, "
                             "or spark for a Spark SQL query on the client's Spark session)")
        return self


class DateWindow(_Model):
    """The plausible dates of transactions (orders, invoice lines, contacts, responses, e-mail and SMS events):
    rows dated outside are quarantined with the reason (a year 1 or an Excel zero day 1899-12-30 is a broken
    export, not a sale)."""

    earliest: dt.date = Field(dt.date(1990, 1, 1), description="first plausible day")
    latest: dt.date | None = Field(None, description="last plausible day; default: a year after the analysis date "
                                                     "(after today when no analysis date is set)")

    def bounds(self, analysis_date: dt.date | None) -> tuple[dt.date, dt.date]:
        """The first and last plausible day, the default last day a year after ``analysis_date`` (or today).

        >>> DateWindow().bounds(dt.date(2024, 2, 29))
        (datetime.date(1990, 1, 1), datetime.date(2025, 2, 28))
        """
        if self.latest is not None:
            return self.earliest, self.latest
        d = analysis_date or dt.date.today()
        try:
            return self.earliest, d.replace(year=d.year + 1)
        except ValueError:          # 29 February
            return self.earliest, d.replace(year=d.year + 1, day=28)

    @model_validator(mode="after")
    def _ordered(self):
        if self.latest is not None and self.latest < self.earliest:
            raise ValueError(f"latest ({self.latest}) is before earliest ({self.earliest})")
        return self


class DataConfig(_Model):
    synthetic: SyntheticSource | None = None
    sources: dict[str, list[SourceFile]] | None = None
    default_phone_region: str = Field("US", min_length=2, max_length=2, description="ISO country for phones without +")
    timezone: TimeZone = Field("UTC", description="the client's time zone (IANA name, e.g. Europe/Berlin): "
                                                  "time-zone-aware timestamps are converted to its local time")
    staff_email_domains: list[str] = Field(default_factory=list, description="e-mail domains of staff accounts")
    test_email_patterns: list[str] = Field(
        default_factory=lambda: [r"^test\d*@", r"^qa\+", r"@example\.(?:com|org|net)$", r"^noreply@"],
        description="regular expressions marking test accounts by e-mail")
    source_priority: list[str] = Field(default_factory=list,
                                       description="trusted systems first, for the golden record "
                                                   "(e.g. [crm, pos, web])")
    match_threshold: float = Field(0.85, gt=0, lt=1, description="merge/purge: minimum match probability")
    dates: DateWindow = Field(default_factory=DateWindow, description="plausible dates of transactions")
    max_amount: float = Field(1e9, gt=0, description="largest plausible amount of one value (an order's net or "
                                                     "gross amount, a line's unit price, a discount, a revenue)")
    max_quantity: float = Field(1e6, gt=0, description="largest plausible quantity of one invoice line")
    household_rule: Literal["address", "address+surname"] = "address+surname"
    consent_words: dict[str, list[str]] = Field(
        default_factory=dict,
        description="the client's own consent words: {opt_in: [...], opt_out: [...]} for statuses, {email: [...], "
                    "sms: [...], phone: [...], mail: [...], wechat: [...], app_push: [...]} for channels; matched "
                    "ignoring case, spaces and "
                    "punctuation, before the built-in vocabulary")

    @field_validator("consent_words")
    @classmethod
    def _consent_words(cls, v):
        allowed = ("opt_in", "opt_out") + CHANNELS
        bad = [k for k in v if k not in allowed]
        if bad:
            close = difflib.get_close_matches(bad[0], allowed, n=1)
            raise ValueError(f"unknown key {bad[0]!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                             + f"; keys are {', '.join(allowed)}")
        seen: dict[str, str] = {}
        for key, words in v.items():
            for w in words:
                n = _schema.normalise_word(w)
                if not n:
                    raise ValueError(f"{key}: {w!r} has no letters or digits")
                kind = "status" if key in ("opt_in", "opt_out") else "channel"
                if (kind, n) in seen and seen[(kind, n)] != key:
                    raise ValueError(f"{w!r} is listed under both {seen[(kind, n)]} and {key}; keep one")
                seen[(kind, n)] = key
        return {k: [str(w) for w in words] for k, words in v.items()}

    @field_validator("sources", mode="before")
    @classmethod
    def _listify(cls, v):
        if isinstance(v, dict):
            return {k: (x if isinstance(x, list) else [x]) for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.synthetic is None) == (self.sources is None):
            raise ValueError("give exactly one of `synthetic:` (the demo retailer) or `sources:` (the client's files)")
        if self.sources is not None:
            bad = [t for t in self.sources if t not in CANONICAL_COLUMNS]
            if bad:
                hint = {t: difflib.get_close_matches(t, CANONICAL_TABLES, n=1) for t in bad}
                msg = ", ".join(f"'{t}'" + (f" (did you mean '{hint[t][0]}'?)" if hint[t] else "") for t in bad)
                raise ValueError(f"unknown table(s) {msg}; tables are: {', '.join(CANONICAL_TABLES)}")
            if not any(t in self.sources for t in ("orders", "sales_lines")):
                raise ValueError("`sources` needs at least a sales file: `orders` (one row per order) "
                                 "or `sales_lines` (one row per invoice line)")
            for table, files in self.sources.items():
                allowed = set(CANONICAL_COLUMNS[table])
                for i, f in enumerate(files):
                    for canon in list(f.columns) + list(f.constants):
                        if canon not in allowed:
                            close = difflib.get_close_matches(canon, sorted(allowed), n=1)
                            raise ValueError(
                                f"sources.{table}[{i}].columns: '{canon}' is not a column of {table}"
                                + (f" (did you mean '{close[0]}'?)" if close else "")
                                + f"; allowed: {', '.join(sorted(allowed))}")
                    f._client_timezone = self.timezone      # not dumped: `--set data.timezone=…` reaches it
        return self


# Default contact costs and fixed campaign cost by currency, used for what a config does not set: rough market
# prices of 2025–26 (e-mail service, bulk marketing SMS, a printed letter with postage, an agent's outbound call),
# meant as a starting point to replace with the client's own. Another currency: the USD amounts (docs/CONFIG.md).
# CNY also prices the two app channels of the Chinese market (a client elsewhere adds them in cost_per_contact):
# * wechat 0.01 元 — an ASSUMPTION: Tencent charges nothing per message for service-account template messages or
#   mini-program subscription messages (微信服务号模板消息/小程序订阅消息; a verified account pays 300 元 a year for
#   认证), so the figure stands for the SCRM / third-party sending platform and operation per message;
# * app_push 0.005 元 — an ASSUMPTION: the vendor channels (APNs, 华为/小米/OPPO/vivo 推送) are free, a paid push
#   service (极光/个推 VIP plans) costs in the order of a thousandth of a 元 to a few per message at volume.
# Replace both with the client's own contract prices.
DEFAULT_CONTACT_COSTS = {
    "USD": ({"email": 0.02, "sms": 0.06, "mail": 0.85, "phone": 4.50}, 1500.0),
    "EUR": ({"email": 0.02, "sms": 0.07, "mail": 0.90, "phone": 4.00}, 1500.0),
    "GBP": ({"email": 0.02, "sms": 0.05, "mail": 0.80, "phone": 3.50}, 1300.0),
    "CNY": ({"email": 0.03, "sms": 0.05, "mail": 3.00, "phone": 5.00, "wechat": 0.01, "app_push": 0.005},
            10000.0),                                                                 # 元: 短信约0.05元/条
    "JPY": ({"email": 3.0, "sms": 8.0, "mail": 120.0, "phone": 600.0}, 200000.0),
}


class Economics(_Model):
    gross_margin: float = Field(0.40, gt=0, lt=1, description="margin on revenue when product costs are unknown")
    annual_discount_rate: float = Field(0.10, ge=0, lt=1, description="for discounting future value (CLV)")
    cost_per_contact: dict[str, float] = Field(
        default_factory=lambda: {"email": 0.02, "sms": 0.06, "mail": 0.85, "phone": 4.50})
    campaign_fixed_cost: float = Field(1500.0, ge=0, description="creative, set-up and analysis per campaign")

    @field_validator("cost_per_contact")
    @classmethod
    def _channels(cls, v):
        bad = [k for k in v if k not in CHANNELS]
        if bad:
            raise ValueError(f"unknown channel(s) {bad}; channels are {list(CHANNELS)}")
        if any(x < 0 for x in v.values()):
            raise ValueError("costs cannot be negative")
        return v              # completed with the defaults of the client's currency by ClientConfig._defaults


class RFMConfig(_Model):
    bins: int = Field(5, ge=2, le=10)
    method: Literal["independent", "nested"] = "independent"
    weights: dict[str, float] = Field(default_factory=lambda: {"r": 1.0, "f": 1.0, "m": 1.0})
    recency_breaks: list[float] | None = Field(None, description="custom day cut-offs, e.g. [30, 90, 180, 365]")
    frequency_breaks: list[float] | None = None
    monetary_breaks: list[float] | None = None


class AnalysisConfig(_Model):
    deciles: int = Field(10, ge=4, le=20)
    rfm: RFMConfig = Field(default_factory=RFMConfig)
    clv_horizon_months: int = Field(12, ge=1, le=120)
    active_days: int = Field(365, ge=30, description="a customer who bought within this many days is active")
    calibration_weeks: int | None = Field(None, ge=4,
                                          description="BTYD calibration length; default: all but the last year")
    k_segments: int | None = Field(None, ge=2, le=12, description="k-means segments; default: chosen by silhouette")
    min_support: float = Field(0.005, gt=0, lt=1)
    sequence_days: int = Field(90, ge=1)


class CampaignConfig(_Model):
    name: str = "Spring reactivation"
    goal: str = Field("Win back lapsing customers", description="the business goal in words")
    target_response_rate: float | None = Field(None, gt=0, lt=1)
    channel: Literal["auto", "email", "sms", "mail", "phone", "wechat", "app_push"] = "auto"
    offer: str = "auto"
    start_date: dt.date | None = Field(None, description="default: a week after the analysis date")
    response_window_days: int = Field(30, ge=1, le=365)
    budget: float | None = Field(None, gt=0)
    control_share: float = Field(0.10, gt=0, lt=0.9)
    global_holdout_share: float = Field(0.0, ge=0, lt=0.5)
    significance: float = Field(0.05, gt=0, lt=0.5)
    power: float = Field(0.80, gt=0.5, lt=1)
    min_detectable_lift: float = Field(0.01, gt=0, description="absolute lift in response rate to detect")
    recent_contact_days: int = Field(14, ge=0)
    max_contacts_30d: int = Field(4, ge=1)
    min_score_decile: int | None = Field(None, ge=1, le=20)


class EvaluateConfig(_Model):
    attribution: Literal["most_recent", "first", "all"] = "most_recent"
    response_window_days: int | None = Field(None, ge=1)
    bootstrap: int = Field(0, ge=0, le=100_000, description="bootstrap resamples for mean CIs (0 = Welch)")


class ReportConfig(_Model):
    phases: list[str] | None = Field(None, description="chapters to run, e.g. ['1', '2', '30']; default all")
    timeout_per_notebook: int = Field(900, ge=30)
    jobs: int | None = Field(None, ge=1, le=64, description="chapters run at a time; default: the cores, at most 4")

    @field_validator("phases", mode="before")
    @classmethod
    def _phase_names(cls, v):
        """Phases written as numbers (``[1, 2]``, or ``--set report.phases=[1,2]``) are the same phases."""
        if not isinstance(v, list):
            return v
        return [str(x) if isinstance(x, int) and not isinstance(x, bool) else x for x in v]


class EngineConfig(_Model):
    """Where the transaction-level SQL runs (docs/SCALE.md): ``duckdb`` (the default, in the client's database) or
    ``spark`` (Apache Spark: ``local[N]``, a cluster URL such as ``spark://host:7077`` or ``yarn``, or Spark Connect
    ``sc://host:15002``). The database build, merge/purge and the customer-level models stay on DuckDB either way.
    Written ``engine: spark`` or ``engine: {kind: spark, master: "local[4]"}``; ``dbmkit report … --engine spark``."""

    kind: Literal["duckdb", "spark"] = Field("duckdb", description="duckdb (default) or spark")
    master: str = Field("local[2]", description="the Spark master: local[N], spark://host:port, yarn, sc://host:port")
    conf: dict[str, str] = Field(default_factory=dict, description="extra Spark settings, e.g. "
                                                                   "spark.executor.memory: 8g")

    @field_validator("master")
    @classmethod
    def _master(cls, v):
        if not re.fullmatch(r"local(\[(\d+|\*)\])?|(spark|sc|k8s)://\S+|yarn", v):
            raise ValueError("use local[N] (e.g. local[4]), spark://host:7077, yarn, k8s://… or Spark Connect "
                             "sc://host:15002")
        return v


class PrivacyConfig(_Model):
    """Privacy settings: where the client's erasure ledger lives.

    The erasure ledger remembers every erased person of the client as salted hashes of their ids, e-mail addresses
    and phone numbers (never the values), with its own salt, so that every workspace of the client — whatever its
    ``--workdir`` — keeps the person out of every build and every export (``dbmkit erase``,
    :mod:`dbmkit.database.ledger`).
    """

    erasure_ledger: str | None = Field(
        None, description="the client's erasure ledger (JSON, hashes only), relative to the config file; "
                          "default <config folder>/<client>.erasures.json")


class ClientConfig(_Model):
    client: str = Field(..., description="short name: letters, digits, - and _")
    title: str | None = None
    language: Literal["en", "zh"] = "en"
    currency: str = "USD"
    analysis_date: dt.date | None = Field(None, description="as-of date; default: the last day with orders")
    seed: int = 42
    workdir: str | None = Field(None, description="the client's workspace; default work/<client>")
    data: DataConfig
    economics: Economics = Field(default_factory=Economics)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    campaign: CampaignConfig = Field(default_factory=CampaignConfig)
    evaluate: EvaluateConfig = Field(default_factory=EvaluateConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    notebooks: str | None = Field(
        None, description="the client's own chapters (notebooks), relative to the config file; default "
                          "<config folder>/<client>/notebooks (docs/CONFIG.md, Adapting the workbook for a client)")

    # where the config came from: relative paths resolve against it
    base_dir: str = Field(default_factory=lambda: os.getcwd(), exclude=True)
    source_path: str | None = Field(None, exclude=True)

    @field_validator("client")
    @classmethod
    def _name(cls, v):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}", v):
            raise ValueError("use letters, digits, '-' and '_' only (it names folders), e.g. 'acme_retail'")
        return v

    @field_validator("engine", mode="before")
    @classmethod
    def _engine_kind(cls, v):
        """``engine: spark`` is ``engine: {kind: spark}`` (the default master, local[2])."""
        return {"kind": v} if isinstance(v, str) else v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v):
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError("use a three-letter ISO code such as USD, EUR or CNY")
        return v

    @model_validator(mode="after")
    def _defaults(self):
        for files in (self.data.sources or {}).values():
            for f in files:                     # a `url: spark` source runs on the engine's Spark session
                f._engine_master = self.engine.master if self.engine.kind == "spark" else "local[2]"
                f._engine_conf = dict(self.engine.conf)
        if self.title is None:
            self.title = self.client.replace("_", " ").replace("-", " ").title()
        costs, fixed = DEFAULT_CONTACT_COSTS.get(self.currency, DEFAULT_CONTACT_COSTS["USD"])
        e = self.economics
        given = dict(e.cost_per_contact) if "cost_per_contact" in e.model_fields_set else {}
        merged = {**costs, **given}                   # what the config does not set: the currency's defaults
        if merged != e.cost_per_contact:
            e.cost_per_contact = merged
        if "campaign_fixed_cost" not in e.model_fields_set and e.campaign_fixed_cost != fixed:
            e.campaign_fixed_cost = fixed
        return self

    # ------------------------------------------------------------------ helpers
    @property
    def is_synthetic(self) -> bool:
        return self.data.synthetic is not None

    def resolve(self, path: str | os.PathLike) -> Path:
        """A path from the config, resolved against the config file's folder."""
        p = Path(os.path.expanduser(str(path)))
        return p if p.is_absolute() else (Path(self.base_dir) / p).resolve()

    def workdir_path(self) -> Path:
        env = os.environ.get("DBMKIT_WORKDIR")
        if env:
            return Path(env).resolve()
        if self.workdir:
            return self.resolve(self.workdir)
        return (Path(self.base_dir).parent / "work" / self.client).resolve() if Path(self.base_dir).name == "clients" \
            else (Path(self.base_dir) / "work" / self.client).resolve()

    def report_path(self) -> Path:
        """The default report folder: ``reports/<client>`` beside the config's ``clients/`` folder (the workbook
        folder), else beside the config file; for a config given as a dict, in the current folder. Never inside
        the installed package."""
        if not self.source_path:
            return (Path.cwd() / "reports" / self.client).resolve()
        base = Path(self.base_dir)
        return ((base.parent if base.name == "clients" else base) / "reports" / self.client).resolve()

    def erasure_ledger_path(self) -> Path | None:
        """The client's erasure ledger: ``privacy.erasure_ledger`` (relative to the config file), else
        ``<client>.erasures.json`` beside the config file; None for a config given as a dict without that field
        (then only the workspace's own memory ``<workdir>/erasures.json`` remembers erasures).

        >>> load_config({"client": "acme", "data": {"synthetic": {}}}).erasure_ledger_path() is None
        True
        >>> load_config({"client": "acme", "data": {"synthetic": {}}, "base_dir": "/clients",
        ...              "privacy": {"erasure_ledger": "acme.erasures.json"}}).erasure_ledger_path().as_posix()
        '/clients/acme.erasures.json'
        """
        if self.privacy.erasure_ledger:
            return self.resolve(self.privacy.erasure_ledger)
        if self.source_path:
            return Path(self.source_path).parent / f"{self.client}.erasures.json"
        return None

    def client_notebooks_path(self) -> Path | None:
        """The folder of the client's own chapters: ``notebooks`` (relative to the config file), else
        ``<config folder>/<client>/notebooks``; None for a config given as a dict without that field.

        >>> load_config({"client": "acme", "data": {"synthetic": {}}, "base_dir": "/clients",
        ...              "notebooks": "acme_nb"}).client_notebooks_path().as_posix()
        '/clients/acme_nb'
        """
        if self.notebooks:
            return self.resolve(self.notebooks)
        if self.source_path:
            return Path(self.source_path).parent / self.client / "notebooks"
        return None

    def contact_cost(self, channel: str) -> float:
        return float(self.economics.cost_per_contact[channel])

    def fingerprint_data(self) -> dict:
        """The part of the config that decides the database's content (used to detect a stale database)."""
        return self.data.model_dump(mode="json")


def _set_dotted(d: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    cur = d
    for i, k in enumerate(keys[:-1]):
        if isinstance(cur, list) and k.isdigit() and int(k) < len(cur):      # data.sources.orders.0.date_format
            cur = cur[int(k)]
        elif isinstance(cur, dict):
            if cur.get(k) is None:
                cur[k] = {}
            cur = cur[k]
        else:
            cur = None
        if not isinstance(cur, (dict, list)):
            raise ConfigError([(dotted, f"cannot set it: {'.'.join(keys[:i + 1])} is a value, not a section; "
                                        "use the field's full dotted name, e.g. campaign.budget=5000")])
    if isinstance(cur, list):
        if not (keys[-1].isdigit() and int(keys[-1]) < len(cur)):
            raise ConfigError([(dotted, f"{'.'.join(keys[:-1])} is a list of {len(cur)}; give an index from 0 to "
                                        f"{len(cur) - 1}")])
        cur[int(keys[-1])] = value
    else:
        cur[keys[-1]] = value


def _submodel(annotation) -> type[BaseModel] | None:
    """The config section (a model) a field holds, also when it is optional (``SyntheticSource | None``)."""
    import typing
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for a in typing.get_args(annotation):
        m = _submodel(a)
        if m is not None:
            return m
    return None


def _free_below(annotation) -> bool:
    """A field whose keys are free (a dict such as ``cost_per_contact`` or ``sources``): anything below it is left
    to the field's validation."""
    import typing
    if typing.get_origin(annotation) in (dict, list) or annotation in (dict, list):
        return True
    return any(_free_below(a) for a in typing.get_args(annotation))


def setting_paths(model: type[BaseModel] | None = None, prefix: str = "") -> list[str]:
    """Every setting of the client config by dotted name (sections and fields), as ``--set`` accepts them.

    >>> "campaign.budget" in setting_paths() and "analysis.rfm.bins" in setting_paths()
    True
    """
    model = model or ClientConfig
    out = []
    for name, f in model.model_fields.items():
        if f.exclude:
            continue
        out.append(prefix + name)
        sub = _submodel(f.annotation)
        if sub is not None:
            out += setting_paths(sub, prefix + name + ".")
    return out


def _override_key_problem(dotted: str) -> str | None:
    """Why ``dotted`` names no setting of the config (with the closest setting), or None when it names one."""
    parts = dotted.split(".")
    model = ClientConfig
    for i, part in enumerate(parts):
        fields = {n: f for n, f in model.model_fields.items() if not f.exclude}
        if part not in fields:
            return "unknown setting" + (f" (did you mean '{s}'?)" if (s := _closest_setting(dotted)) else "") + \
                "; the settings are listed in docs/CONFIG.md"
        ann = fields[part].annotation
        if i == len(parts) - 1 or _free_below(ann):
            return None
        sub = _submodel(ann)
        if sub is None:
            return (f"cannot set it: {'.'.join(parts[:i + 1])} is a value, not a section; use the field's full "
                    "dotted name, e.g. campaign.budget=5000")
        model = sub
    return None


def _closest_setting(dotted: str) -> str | None:
    paths = setting_paths()
    leaf = dotted.rsplit(".", 1)[-1]
    same = [p for p in paths if p.rsplit(".", 1)[-1] == leaf and p != dotted]
    if same:                                     # budget → campaign.budget
        return same[0]
    close = difflib.get_close_matches(dotted, paths, n=1, cutoff=0.75)
    if close:                                    # campaign.budgt → campaign.budget
        return close[0]
    leaves = {p.rsplit(".", 1)[-1]: p for p in reversed(paths)}
    close = difflib.get_close_matches(leaf, list(leaves), n=1, cutoff=0.75)
    return leaves[close[0]] if close else None


MAX_CONFIG_BYTES = 1_000_000        # a client config is a page of text; anything larger is not one
MAX_CONFIG_DEPTH = 50               # nesting of sections and lists


class _Alias(Exception):
    def __init__(self, mark, name):
        self.mark, self.name = mark, name


class _ConfigLoader(yaml.SafeLoader):
    """yaml.SafeLoader without aliases (``*name``, ``<<: *name``): an alias can make a few lines expand into
    billions of values ("billion laughs"), and no client config needs one. Dates that do not exist
    (``2024-13-45``) are YAML errors with their line, not a ValueError from deep inside."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise _Alias(ev.start_mark, ev.anchor)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_CONFIG_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"sections nested more than {MAX_CONFIG_DEPTH} deep at line {mark.line + 1}")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as e:
            raise yaml.constructor.ConstructorError(None, None, f"'{node.value}' is not a date ({e}); write "
                                                    "YYYY-MM-DD, or quote the value", node.start_mark) from None


_ConfigLoader.add_constructor("tag:yaml.org,2002:timestamp", _ConfigLoader.construct_yaml_timestamp)


def _read_yaml(path: Path, label: str):
    """The config file's content (a dict), or a ConfigError of one line naming the line and the fix."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ConfigError([("config", f"{path} is a folder; give the config file (clients/<client>.yaml)")],
                              source=label)
        if size > MAX_CONFIG_BYTES:
            raise ConfigError([("config", f"the file has {size:,} bytes, more than a client config can hold "
                                          f"({MAX_CONFIG_BYTES:,}); point at the client's .yaml file")], source=label)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError([("config", "the file is not UTF-8 text; save it as UTF-8")], source=label) from None
    except OSError as e:
        raise ConfigError([("config", f"cannot read the file ({e.strerror or e}); check its permissions")],
                          source=label) from None
    try:
        return yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 - a SafeLoader without aliases
    except _Alias as a:
        raise ConfigError([("config", f"line {a.mark.line + 1}, column {a.mark.column + 1}: YAML alias "
                                      f"'*{a.name}' — aliases (*name, <<: *name) are not allowed in a client config "
                                      "(a few lines could expand into billions of values); write the values out in "
                                      "full")], source=label) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([("config", f"not valid YAML{where}: {getattr(e, 'problem', None) or e}")],
                          source=label) from None
    except RecursionError:
        raise ConfigError([("config", f"sections nested more than {MAX_CONFIG_DEPTH} deep; a client config has a "
                                      "few levels (data → sources → table → source)")], source=label) from None


def _format_errors(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            parent_model, name = _closest_field(e["loc"])
            hint = f" (did you mean '{parent_model}'?)" if parent_model else ""
            msg = "unknown field" + hint + "; remove or rename it"
        elif e["type"] == "missing":
            msg = "required field is missing; add it"
        elif "input" in e and e["type"].endswith(("_parsing", "_type")):
            got = repr(e["input"])
            msg = f"{msg} (got {got if len(got) <= 80 else got[:77] + '...'})"
        out.append((loc, msg))
    return out


_ALL_FIELDS = None


def _closest_field(loc) -> tuple[str | None, str]:
    global _ALL_FIELDS
    if _ALL_FIELDS is None:
        names = set()
        for m in (ClientConfig, DataConfig, SyntheticSource, SourceFile, Economics, RFMConfig, AnalysisConfig,
                  CampaignConfig, EvaluateConfig, ReportConfig, PrivacyConfig):
            names |= set(m.model_fields)
        _ALL_FIELDS = sorted(names)
    name = str(loc[-1])
    close = difflib.get_close_matches(name, _ALL_FIELDS, n=1)
    return (close[0] if close else None), name


def load_config(source: str | os.PathLike | dict | ClientConfig, overrides: dict | None = None) -> ClientConfig:
    """Read and validate a client config.

    Parameters
    ----------
    source : path to a YAML file, a dict with the same content, or an already loaded ClientConfig.
    overrides : optional {"dotted.field": value} applied before validation, e.g. {"campaign.budget": 5000}
        (``dbmkit report --set``, and how the report's chapters get them). A value of None sets the field to null.

    Raises
    ------
    ConfigError naming each field with a problem and the fix; OverrideError (a ConfigError) when the file is fine
    but an override names no setting (with the closest one) or gives a value the setting refuses.

    Example
    -------
    >>> cfg = load_config({"client": "t", "data": {"synthetic": {"n_people": 300, "seed": 1}}},
    ...                   overrides={"campaign.control_share": 0.2})
    >>> cfg.campaign.control_share
    0.2
    """
    if isinstance(source, ClientConfig) and not overrides:
        return source
    label = None
    if isinstance(source, ClientConfig):
        raw = source.model_dump(mode="json")
        base_dir, src_path = source.base_dir, source.source_path
    elif isinstance(source, dict):
        raw = dict(source)
        base_dir, src_path = raw.pop("base_dir", os.getcwd()), raw.pop("source_path", None)
    else:
        path = Path(os.path.expanduser(str(source)))
        label = str(path)
        if not path.exists():
            hint = ""
            if path.parent.exists():
                close = difflib.get_close_matches(path.name, [p.name for p in path.parent.glob("*.y*ml")], n=1)
                hint = f" (did you mean {path.parent / close[0]}?)" if close else ""
            raise ConfigError([("config", f"file not found: {path}{hint}")], source=label)
        raw = _read_yaml(path, label)
        if not isinstance(raw, dict):
            raise ConfigError([("config", "the file must hold a mapping (key: value lines)")], source=label)
        base_dir, src_path = str(path.resolve().parent), str(path.resolve())
    overrides = dict(overrides or {})
    unknown = [(k, msg) for k in overrides if (msg := _override_key_problem(str(k)))]
    if unknown:
        raise OverrideError(unknown, source=label, values=overrides)
    plain = copy.deepcopy(raw) if overrides else raw
    try:
        for k, v in overrides.items():
            _set_dotted(raw, k, v)
    except ConfigError as e:
        raise OverrideError(e.problems, source=label, values=overrides) from None
    try:
        cfg = ClientConfig.model_validate({**raw, "base_dir": base_dir, "source_path": src_path})
    except ValidationError as e:
        problems = _format_errors(e)
        if overrides:
            try:                                 # the file alone is fine: the overrides are to blame
                ClientConfig.model_validate({**plain, "base_dir": base_dir, "source_path": src_path})
            except ValidationError:
                pass
            else:
                raise OverrideError(problems, source=label, values=overrides) from None
        raise ConfigError(problems, source=label) from None
    return cfg


def to_yaml(cfg: ClientConfig) -> str:
    """The config as YAML text (without defaults that were not set)."""
    return yaml.safe_dump(cfg.model_dump(mode="json", exclude_unset=True, exclude={"base_dir", "source_path"}),
                          sort_keys=False, allow_unicode=True)
