"""DuckDB SQL → Spark SQL: the workbook's queries (``dbmkit/sql/*.sql``, written for DuckDB) translated for Apache
Spark with sqlglot, so there is one SQL source for two engines.

sqlglot does the grammar (quoting, ``//`` → ``DIV``, lambdas, ``generate_series`` → ``sequence``, NULL ordering
…). On top of it this module fixes what means something else on Spark:

* **datediff**: DuckDB counts unit boundaries crossed; Spark's three-argument DATEDIFF counts whole units (on
  timestamps whole 24-hour days) — day/month/quarter/year differences are written out from dates.
* **arg_min/arg_max**: DuckDB skips rows whose value is NULL, Spark's min_by/max_by do not — guarded; a tuple key
  becomes a struct. ``to_days(n)`` becomes ``make_dt_interval(n)``, ``to_seconds(n)`` ``make_dt_interval(0, 0, 0, n)``.
* **datediff in seconds, minutes, hours**: boundaries again, from ``unix_micros``.

* **Named parameters** (``$as_of``): replaced by typed literals — a ``date`` by ``DATE '…'``, a ``datetime`` by
  ``TIMESTAMP '…'`` (the Spark session reads TIMESTAMP without time zone, as DuckDB does), a float by a DOUBLE, a
  list by an ARRAY. The values come from dbmkit code (dates, numbers, names of rules), never a SQL fragment.
* **Decimal literals** (``7.0``, ``86400.0``): DuckDB divides decimals in DOUBLE, Spark in DECIMAL with a rounded
  scale (``datediff(...) / 7.0`` came out 0.142857 instead of 0.14285714285714285). Every decimal literal becomes a
  DOUBLE on Spark.

What sqlglot cannot carry (``list_filter`` with a lambda, ``range()`` as a table, intervals of a column's days) the
queries are written in a portable form instead (docs/ARCHITECTURE.md, "The Spark engine"). sqlglot is imported
only here, only when Spark is used (``pip install 'dbmkit[spark]'``).

>>> to_spark("SELECT datediff('day', d, $as_of) / 7.0 AS w FROM t", {"as_of": __import__("datetime").date(2020, 1, 8)})
"SELECT DATEDIFF(CAST('2020-01-08' AS DATE), CAST(d AS DATE)) / CAST(7.0 AS DOUBLE) AS w FROM t"
"""
from __future__ import annotations

import datetime as dt
import math

__all__ = ["to_spark", "tables_of", "shared_ctes", "SQLGLOT_HINT"]

SQLGLOT_HINT = "pip install 'dbmkit[spark]'  (pyspark>=4.0 and sqlglot; Java 17 for a local Spark)"


def _sqlglot():
    try:
        import sqlglot
    except ImportError as e:                       # pragma: no cover - depends on the environment
        raise ImportError(f"the Spark engine translates the workbook's SQL with sqlglot: {SQLGLOT_HINT}") from e
    return sqlglot


def _literal(value, name: str):
    """The Spark literal of one named parameter's value."""
    exp = _sqlglot().exp
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, dt.datetime) or hasattr(value, "to_pydatetime"):
        ts = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
        if ts.tzinfo is not None:
            raise ValueError(f"parameter ${name}: a timestamp with a time zone ({ts}); dbmkit's timestamps are local")
        return exp.cast(exp.Literal.string(ts.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, int):
        return exp.Literal.number(str(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"parameter ${name}: {value} is not a finite number")
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v, name) for v in value])
    raise TypeError(f"parameter ${name}: cannot pass a {type(value).__name__} to Spark")


def _parse(sql: str):
    return _sqlglot().parse_one(sql, read="duckdb")


