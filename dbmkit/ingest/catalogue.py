"""The sources of a workspace, for the chapters: which files feed which table (``source_table``, ``DATA_KINDS``),
the mapping of one source (``mapping_table``), a masked preview of a file and the rows of a table as loaded, before
cleaning (``source_records``).
"""
from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from .. import schema
from ..config import SourceFile
from ..privacy import mask_people
from .errors import LoadResult
from .files import format_of
from .load import ensure_ingest_tables, load_source
from .staging import stage_source


def sources_of(ws) -> tuple[dict[str, list[SourceFile]], Path]:
    """The sources of a workspace (the config's mapping; the synthetic client's raw exports) and their folder.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> sources, folder = sources_of(ws)
    >>> sorted(sources)[:3], folder.name
    (['area_demographics', 'campaigns', 'consents'], 'raw')
    """
    return ws.sources()


DATA_KINDS = {     # the kind of customer data each canonical table holds (CONCEPTS: phase 1, collect)
    "customers": "demographic + contact (人口统计属性)",
    "consents": "permission (许可)",
    "orders": "behavioural: transactions (行为属性)",
    "sales_lines": "behavioural: transactions (行为属性)",
    "order_items": "behavioural: what was bought (行为属性)",
    "products": "product data (产品数据)",
    "campaigns": "business data: past campaigns (业务数据)",
    "contacts": "business data: who was contacted (业务数据)",
    "responses": "behavioural: campaign responses (行为属性)",
    "email_events": "channel data: e-mail platform (渠道数据)",
    "sms_events": "channel data: SMS platform (渠道数据)",
    "customer_links": "identity: known id links between systems (ID对照表)",
    "area_demographics": "appended: area demographics (附加数据)",
}


def source_table(ws) -> pd.DataFrame:
    """One row per source of a workspace: the canonical table it feeds, file, format, system and the settings
    given in the config (encoding, delimiter, sheet, header row, date format) and how many columns it maps.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> source_table(ws).query("table == 'customers'")["source"].tolist()
    ['./crm_customers.csv', './web_accounts.csv', './loyalty_members.xlsx']
    """
    sources, base = sources_of(ws)
    rows = []
    for table, specs in sources.items():
        for sp in specs:
            rows.append(dict(table=table, kind=DATA_KINDS.get(table), source=sp.path or f"sql: {sp.sql[:40]}",
                             format=sp.format if sp.format != "auto" else (
                                 format_of(Path(sp.path)) if sp.path else "sql"),
                             source_system=sp.source_system, encoding=sp.encoding, delimiter=sp.delimiter,
                             sheet=sp.sheet, header_row=sp.header_row, date_format=sp.date_format,
                             mapped_columns=len(sp.columns), constants=len(sp.constants)))
    return pd.DataFrame(rows)


def mapping_table(table: str, spec: SourceFile) -> pd.DataFrame:
    """The column mapping of one source: canonical column ← source column (or constant), its type and whether the
    table requires it.

    >>> m = mapping_table("orders", SourceFile(path="x.csv", columns={"order_id": "Invoice"}))
    >>> m.loc[m["source"].notna(), ["canonical", "source", "type", "required"]].values.tolist()
    [['order_id', 'Invoice', 'id', True]]
    """
    req = set(schema.REQUIRED_MAPPING.get(table, []))
    rows = []
    for c in schema.source_columns(table):
        src = spec.columns.get(c.name)
        const = spec.constants.get(c.name)
        if src is None and const is None and table == "orders" and c.name == "order_id":
            src = "(none: rows are numbered)"
        rows.append(dict(canonical=c.name, source=src if src is not None else (
            f"(constant {const!r})" if const is not None else None), type=c.type, required=c.name in req))
    return pd.DataFrame(rows)


