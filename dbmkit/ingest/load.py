"""Loading sources: ``load_source`` checks a source's mapping, types its staged rows and puts each row in exactly
one place (``src_<table>`` or ``quarantine``; unreadable optional values in ``value_issues``; counts in
``load_log``); ``load_sources`` loads several; ``read_table_preview`` shows a file's first rows.
"""
from __future__ import annotations

import difflib
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from .. import schema
from ..config import SourceFile
from .coercion import coerce, trimmed_or_null
from .errors import MAX_ID_LEN, MAX_TEXT_LEN, WINDOW_TABLES, IngestError, Limits, LoadResult, quote_name, quote_text
from .files import detect_file
from .numbers import decide_convention
from .staging import quarantine_rows, stage_csv, stage_excel, stage_parquet, stage_source


def ensure_ingest_tables(con) -> None:
    """Create the bookkeeping tables of ingest (quarantine, value_issues, load_log) when missing.

    >>> import duckdb
    >>> con = duckdb.connect(); ensure_ingest_tables(con)
    >>> sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
    ['load_log', 'quarantine', 'value_issues']
    """
    con.execute("""
        CREATE TABLE IF NOT EXISTS quarantine (table_name VARCHAR, source VARCHAR, source_row BIGINT,
            column_name VARCHAR, reason VARCHAR, raw_values VARCHAR);
        CREATE TABLE IF NOT EXISTS value_issues (table_name VARCHAR, source VARCHAR, source_row BIGINT,
            column_name VARCHAR, problem VARCHAR, raw_value VARCHAR);
        CREATE TABLE IF NOT EXISTS load_log (table_name VARCHAR, source VARCHAR, source_system VARCHAR,
            rows_read BIGINT, rows_loaded BIGINT, rows_quarantined BIGINT, encoding VARCHAR, delimiter VARCHAR,
            warnings VARCHAR);
    """)


def _check_mapping(con, stg: str, table: str, spec: SourceFile, label: str) -> tuple[list[str | None], bool]:
    """The source column of each canonical column (None when unmapped) and whether order ids must be made up."""
    cols = [r[0] for r in con.execute(f"DESCRIBE {stg}").fetchall() if r[0] != "_row"]
    lower = {c.lower().strip(): c for c in cols}
    fixed = {}
    for canon, src in spec.columns.items():
        if src in cols:
            fixed[canon] = src
            continue
        if str(src).lower().strip() in lower:           # tolerate case and surrounding spaces
            fixed[canon] = lower[str(src).lower().strip()]
            continue
        close = difflib.get_close_matches(str(src), cols, n=3, cutoff=0.5) or \
            [lower[x] for x in difflib.get_close_matches(str(src).lower(), list(lower), n=3, cutoff=0.5)]
        raise IngestError(f"the mapping says {canon} ← '{src}', but the file has no column '{src}'", file=label,
                          column=src,
                          fix=(f"did you mean {', '.join(repr(c) for c in close)}? " if close else "") +
                              f"columns in the file: {', '.join(cols[:30])}")
    derive_order_id = table == "orders" and "order_id" not in fixed and "order_id" not in spec.constants
    required = [r for r in schema.REQUIRED_MAPPING.get(table, []) if not (derive_order_id and r == "order_id")]
    missing = [r for r in required if r not in fixed and r not in spec.constants]
    if table == "orders" and not ({"net_amount", "gross_amount"} & (set(fixed) | set(spec.constants))):
        missing.append("net_amount (or gross_amount)")
    if table in ("consents", "email_events") and not ({"customer_id", "email"} & (set(fixed) | set(spec.constants))):
        missing.append("customer_id (or email)")
    if table == "sms_events" and not ({"customer_id", "phone"} & set(fixed)):
        missing.append("customer_id (or phone)")
    if missing:
        guesses = []
        for m_ in missing:
            base = m_.split(" ")[0]
            close = difflib.get_close_matches(base, cols, n=1, cutoff=0.4)
            if close:
                guesses.append(f"{base}: {close[0]!r}?")
        raise IngestError(f"the {table} mapping lacks {', '.join(missing)}", file=label,
                          fix="add them under `columns:` (canonical column: column in the file)" +
                              (f"; candidates: {'; '.join(guesses)}" if guesses else "") +
                              f"; columns in the file: {', '.join(cols[:30])}")
    return [fixed.get(c.name) for c in schema.source_columns(table)], derive_order_id