def to_spark(sql: str, params: dict | None = None) -> str:
    """The Spark SQL of a DuckDB query, its named parameters filled in as typed literals."""
    exp = _sqlglot().exp
    params = dict(params or {})
    tree = _parse(sql)
    missing = sorted({p.name for p in tree.find_all(exp.Placeholder) if p.name and p.name not in params})
    if missing:
        raise KeyError(f"the query needs the parameters {', '.join('$' + m for m in missing)}")

    def fix(node):
        if isinstance(node, exp.Placeholder) and node.name:
            return _literal(params[node.name], node.name)
        if isinstance(node, exp.Literal) and node.is_number and any(ch in node.this for ch in ".eE"):
            parent = node.parent
            if not (isinstance(parent, exp.Cast) and parent.to.is_type("double")):
                return exp.cast(node.copy(), "DOUBLE")
        return node

    tree = tree.transform(fix).transform(_portable)
    return tree.sql(dialect="spark", comments=False)


def _boundaries(unit: str, end, start):
    """DuckDB's ``datediff(unit, start, end)``: how many unit boundaries lie between the two (Spark's three-argument
    DATEDIFF counts whole units elapsed instead, and on timestamps whole 24-hour days)."""
    exp = _sqlglot().exp
    d_end, d_start = exp.cast(end.copy(), "DATE"), exp.cast(start.copy(), "DATE")
    if unit == "DAY":
        return exp.Anonymous(this="datediff", expressions=[d_end, d_start])
    year = exp.Sub(this=exp.Anonymous(this="year", expressions=[d_end]),
                   expression=exp.Anonymous(this="year", expressions=[d_start]))
    if unit == "YEAR":
        return exp.Paren(this=year)
    per, part = {"MONTH": (12, "month"), "QUARTER": (4, "quarter")}[unit]
    within = exp.Sub(this=exp.Anonymous(this=part, expressions=[d_end]),
                     expression=exp.Anonymous(this=part, expressions=[d_start]))
    return exp.Paren(this=exp.Add(this=exp.Mul(this=exp.Paren(this=year), expression=exp.Literal.number(per)),
                                  expression=within))


def _portable(node):
    """Rewrite the DuckDB constructs that parse on Spark but mean something else there."""
    exp = _sqlglot().exp
    if isinstance(node, exp.DateDiff):
        unit = (node.unit.name if node.unit is not None else "DAY").upper()
        if unit in ("DAY", "MONTH", "QUARTER", "YEAR"):
            return _boundaries(unit, node.this, node.expression)
        if unit in _CLOCK_UNITS:
            return _clock_boundaries(_CLOCK_UNITS[unit], node.this, node.expression)
    if isinstance(node, (exp.ArgMin, exp.ArgMax)):
        # DuckDB's arg_min(x, key) skips rows whose x is NULL (Spark's min_by does not); a tuple key is a struct
        key = node.expression
        if isinstance(key, exp.Tuple):
            key = exp.Anonymous(this="struct", expressions=[e.copy() for e in key.expressions])
        else:
            key = key.copy()
        guarded = exp.If(this=exp.Is(this=node.this.copy(), expression=exp.Null()), true=exp.Null(), false=key)
        return exp.Anonymous(this="min_by" if isinstance(node, exp.ArgMin) else "max_by",
                             expressions=[node.this.copy(), guarded])
    if isinstance(node, exp.ToDays):        # DuckDB's to_days(n): an interval of n days
        return exp.Anonymous(this="make_dt_interval", expressions=[node.this.copy()])
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "TO_SECONDS" and len(node.expressions) == 1:
        zero = exp.Literal.number(0)            # DuckDB's to_seconds(n): an interval of n seconds
        return exp.Anonymous(this="make_dt_interval", expressions=[zero, zero.copy(), zero.copy(),
                                                                   node.expressions[0].copy()])
    return node


_CLOCK_UNITS = {"SECOND": 1_000_000, "MINUTE": 60_000_000, "HOUR": 3_600_000_000}