def source_spec(ws, name: str | None = None) -> tuple[str, SourceFile]:
    """(table, source) of a workspace's source file by name — by default the first customer file (else the first
    source).

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> table, spec = source_spec(ws)
    >>> table, spec.path, spec.columns["customer_id"]
    ('customers', './crm_customers.csv', 'CustNo')
    """
    if name is None:
        sources, _ = sources_of(ws)
        specs = [(t, sp) for t, sps in sources.items() for sp in sps if sp.path]
        first = [x for x in specs if x[0] == "customers"] or specs
        return first[0]
    table, sp, _ = _spec_path(ws, name)
    return table, sp


def _spec_path(ws, name: str) -> tuple[str, SourceFile, Path]:
    sources, base = sources_of(ws)
    for table, specs in sources.items():
        for sp in specs:
            if sp.path and (Path(sp.path).name == name or sp.path == name):
                return table, sp, Path(base)
    names = [Path(sp.path).name for specs in sources.values() for sp in specs if sp.path]
    close = difflib.get_close_matches(name, names, n=1)
    raise KeyError(f"no source file {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "") +
                   f"; sources: {', '.join(names)}")


def preview_source(ws, name: str, n: int = 5) -> pd.DataFrame:
    """The first ``n`` rows of a source file as its system wrote them (text, the config's settings applied), with
    e-mails and phone numbers masked.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> preview_source(ws, "web_accounts.csv", 2)["email"].str.contains("[*]{3}@").all()
    np.True_
    """
    table, sp, base = _spec_path(ws, name)
    con = duckdb.connect()
    res = LoadResult(table=table, source=name, source_system=sp.source_system)
    ensure_ingest_tables(con)
    tmp = Path(tempfile.mkdtemp(prefix="dbmkit_"))
    try:
        stage_source(con, table, sp, base, "stg_preview", res, tmp, name)
        df = con.execute(f"SELECT * EXCLUDE (_row) FROM stg_preview ORDER BY _row LIMIT {int(n)}").df()
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return mask_people(df)


def source_records(ws, table: str = "customers", max_rows: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The rows of every source of ``table`` as loaded (typed, before cleaning and merge/purge), read again from
    the sources into memory — the "before" of the cleaning chapter. Contains personal data: mask before showing.

    With ``max_rows``, a source table larger than that is cut to a seeded sample of about ``max_rows`` rows,
    stratified by source file (each file keeps its share), so what is cleaned again stays small for a large
    client; the same seed gives the same rows.

    >>> import os, tempfile
    >>> from dbmkit.client_workspace import workspace
    >>> ws = workspace({"client": "doc", "workdir": os.path.join(tempfile.gettempdir(), "dbmkit_doc_ingest"),
    ...                 "data": {"synthetic": {"n_people": 300, "n_campaigns": 1}}})
    >>> stubs = int(ws.sql("SELECT count(*) AS n FROM customer_records WHERE source_row IS NULL")["n"].iloc[0])
    >>> len(source_records(ws, "customers")) == ws.build_summary()["customers_raw"] - stubs
    True
    >>> len(source_records(ws, "customers", max_rows=100)) <= 100
    True
    """
    sources, base = sources_of(ws)
    if table not in sources:
        return pd.DataFrame(columns=[c.name for c in schema.source_columns(table)])
    con = duckdb.connect()
    for sp in sources[table]:
        load_source(con, table, sp, base_dir=base)
    n = con.execute(f"SELECT count(*) FROM src_{table}").fetchall()[0][0]
    if max_rows is None or n <= max_rows:
        return con.execute(f"SELECT * FROM src_{table} ORDER BY source_file, source_row").df()
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1 (got {max_rows}); use None for every row")
    return con.execute(f"""SELECT * EXCLUDE (_k, _n) FROM (
            SELECT *, row_number() OVER (PARTITION BY source_file ORDER BY hash(source_row, ?), source_row) AS _k,
                   count(*) OVER (PARTITION BY source_file) AS _n FROM src_{table})
        WHERE _k <= greatest(1, floor(_n * ? / ?)) ORDER BY source_file, source_row""",
                       [int(seed), int(max_rows), int(n)]).df()