def load_source(con: duckdb.DuckDBPyConnection, table: str, spec: SourceFile, base_dir: str | Path = ".",
                stage_name: str | None = None, tmpdir: str | Path | None = None,
                limits: Limits | None = None) -> LoadResult:
    """Read one source into ``src_<table>`` (typed canonical columns + source_file, source_row, source_system).

    Rows with a problem in a required column, or with a value too long to be real, go to ``quarantine`` with the
    reason; a value of an optional column that cannot be read becomes NULL and is listed in ``value_issues``.
    Returns the row counts (read = loaded + quarantined) and how the file was read.

    Numbers are read by their column's decimal convention (``numbers.decide_convention``; a note in the result
    says how when it is not the plain ``1,234.56``); amounts beyond ``limits`` (default :class:`Limits`: 1e9 per
    amount, 1e6 per quantity) and transactions dated outside its window (1990-01-01 … a year after today) are
    quarantined. Ids a spreadsheet wrote in scientific notation (``1.23457E+11``) stop the load: their digits are
    lost.

    See the module example; ``load_sources`` loads several sources at once.
    """
    if table not in schema.REQUIRED_MAPPING:
        raise IngestError(f"unknown table '{table}'", file=spec.path or "sql",
                          fix=f"sources feed one of: {', '.join(schema.REQUIRED_MAPPING)}")
    ensure_ingest_tables(con)
    con.execute("SET enable_progress_bar = false")
    label = spec.path if spec.path else f"sql: {' '.join(spec.sql.split())[:60]}"
    res = LoadResult(table=table, source=str(label), source_system=spec.source_system)
    stg = stage_name or f"stg_{table}"
    own_tmp = tmpdir is None
    tmp = Path(tmpdir) if tmpdir else Path(tempfile.mkdtemp(prefix="dbmkit_"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        stage_source(con, table, spec, base_dir, stg, res, tmp, label)
        _load_staged(con, table, spec, stg, res, label, limits or Limits())
    finally:
        for t in (stg, f"{stg}_typed", f"{stg}_v", f"{stg}_t"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        if own_tmp:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)
    return res


def _stop_scientific_ids(con, stg: str, table: str, cols, src_cols, label: str) -> None:
    """Stop the load when an id column holds values in scientific notation (``1.23457E+11``): a spreadsheet has
    rounded long numbers, their last digits are lost and different customers or orders would become one."""
    for c, src in zip(cols, src_cols):
        if c.type != "id" or src is None:
            continue
        v = f"trim(CAST({quote_name(src)} AS VARCHAR))"
        n, ex, row = con.execute(f"SELECT count(*), arg_min({v}, _row), min(_row) FROM {stg} WHERE "
                                 f"regexp_full_match({v}, '[0-9]([.,][0-9]+)?[eE]\\+[0-9]{{1,3}}')").fetchall()[0]
        if n:
            what = {"customer_id": "customers", "order_id": "orders", "product_id": "products"}.get(c.name, "ids")
            raise IngestError(f"{n:,} value(s) of {c.name} are numbers in scientific notation (e.g. {ex!r}): a "
                              f"spreadsheet rounded the long numbers, their last digits are lost and different {what} "
                              f"would become one", file=label, column=src, row=int(row),
                              fix=f"export the column '{src}' again as text (in Excel: select the column, Format "
                                  f"Cells → Text, before saving as CSV; or export from the {table} system directly); "
                                  f"the rounded values cannot be repaired")


def _conventions(con, stg: str, cols, src_cols, spec: SourceFile, res: LoadResult, label: str) -> dict:
    """The decimal convention of each mapped numeric column, with its notes added to the load result."""
    hint = {";": ",", ",": "."}.get(res.delimiter) if res.delimiter else "."
    out = {}
    for c, src in zip(cols, src_cols):
        if c.type in ("money", "number", "int") and src is not None:
            conv = decide_convention(con, stg, trimmed_or_null(quote_name(src)), src, spec.decimal, hint,
                                     label=Path(label).name, typed=res.delimiter is None)
            res.notes += conv.notes
            out[c.name] = conv
    return out


def _limit_of(c: schema.Col, limits: Limits) -> tuple[float | None, str | None]:
    if c.type == "money":
        return limits.max_amount, "data.max_amount"
    if c.name == "quantity":
        return limits.max_quantity, "data.max_quantity"
    return (1e15, None) if c.type == "int" else (None, None)


def _load_staged(con, table: str, spec: SourceFile, stg: str, res: LoadResult, label: str, limits: Limits) -> None:
    src_cols, derive_order_id = _check_mapping(con, stg, table, spec, label)
    cols = schema.source_columns(table)
    _stop_scientific_ids(con, stg, table, cols, src_cols, label)
    convs = _conventions(con, stg, cols, src_cols, spec, res, label)
    window = limits.window() if table in WINDOW_TABLES else None
    if res.rows_read == 0:
        res.warnings.append("no data rows (the file has a header only)")
    # stage 1: the mapped text, trimmed, NULL-like strings ("NULL", "N/A", "-") as NULL
    vsel = []
    for c, src in zip(cols, src_cols):
        if src is not None:
            vsel.append(f"{trimmed_or_null(quote_name(src))} AS {quote_name('v_' + c.name)}")
        elif c.name in spec.constants:
            vsel.append(f"{trimmed_or_null(quote_text(spec.constants[c.name]))} AS {quote_name('v_' + c.name)}")
        elif c.name == "order_id" and derive_order_id:
            prefix = spec.source_system or Path(str(spec.path or "sql")).name.split(".")[0]
            vsel.append(f"({quote_text(prefix)} || '-' || CAST(t._row AS VARCHAR)) AS {quote_name('v_order_id')}")
    if derive_order_id:
        res.warnings.append("no order_id mapped: each row is one order, numbered by its row in the file")
    header_vals = [f"lower(trim(CAST({quote_name(src)} AS VARCHAR))) = {quote_text(str(src).lower().strip())}"
                   for src in src_cols if src is not None]
    is_header = " AND ".join(header_vals) if header_vals else "FALSE"
    stage1 = f"SELECT t._row, ({is_header}) AS _is_header" + "".join(", " + x for x in vsel) + f" FROM {stg} t"
    # stage 2: typed values; stage 3: problems (a problem in a required column quarantines the row)
    tsel, probs, warns = [], [], []
    row_required = set(schema.REQUIRED_MAPPING.get(table, []))
    mapped = {c.name for c, src in zip(cols, src_cols) if src is not None} | set(spec.constants) | \
        ({"order_id"} if derive_order_id else set())
    if table == "orders":             # an order needs an amount: the net, or the gross when no net is given
        row_required.add("net_amount" if "net_amount" in mapped else "gross_amount")
    for c, src in zip(cols, src_cols):
        sqlt = schema.SQL_TYPES[c.type]
        if c.name not in mapped:
            tsel.append(f"CAST(NULL AS {sqlt}) AS {quote_name(c.name)}")
            continue
        v = quote_name("v_" + c.name)
        val, prob = coerce(c, v, quote_name(c.name), con, stg, src, spec, conv=convs.get(c.name),
                           limit=_limit_of(c, limits), window=window if c.type == "timestamp" else None)
        tsel.append(f"CAST({val} AS {sqlt}) AS {quote_name(c.name)}")
        if c.type in ("id", "text"):       # a value far too long is a broken export, not data: quarantine the row
            limit = MAX_ID_LEN if c.type == "id" else MAX_TEXT_LEN
            probs.append(f"CASE WHEN length({v}) > {limit} THEN '{c.name}: value too long (' || length({v}) || "
                         f"' characters; the limit is {limit}) — a broken line or a note pasted into the field?' END")
        if c.name in row_required:
            probs.append(prob)
            probs.append(f"CASE WHEN {quote_name(c.name)} IS NULL AND {v} IS NULL THEN '{c.name}: missing' END")
        elif prob != "NULL":
            warns.append((c.name, prob))
    stage2 = f"SELECT *, {', '.join(tsel)} FROM ({stage1}) v"
    probs = ["CASE WHEN _is_header THEN 'repeated header line (files concatenated?)' END"] + \
        [p for p in probs if p != "NULL"]
    reason = "CASE WHEN _is_header THEN 'repeated header line (files concatenated?)' ELSE NULLIF(concat_ws('; ', " + \
        ", ".join(probs[1:] or ["NULL"]) + "), '') END"
    wsel = "".join(f", CASE WHEN NOT _is_header THEN {p} END AS {quote_name('_warn_' + n)}" for n, p in warns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stg}_typed AS SELECT *, {reason} AS _reason{wsel} FROM ({stage2}) x")
    bad = con.execute(f"SELECT b._row AS source_row, b._reason AS reason, CAST(to_json(s) AS VARCHAR) "
                      f"AS raw_values FROM {stg}_typed b JOIN {stg} s USING (_row) WHERE b._reason IS NOT NULL "
                      f"ORDER BY b._row").df()
    if len(bad):
        bad["column_name"] = [r.split(":")[0] if ":" in r and not r.startswith("repeated") else None
                              for r in bad["reason"]]
    quarantine_rows(con, res, bad)
    if table == "consents":
        _keep_rejected_consents(con, stg, label, mapped)
    # values of optional columns that could not be read: left empty, listed in value_issues
    for n, _ in warns:
        w = quote_name("_warn_" + n)
        k = con.execute(f"SELECT count(*) FROM {stg}_typed WHERE _reason IS NULL AND {w} IS NOT NULL").fetchall()[0][0]
        if k:
            con.execute(f"""INSERT INTO value_issues SELECT {quote_text(table)}, {quote_text(label)}, _row,
                {quote_text(n)}, {w},
                left({quote_name('v_' + n)}, 200) FROM {stg}_typed WHERE _reason IS NULL AND {w} IS NOT NULL""")
            ex = con.execute(f"SELECT any_value({quote_name('v_' + n)}) FROM {stg}_typed "
                             f"WHERE _reason IS NULL AND {w} IS NOT NULL").fetchall()[0][0]
            res.warnings.append(f"{k} value(s) of {n} could not be read and were left empty (e.g. {ex!r}; "
                                f"see value_issues)")
    keep = ", ".join(quote_name(c.name) for c in cols)
    target = f"src_{table}"
    defs = ", ".join(f"{quote_name(c.name)} {schema.SQL_TYPES[c.type]}" for c in cols)
    con.execute(f"CREATE TABLE IF NOT EXISTS {target} ({defs}, source_file VARCHAR, source_row BIGINT, "
                f"source_system VARCHAR)")
    con.execute(f"INSERT INTO {target} SELECT {keep}, {quote_text(label)}, _row, "
                f"{quote_text(spec.source_system or '')} "
                f"FROM {stg}_typed WHERE _reason IS NULL ORDER BY _row")
    res.rows_loaded = con.execute(f"SELECT count(*) FROM {stg}_typed WHERE _reason IS NULL").fetchall()[0][0]
    con.execute("INSERT INTO load_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", list(res.as_row().values()))
    if res.rows_read != res.rows_loaded + res.rows_quarantined:   # the reconciliation rule
        raise AssertionError(f"{label}: read {res.rows_read} ≠ loaded {res.rows_loaded} + quarantined "
                             f"{res.rows_quarantined}")



REJECTED_CONSENTS = "src_consents_rejected"


def _keep_rejected_consents(con, stg: str, label: str, mapped: set) -> None:
    """The consent rows set aside in quarantine, with their key and the words as written, in
    ``src_consents_rejected``: the build reads them again fail-safe (an unreadable opt-out still suppresses;
    ``dbmkit.database.consent``)."""
    def text(name):
        return quote_name("v_" + name) if name in mapped else "CAST(NULL AS VARCHAR)"
    con.execute(f"""CREATE TABLE IF NOT EXISTS {REJECTED_CONSENTS} (source_file VARCHAR, source_row BIGINT,
        reason VARCHAR, customer_id VARCHAR, email VARCHAR, channel VARCHAR, status VARCHAR, updated_at TIMESTAMP,
        updated_at_text VARCHAR)""")
    con.execute(f"""INSERT INTO {REJECTED_CONSENTS} SELECT {quote_text(label)}, _row, _reason, customer_id,
        {text('email')}, {text('channel')}, {text('status')}, updated_at, {text('updated_at')} FROM {stg}_typed
        WHERE _reason IS NOT NULL AND NOT _is_header ORDER BY _row""")


def load_sources(sources: dict[str, list[SourceFile] | SourceFile | dict], base_dir: str | Path = ".",
                 con: duckdb.DuckDBPyConnection | None = None,
                 limits: Limits | None = None) -> tuple[duckdb.DuckDBPyConnection, pd.DataFrame]:
    """Load several sources ({table: [source, …]}) into a DuckDB connection (in memory by default); returns the
    connection and the load log (rows read / loaded / quarantined per source).

    >>> import tempfile, os
    >>> d = tempfile.mkdtemp(); _ = open(os.path.join(d, "o.csv"), "w").write("id;day;eur\\n1;2024-01-02;3,50\\n")
    >>> con, log = load_sources({"orders": {"path": "o.csv", "decimal": ",",
    ...     "columns": {"order_id": "id", "order_ts": "day", "net_amount": "eur"}}}, base_dir=d)
    >>> log[["rows_read", "rows_loaded"]].values.tolist(), con.sql("SELECT net_amount FROM src_orders").fetchall()
    ([[1, 1]], [(3.5,)])
    """
    con = con or duckdb.connect()
    for table, specs in sources.items():
        for spec in (specs if isinstance(specs, list) else [specs]):
            load_source(con, table, spec if isinstance(spec, SourceFile) else SourceFile.model_validate(spec),
                        base_dir=base_dir, limits=limits)
    return con, con.execute("SELECT * FROM load_log").df()


def read_table_preview(path: str | Path, n: int = 5, **kw) -> pd.DataFrame:
    """The first rows of a file as text, with the detected settings applied (for new-client and notebooks).

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.csv"); _ = open(p, "w").write("Title\\n\\nid;amount\\n1;2,50\\n")
    >>> read_table_preview(p, expected=["id", "amount"]).values.tolist()
    [['1', '2,50']]
    """
    info = detect_file(path, **kw)
    con = duckdb.connect()
    spec = SourceFile(path=str(path), delimiter=info.get("delimiter"), encoding=info.get("encoding"),
                      header_row=info.get("header_row"), sheet=info.get("sheet"))
    res = LoadResult(table="preview", source=str(path), source_system=None)
    ensure_ingest_tables(con)
    p = Path(path)
    tmp = Path(tempfile.mkdtemp(prefix="dbmkit_"))
    try:
        if info["format"] == "csv":
            stage_csv(con, spec, p, str(path), [], "stg_preview", res, tmp)
        elif info["format"] == "excel":
            stage_excel(con, spec, p, str(path), [], "stg_preview", res)
        else:
            stage_parquet(con, spec, p, str(path), "stg_preview", res)
    finally:
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
    return con.execute(f"SELECT * EXCLUDE (_row) FROM stg_preview ORDER BY _row LIMIT {int(n)}").df()