def _clock_boundaries(micros: int, end, start):
    """DuckDB's ``datediff('second'|'minute'|'hour', start, end)``: the unit boundaries between the two (Spark's
    counts whole units elapsed: 00:00:00.9 → 00:00:01.1 is 1 second on DuckDB, 0 on Spark), from microseconds."""
    exp = _sqlglot().exp

    def floor_units(x):
        us = exp.Anonymous(this="unix_micros", expressions=[exp.cast(x.copy(), "TIMESTAMP")])
        return exp.Anonymous(this="floor", expressions=[exp.Div(this=us, expression=exp.Literal.number(micros))])
    return exp.Paren(this=exp.Sub(this=floor_units(end), expression=floor_units(start)))


def tables_of(sql: str) -> set[str]:
    """The tables (and views) a query reads, its own CTE names left out."""
    exp = _sqlglot().exp
    tree = _parse(sql)
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    return {t.name for t in tree.find_all(exp.Table) if t.name and t.name not in ctes and not t.args.get("db")}


def shared_ctes(spark_sql: str, prefix: str) -> tuple[list[tuple[str, str]], str]:
    """The Spark query split so that each CTE it reads more than once is computed once: ``([(view, sql), …],
    main_sql)`` — each shared CTE's own query (in the order of the WITH, reading the views before it), to be made
    into the temporary view ``<prefix>_<cte>``, and the query that reads them. Spark inlines a CTE wherever it is
    referenced and computes it again each time (DuckDB computes a CTE read several times once): sequence_pairs,
    whose CTEs are read 2–6 times, took 84 s on Spark local[2] at 1M transactions inlined, 37 s split
    (benchmarks/RESULTS.md). A CTE read once stays in the query.

    >>> views, main = shared_ctes("WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) "
    ...                           "SELECT * FROM a JOIN b ON a.x = b.x", "_q1")
    >>> views
    [('_q1_a', 'SELECT 1 AS x')]
    >>> main
    'WITH b AS (SELECT x FROM _q1_a AS a) SELECT * FROM _q1_a AS a JOIN b ON a.x = b.x'
    """
    exp = _sqlglot().exp
    tree = _sqlglot().parse_one(spark_sql, read="spark")
    with_ = tree.args.get("with_")
    if with_ is None:
        return [], spark_sql
    ctes = list(with_.expressions)
    names = [c.alias_or_name for c in ctes]
    main = tree.copy()
    main.set("with_", None)

    def reads_of(node, visible):       # a CTE is seen by the CTEs after it and the main query, not in its own body
        return [t.name for t in node.find_all(exp.Table) if t.name in visible and not t.args.get("db")]
    reads = dict.fromkeys(names, 0)
    for i, cte in enumerate(ctes):
        for n in reads_of(cte.this, set(names[:i])):
            reads[n] += 1
    for n in reads_of(main, set(names)):
        reads[n] += 1
    view = {n: f"{prefix}_{n}" for n in names if reads[n] >= 2}
    if not view:
        return [], spark_sql

    def to_view(visible):              # a reference to a shared CTE reads its view, under the CTE's name as alias
        def fix(node):
            if isinstance(node, exp.Table) and node.name in visible and node.name in view and not node.args.get("db"):
                return exp.Table(this=exp.to_identifier(view[node.name]),
                                 alias=exp.TableAlias(this=exp.to_identifier(node.alias or node.name)))
            return node
        return fix
    stages, kept = [], []
    for i, (cte, name) in enumerate(zip(ctes, names)):
        body = cte.this.transform(to_view(set(names[:i])))
        if name in view:
            q = body.copy()
            if kept:                  # the CTEs before it that stay inline (unused ones are harmless)
                q.set("with_", exp.With(expressions=[k.copy() for k in kept]))
            stages.append((view[name], q.sql(dialect="spark")))
        else:
            kept.append(exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(name))))
    main = main.transform(to_view(set(names)))
    if kept:
        main.set("with_", exp.With(expressions=kept))
    return stages, main.sql(dialect="spark")
